"""The compiler: a checked tree becomes nested Python closures, compiled once and then
evaluated many times. No source code is generated and nothing is `eval`-ed.

Every closure takes a frame (a dict of bindings, see runtime.py) and returns a value.
Constant parts are computed at compile time; a constant part that always fails is reported
as a check error, unless it sits inside `catch` or `.|`, which exist to recover from
failures. The shapes rules are mostly made of get closures of their own (shapes.py); a call
whose overload the checker settled calls it directly (settled.py); only a call that still
has several candidates chooses one at run time (calls.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from carrot.talang.calls import arithmetic_error, invoke, select
from carrot.talang.checker import (
    DEFAULT_LIMITS,
    BlockNode,
    Call,
    Checker,
    Const,
    ExprNode,
    Limits,
    Node,
    PairNode,
    Seq,
    TemplateNode,
)
from carrot.talang.code import Code, Evaluate, constant
from carrot.talang.errors import (
    FunctionError,
    StepLimitError,
    TalangCheckError,
    TalangError,
    TalangRuntimeError,
)
from carrot.talang.registry import (
    BLOCK,
    EXPR,
    LAZY,
    PAIR,
    TEMPLATE,
    Registry,
    default_registry,
)
from carrot.talang.runtime import (
    RUN,
    BlockArg,
    CallSite,
    ExprArg,
    Frame,
    Lazy,
    PairArg,
    Run,
    TemplateBody,
    Thunk,
    plain_result,
)
from carrot.talang.settled import settled_call
from carrot.talang.shapes import (
    ARITHMETIC,
    ORDERINGS,
    arithmetic,
    direct_read,
    equality,
    fast_loop,
    item_reader,
    logic,
    ordering,
    path_reader,
    reads_only_item,
)
from carrot.talang.types import (
    BOOLEAN,
    DECIMAL,
    NULL,
    STRING,
    TIME,
    value_text,
)

_SCALARS = DECIMAL | STRING | BOOLEAN | TIME
_EMPTY_SCOPE: Frame = {}
_TEMPLATE_CACHE_SIZE = 128


class Compiler:
    """Compiles checked nodes. With `report_constant_failures=False`, a constant part that
    fails is left to fail at run time (the property tests compare evaluators that way)."""

    def __init__(
        self, registry: Registry, limits: Limits, report_constant_failures: bool = True
    ) -> None:
        self.registry = registry
        self.limits = limits
        self.report_constant_failures = report_constant_failures
        # While compiling a block body that reads only its item, the item's variable: the
        # body's closures then take the item itself instead of a frame.
        self.item_var: str | None = None

    def compile(self, node: Node, recovering: bool = False) -> Code:
        if isinstance(node, Const):
            return constant(node.value)
        if isinstance(node, Seq):
            return self.sequence(node, recovering)
        if isinstance(node, Call):
            return self.call(node, recovering)
        # Placeholders live only in template bodies, which are substituted, never compiled.
        raise AssertionError(f"cannot compile {type(node).__name__} at {node.path}")

    def sequence(self, node: Seq, recovering: bool) -> Code:
        codes = [self.compile(item, recovering) for item in node.items]
        if all(code.const for code in codes):
            return constant(codes[-1].value)
        fns = tuple(code.fn for code in codes)

        def sequence(frame: Frame) -> Any:
            value = None
            for fn in fns:
                value = fn(frame)
            return value

        return Code(sequence)

    # ---- calls ---------------------------------------------------------------------

    def call(self, node: Call, recovering: bool) -> Code:
        function = node.function
        recover_inside = recovering or function.key in ("catch", ".|")
        args = [
            self.argument(arg, form, recover_inside)
            for arg, form in zip(node.args, node.forms, strict=True)
        ]
        code = self.specialised(node, args) or Code(self.generic(node, args))
        if self.foldable(node, args):
            return self.fold(node, code.fn, recovering)
        return code

    def argument(self, arg: Any, form: str, recovering: bool) -> Any:
        if form == BLOCK:
            assert isinstance(arg, BlockNode)
            return self.block(arg, recovering)
        if form == PAIR:
            assert isinstance(arg, PairNode)
            code = self.compile(arg.value, recovering)
            return _Pair(PairArg(arg.key, code.fn), code)
        if form == TEMPLATE:
            assert isinstance(arg, TemplateNode)
            return TemplateBody(arg.expr)
        if form == EXPR:
            assert isinstance(arg, ExprNode)
            return ExprArg(arg.expr, arg.node.kinds)
        assert isinstance(arg, Node)
        code = self.compile(arg, recovering)
        if form == LAZY:
            return _Lazy(Lazy(code.fn, arg.kinds), code)
        return code

    def block(self, arg: BlockNode, recovering: bool) -> BlockArg:
        takes_item = reads_only_item(arg.body, arg.var)
        outer = self.item_var
        self.item_var = arg.var if takes_item else None
        try:
            body = self.compile(arg.body, recovering).fn
        finally:
            self.item_var = outer
        return BlockArg(arg.var, body, arg.body.size, self.limits.max_steps, takes_item)

    def foldable(self, node: Call, args: list[Any]) -> bool:
        function = node.function
        if not function.pure or function.needs_run or function.writes:
            return False
        return all(isinstance(arg, Code | _Lazy | _Pair) and _code(arg).const for arg in args)

    def fold(self, node: Call, fn: Thunk, recovering: bool) -> Code:
        try:
            return constant(fn({}))
        except StepLimitError:
            raise
        except TalangRuntimeError as error:
            if recovering or not self.report_constant_failures:
                return Code(fn)
            raise TalangCheckError(error.message, error.path) from None

    def generic(self, node: Call, args: list[Any]) -> Thunk:
        values = [_runtime_arg(arg) for arg in args]
        if len(node.candidates) == 1:
            return settled_call(node, values)
        name, path = node.function.name, node.path
        codes = [arg.fn if isinstance(arg, Code) else None for arg in args]

        def call(frame: Frame) -> Any:
            evaluated = [
                fn(frame) if fn is not None else value
                for fn, value in zip(codes, values, strict=True)
            ]
            try:
                overload = select(node, evaluated)
                return invoke(node, overload, frame, evaluated)
            except FunctionError as error:
                raise error.at(path) from None
            except ArithmeticError as error:
                raise arithmetic_error(name, error, path) from None

        return call

    # ---- specialisations -----------------------------------------------------------

    def specialised(self, node: Call, args: list[Any]) -> Code | None:
        key = node.function.key
        if key == "." and all(isinstance(a, Code) and a.const for a in args):
            keys = [_key_text(a.value) for a in args]
            if all(k is not None for k in keys):
                fixed = [k for k in keys if k is not None]
                if self.item_var is not None and fixed[0] == self.item_var:
                    return Code(item_reader(fixed, node.path))
                return Code(path_reader(fixed, node.path))
        if key in ("and", "or") and all(isinstance(a, _Lazy) for a in args):
            fn = logic(node, [a.code for a in args])
            return None if fn is None else Code(fn)
        if len(node.candidates) != 1 or len(args) != 2 or node.function.host:
            return None
        if not all(isinstance(a, Code) for a in args):
            return fast_loop(self.compile, self.limits.max_steps, node, args)
        left, right = args
        left_read, right_read = (direct_read(arg, self.item_var) for arg in node.args)
        if key in ORDERINGS:
            return ordering(node, ORDERINGS[key], left, right, left_read)
        if key in ARITHMETIC and node.candidates[0].returns == DECIMAL:
            return Code(arithmetic(node, ARITHMETIC[key], left, right, left_read, right_read))
        if key in ("=", "!="):
            return equality(node, key == "=", left, right, left_read)
        return None


@dataclass(frozen=True, slots=True)
class _Lazy:
    lazy: Lazy
    code: Code


@dataclass(frozen=True, slots=True)
class _Pair:
    pair: PairArg
    code: Code


def _code(arg: Any) -> Code:
    if isinstance(arg, Code):
        return arg
    code: Code = arg.code
    return code


def _runtime_arg(arg: Any) -> Any:
    if isinstance(arg, _Lazy):
        return arg.lazy
    if isinstance(arg, _Pair):
        return arg.pair
    return arg


def _key_text(value: Any) -> str | None:
    if type(value) is str:
        return value
    if type(value) is Decimal or type(value) is bool:
        return value_text(value)
    return None


# ---- the public face -----------------------------------------------------------------


class Compiled:
    """An expression compiled once, ready to evaluate many times (thread-safe).

    `evaluate(scope, context=None, now=None, max_steps=None)` evaluates it with `scope` as
    the bindings and returns a plain Python value. `context` is handed to host functions
    declared with `takes_context`; `now` is the clock of the time functions (default: the
    time of the call); `max_steps` replaces the step budget of the limits and then applies
    to the evaluation as a whole.
    """

    __slots__ = (
        "_convert",
        "_fn",
        "_plain",
        "_sub_codes",
        "_templates",
        "evaluate",
        "expr",
        "limits",
        "node",
        "registry",
    )

    evaluate: Evaluate

    def __init__(self, expr: Any, node: Node, code: Code, registry: Registry, limits: Limits):
        self.expr = expr
        self.node = node
        self.registry = registry
        self.limits = limits
        self._fn = code.fn
        self._plain = not node.needs_run and not node.writes
        self._convert = bool(node.kinds & ~(_SCALARS | NULL))
        self._templates: dict[tuple[str, int], tuple[Code, int]] = {}
        self._sub_codes: dict[int, Code] = {}
        # Expressions that need no per-run state and give a single value evaluate straight
        # on the host's scope; an instance attribute, not a method, so that the closure of
        # a shape can itself be `evaluate` (see code.Entry).
        if not self._plain or self._convert:
            self.evaluate = self._evaluate
        elif code.entry is not None:
            self.evaluate = code.entry(self._evaluate)
        else:
            self.evaluate = _direct_entry(code.fn, self._evaluate)

    @property
    def scope_only(self) -> bool:
        """Whether the value depends on the scope alone: the expression calls no host function,
        reads no `now` and writes nothing, so `context` and `now` make no difference to it."""
        return self._plain

    @property
    def result_kinds(self) -> int:
        """The kinds the expression can give (bit flags of carrot.talang.types)."""
        return self.node.kinds

    def _evaluate(
        self,
        scope: Mapping[str, Any] | None = None,
        context: Any = None,
        now: datetime | None = None,
        max_steps: int | None = None,
    ) -> Any:
        """`evaluate` for any expression and any arguments (see the class)."""
        if self._plain and max_steps is None and type(scope) is dict:
            result = self._fn(scope)
        else:
            result = self._fn(self.frame(scope, context, now, max_steps))
        return plain_result(result) if self._convert else result

    def frame(
        self,
        scope: Mapping[str, Any] | None,
        context: Any = None,
        now: datetime | None = None,
        max_steps: int | None = None,
    ) -> Frame:
        bindings: Frame
        if scope is None:
            bindings = _EMPTY_SCOPE
        elif type(scope) is dict:
            bindings = scope
        elif isinstance(scope, Mapping):
            bindings = dict(scope)
        else:
            raise TalangError("the scope must be a mapping of names to values")
        if now is not None and now.utcoffset() is None:
            raise TalangError("`now` must be a timezone-aware datetime")
        if self._plain and max_steps is None:
            return bindings
        frame: Frame = dict(bindings)
        steps = self.limits.max_steps if max_steps is None else max_steps
        frame[RUN] = Run(steps, context, now, self.expand)
        return frame

    def code_for(self, node: Node) -> Code:
        """The closure of one node of this expression (used by `explain`)."""
        code = self._sub_codes.get(id(node))
        if code is None:
            code = Compiler(self.registry, self.limits).compile(node, recovering=True)
            self._sub_codes[id(node)] = code
        return code

    def expand(self, frame: Frame, expr: Any, site: CallSite, name: str) -> Any:
        """Evaluate a template's expansion in the caller's frame (see builtins/templates)."""
        run: Run = frame[RUN]
        base = run.depth_base + site.depth + 1
        key = (json.dumps(expr, default=str), base)
        entry = self._templates.get(key)
        if entry is None:
            entry = expansion_code(self.registry, self.limits, expr, base, name)
            if len(self._templates) >= _TEMPLATE_CACHE_SIZE:
                self._templates.clear()
            self._templates[key] = entry
        code, size = entry
        return run_expansion(run, frame, code.fn, base, name, size)


def _direct_entry(fn: Thunk, outside: Evaluate) -> Evaluate:
    """`evaluate` of a plain expression whose root has no entry of its own."""

    # Pass the options by keyword; they are not keyword-only because that costs the
    # commonest call, evaluate(scope), a sixth of its time.
    def evaluate(
        scope: Any = None, context: Any = None, now: Any = None, max_steps: Any = None
    ) -> Any:
        if max_steps is None and type(scope) is dict:
            return fn(scope)
        return outside(scope, context, now, max_steps)

    return evaluate


def expansion_code(
    registry: Registry, limits: Limits, expr: Any, base: int, name: str
) -> tuple[Code, int]:
    try:
        node = Checker(registry, limits, depth_base=base).check(expr)
        return Compiler(registry, limits).compile(node), node.size
    except TalangCheckError as error:
        raise FunctionError(
            f"template `{name}`: {error.message} (at {error.path} of its body)"
        ) from None


def run_expansion(run: Run, frame: Frame, fn: Thunk, base: int, name: str, size: int) -> Any:
    run.charge(size)
    saved = run.depth_base
    run.depth_base = base
    try:
        return fn(frame)
    except StepLimitError:
        raise
    except TalangRuntimeError as error:
        raise FunctionError(
            f"template `{name}`: {error.message} (at {error.path} of its body)"
        ) from None
    finally:
        run.depth_base = saved


def compile_expr(
    expr: Any, *, registry: Registry | None = None, limits: Limits | None = None
) -> Compiled:
    """Check and compile an expression (JSON form). Raises TalangCheckError."""
    registry = registry or default_registry()
    limits = limits or DEFAULT_LIMITS
    node = Checker(registry, limits).check(expr)
    code = Compiler(registry, limits).compile(node)
    return Compiled(expr, node, code, registry, limits)
