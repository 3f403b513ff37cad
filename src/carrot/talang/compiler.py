"""The compiler: a checked tree becomes nested Python closures, compiled once and then
evaluated many times. No source code is generated and nothing is `eval`-ed.

Every closure takes a frame (a dict of bindings, see runtime.py) and returns a value.
Constant parts are computed at compile time; a constant part that always fails is reported
as a check error, unless it sits inside `catch` or `.|`, which exist to recover from
failures. The shapes that rules are mostly made of get closures of their own: reading a
path with fixed keys, `and`/`or` of Booleans, comparing or combining two values, and
checking whether a list holds a given value.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from carrot.talang.builtins.compare import same
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
    STYLE_VALUES,
    TEMPLATE,
    Overload,
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
    lookup,
)
from carrot.talang.types import (
    ATOM,
    BOOLEAN,
    DECIMAL,
    DECIMAL_CONTEXT,
    LIST,
    MAP,
    NULL,
    STRING,
    TIME,
    kind_of,
    to_plain,
    to_value,
    value_text,
)

_EXACT_TYPES = {DECIMAL: Decimal, STRING: str, BOOLEAN: bool, LIST: list, MAP: dict}
_SCALARS = DECIMAL | STRING | BOOLEAN | TIME
_ORDERINGS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
_ARITHMETIC = {
    "+": DECIMAL_CONTEXT.add,
    "-": DECIMAL_CONTEXT.subtract,
    "*": DECIMAL_CONTEXT.multiply,
}
_EMPTY_SCOPE: Frame = {}
_TEMPLATE_CACHE_SIZE = 128


@dataclass(frozen=True, slots=True)
class Code:
    """A compiled node: its closure and, if it is constant, its value."""

    fn: Thunk
    const: bool = False
    value: Any = None


def _constant(value: Any) -> Code:
    def constant(frame: Frame) -> Any:
        return value

    return Code(constant, True, value)


class Compiler:
    """Compiles checked nodes. With `report_constant_failures=False`, a constant part that
    fails is left to fail at run time (the property tests compare evaluators that way)."""

    def __init__(
        self, registry: Registry, limits: Limits, report_constant_failures: bool = True
    ) -> None:
        self.registry = registry
        self.limits = limits
        self.report_constant_failures = report_constant_failures

    def compile(self, node: Node, recovering: bool = False) -> Code:
        if isinstance(node, Const):
            return _constant(node.value)
        if isinstance(node, Seq):
            return self.sequence(node, recovering)
        if isinstance(node, Call):
            return self.call(node, recovering)
        raise TalangCheckError("a template parameter `#` cannot be evaluated here", node.path)

    def sequence(self, node: Seq, recovering: bool) -> Code:
        codes = [self.compile(item, recovering) for item in node.items]
        if all(code.const for code in codes):
            return _constant(codes[-1].value)
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
        fn = self.specialised(node, args) or self.generic(node, args)
        if self.foldable(node, args):
            return self.fold(node, fn, recovering)
        return Code(fn)

    def argument(self, arg: Any, form: str, recovering: bool) -> Any:
        if form == BLOCK:
            assert isinstance(arg, BlockNode)
            return BlockArg(arg.var, self.compile(arg.body, recovering).fn, arg.body.size)
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

    def foldable(self, node: Call, args: list[Any]) -> bool:
        function = node.function
        if not function.pure or function.needs_run or function.writes:
            return False
        return all(isinstance(arg, Code | _Lazy | _Pair) and _code(arg).const for arg in args)

    def fold(self, node: Call, fn: Thunk, recovering: bool) -> Code:
        try:
            return _constant(fn({}))
        except StepLimitError:
            raise
        except TalangRuntimeError as error:
            if recovering or not self.report_constant_failures:
                return Code(fn)
            raise TalangCheckError(error.message, error.path) from None

    def generic(self, node: Call, args: list[Any]) -> Thunk:
        name, path = node.function.name, node.path
        values = [_runtime_arg(arg) for arg in args]
        if len(node.candidates) == 1:
            overload = node.candidates[0]
            checks = _needed_checks(node, args)
            if overload.style == STYLE_VALUES and not node.function.host:
                return _values_call(node, overload, values, checks)
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

    def specialised(self, node: Call, args: list[Any]) -> Thunk | None:
        key = node.function.key
        if key == "." and all(isinstance(a, Code) and a.const for a in args):
            keys = [_key_text(a.value) for a in args]
            if keys is not None and all(k is not None for k in keys):
                return path_reader([k for k in keys if k is not None], node.path)
        if key in ("and", "or") and all(isinstance(a, _Lazy) for a in args):
            return _logic(key, node, [a.code for a in args])
        if len(node.candidates) != 1 or len(args) != 2 or node.function.host:
            return None
        if not all(isinstance(a, Code) for a in args):
            if key == "exists":
                return _membership(node, args)
            return None
        overload = node.candidates[0]
        left, right = args
        if key in _ORDERINGS:
            return _ordering(node, overload, _ORDERINGS[key], left, right)
        if key in _ARITHMETIC and overload.returns == DECIMAL:
            return _arithmetic(node, _ARITHMETIC[key], left, right)
        if key in ("=", "!="):
            return _equality(node, key == "=", left, right)
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


def _needed_checks(node: Call, args: list[Any]) -> list[tuple[int, int]]:
    """(argument index, kinds) for each value argument the checker could not prove."""
    params = node.params[0]
    checks = []
    for index, (arg, form) in enumerate(zip(node.args, node.forms, strict=True)):
        if form != "value" or not isinstance(arg, Node):
            continue
        if arg.kinds & ~params[index].kinds:
            checks.append((index, params[index].kinds))
    return checks


def _mismatch(node: Call, values: list[Any]) -> TalangRuntimeError:
    try:
        select(node, values)
    except FunctionError as error:
        return error.at(node.path)
    return TalangRuntimeError("internal error: no mismatch found", node.path)


def _fits(value: Any, kinds: int) -> bool:
    return bool(kind_of(value) & kinds)


def _values_call(
    node: Call, overload: Overload, values: list[Any], checks: list[tuple[int, int]]
) -> Thunk:
    impl = overload.impl
    name, path = node.function.name, node.path
    fns = tuple(value.fn for value in values)

    def verify(evaluated: list[Any]) -> None:
        for index, kinds in checks:
            if not _fits(evaluated[index], kinds):
                raise _mismatch(node, evaluated)

    if len(fns) == 1 and not checks:
        (only,) = fns

        def call1(frame: Frame) -> Any:
            try:
                return impl(only(frame))
            except FunctionError as error:
                raise error.at(path) from None
            except ArithmeticError as error:
                raise arithmetic_error(name, error, path) from None

        return call1

    if len(fns) == 2 and not checks:
        first, second = fns

        def call2(frame: Frame) -> Any:
            try:
                return impl(first(frame), second(frame))
            except FunctionError as error:
                raise error.at(path) from None
            except ArithmeticError as error:
                raise arithmetic_error(name, error, path) from None

        return call2

    if not checks:

        def call(frame: Frame) -> Any:
            try:
                return impl(*[fn(frame) for fn in fns])
            except FunctionError as error:
                raise error.at(path) from None
            except ArithmeticError as error:
                raise arithmetic_error(name, error, path) from None

        return call

    def checked_call(frame: Frame) -> Any:
        evaluated = [fn(frame) for fn in fns]
        verify(evaluated)
        try:
            return impl(*evaluated)
        except FunctionError as error:
            raise error.at(path) from None
        except ArithmeticError as error:
            raise arithmetic_error(name, error, path) from None

    return checked_call


def path_reader(keys: list[str], path: str) -> Thunk:
    """`(. k1 k2 …)` with fixed keys: dict lookups, no loop for the common depths."""
    first = keys[0]
    rest = tuple(keys[1:])

    def missing(frame: Frame) -> TalangRuntimeError:
        try:
            lookup(frame, keys)
        except FunctionError as error:
            return error.at(path)
        return TalangRuntimeError("internal error: the path was found after all", path)

    if not rest:

        def read1(frame: Frame) -> Any:
            value: Any = frame.get(first)
            kind = type(value)
            if kind is str or kind is bool or kind is dict or kind is list:
                return value
            if kind is Decimal and value.is_finite():
                return value
            if value is None:
                raise missing(frame)
            return _normalise(value, path)

        return read1

    if len(rest) == 1:
        (second,) = rest

        def read2(frame: Frame) -> Any:
            outer: Any = frame.get(first)
            if type(outer) is dict:
                value: Any = outer.get(second)
                kind = type(value)
                if kind is str or kind is bool or kind is dict or kind is list:
                    return value
                if kind is Decimal and value.is_finite():
                    return value
                if value is not None:
                    return _normalise(value, path)
            elif outer is not None and isinstance(outer, Mapping):
                value = outer.get(second)
                if value is not None:
                    return _normalise(value, path)
            raise missing(frame)

        return read2

    def read(frame: Frame) -> Any:
        value: Any = frame.get(first)
        for key in rest:
            if type(value) is not dict and not isinstance(value, Mapping):
                raise missing(frame)
            value = value.get(key)
        if value is None:
            raise missing(frame)
        return _normalise(value, path)

    return read


def _normalise(value: Any, path: str) -> Any:
    try:
        return to_value(value)
    except FunctionError as error:
        raise error.at(path) from None


def _logic(key: str, node: Call, codes: list[Code]) -> Thunk | None:
    """Short-circuit `and`/`or` of arguments proven Boolean (others take the general path)."""
    if not all(isinstance(arg, Node) and arg.kinds == BOOLEAN for arg in node.args):
        return None
    fns = tuple(code.fn for code in codes)
    if key == "and":
        if len(fns) == 2:
            first, second = fns
            return lambda frame: first(frame) and second(frame)

        def all_true(frame: Frame) -> bool:
            return all(fn(frame) for fn in fns)

        return all_true
    if len(fns) == 2:
        first, second = fns
        return lambda frame: first(frame) or second(frame)

    def any_true(frame: Frame) -> bool:
        return any(fn(frame) for fn in fns)

    return any_true


def _exact_type(node: Node, kinds: int) -> type | None:
    """The one Python type an argument must have, or None if it is already proven."""
    if not node.kinds & ~kinds:
        return None
    return _EXACT_TYPES.get(kinds, datetime)


def _ordering(
    node: Call, overload: Overload, compare: Callable[[Any, Any], bool], left: Code, right: Code
) -> Thunk:
    params = node.params[0]
    left_node, right_node = node.args
    assert isinstance(left_node, Node) and isinstance(right_node, Node)
    left_type = _exact_type(left_node, params[0].kinds)
    right_type = _exact_type(right_node, params[1].kinds)
    name, path = node.function.name, node.path
    left_fn, right_fn = left.fn, right.fn

    if right.const:
        bound = right.value

        def against_constant(frame: Frame) -> bool:
            value = left_fn(frame)
            if left_type is not None and type(value) is not left_type:
                raise _mismatch(node, [value, bound])
            try:
                return compare(value, bound)
            except ArithmeticError as error:
                raise arithmetic_error(name, error, path) from None

        return against_constant

    def ordering(frame: Frame) -> bool:
        a = left_fn(frame)
        b = right_fn(frame)
        if (left_type is not None and type(a) is not left_type) or (
            right_type is not None and type(b) is not right_type
        ):
            raise _mismatch(node, [a, b])
        try:
            return compare(a, b)
        except ArithmeticError as error:
            raise arithmetic_error(name, error, path) from None

    return ordering


def _arithmetic(node: Call, combine: Callable[[Any, Any], Any], left: Code, right: Code) -> Thunk:
    name, path = node.function.name, node.path
    left_fn, right_fn = left.fn, right.fn

    def arithmetic(frame: Frame) -> Any:
        a = left_fn(frame)
        b = right_fn(frame)
        if type(a) is not Decimal or type(b) is not Decimal:
            raise _mismatch(node, [a, b])
        try:
            return combine(a, b)
        except ArithmeticError as error:
            raise arithmetic_error(name, error, path) from None

    return arithmetic


def _equality(node: Call, positive: bool, left: Code, right: Code) -> Thunk:
    left_fn, right_fn = left.fn, right.fn
    left_node, right_node = node.args
    assert isinstance(left_node, Node) and isinstance(right_node, Node)
    unproven = bool(left_node.kinds & ~ATOM or right_node.kinds & ~ATOM)

    def atoms(a: Any, b: Any) -> None:
        if type(a) is list or type(a) is dict or type(b) is list or type(b) is dict:
            raise _mismatch(node, [a, b])

    if right.const and type(right.value) is str:
        text = right.value

        def equals_text(frame: Frame) -> bool:
            value = left_fn(frame)
            if type(value) is str:
                return (value == text) is positive
            if unproven:
                atoms(value, text)
            return same(value, text) is positive

        return equals_text

    def equality(frame: Frame) -> bool:
        a = left_fn(frame)
        b = right_fn(frame)
        if unproven:
            atoms(a, b)
        try:
            return same(a, b) is positive
        except FunctionError as error:
            raise error.at(node.path) from None

    return equality


def _membership(node: Call, args: list[Any]) -> Thunk | None:
    """`(exists LIST x (= (. x) "CODE"))`: is the code in the list?"""
    block = node.args[1]
    if not isinstance(block, BlockNode) or not isinstance(args[0], Code):
        return None
    body = block.body
    if not (isinstance(body, Call) and body.function.key == "=" and len(body.args) == 2):
        return None
    read, wanted = body.args
    if not (
        isinstance(read, Call)
        and read.function.key == "."
        and len(read.args) == 1
        and isinstance(read.args[0], Const)
        and read.args[0].value == block.var
        and isinstance(wanted, Const)
        and type(wanted.value) is str
    ):
        return None
    text: str = wanted.value
    list_fn = args[0].fn
    list_node = node.args[0]
    assert isinstance(list_node, Node)
    cost = body.size
    path = node.path

    def contains(frame: Frame) -> bool:
        values = list_fn(frame)
        if type(values) is not list:
            raise _mismatch(node, [values, None])
        run: Run = frame[RUN]
        try:
            run.charge(len(values) * cost)
        except FunctionError as error:
            raise error.at(path) from None
        for value in values:
            if type(value) is str:
                if value == text:
                    return True
                continue
            try:
                value = to_value(value)
            except FunctionError as error:
                raise error.at(path) from None
            if value is None:
                raise TalangRuntimeError(f"`{block.var}` is not set", read.path)
            if type(value) is list or type(value) is dict:
                raise _mismatch(body, [value, text])
            if same(value, text):
                return True
        return False

    return contains


# ---- the public face -----------------------------------------------------------------


class Compiled:
    """An expression compiled once, ready to evaluate many times (thread-safe)."""

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

    @property
    def result_kinds(self) -> int:
        """The kinds the expression can give (bit flags of carrot.talang.types)."""
        return self.node.kinds

    def evaluate(
        self,
        scope: Mapping[str, Any] | None = None,
        *,
        context: Any = None,
        now: datetime | None = None,
        max_steps: int | None = None,
    ) -> Any:
        """Evaluate with `scope` as the bindings. Returns a plain Python value."""
        frame = self.frame(scope, context, now, max_steps)
        result = self._fn(frame)
        return to_plain(result) if self._convert else result

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
        if self._plain:
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
