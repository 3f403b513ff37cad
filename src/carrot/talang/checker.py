"""The static checker: JSON form in, typed tree out, or a TalangCheckError with the path.

It resolves every function against the registry, binds arguments to a signature (arity,
block shapes, `kv` pairs), infers each node's possible kinds and rejects arguments whose
kinds can never fit. Both evaluators (compiler and walker) consume the typed tree.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from carrot.talang.builtins.templates import parse_template_signature
from carrot.talang.errors import TalangCheckError
from carrot.talang.registry import (
    BLOCK,
    EXPR,
    PAIR,
    TEMPLATE,
    FunctionDef,
    Overload,
    Param,
    Registry,
)
from carrot.talang.types import (
    ANY,
    BOOLEAN,
    DECIMAL,
    STRING,
    describe_value,
    kinds_name,
    kinds_phrase,
)

BLOCK_FUNCTION = "fn"
PLACEHOLDER_FUNCTION = "#"
BLOCK_EXAMPLE = '[["Item"], …], "Item", … or ["fn", "Item", …]'


@dataclass(frozen=True)
class Limits:
    """Bounds on what an expression may be and do."""

    max_depth: int = 64
    max_nodes: int = 10_000
    max_steps: int = 1_000_000


DEFAULT_LIMITS = Limits()


# ---- the typed tree ------------------------------------------------------------------


class Node:
    """A checked expression. `kinds` are the kinds it may produce."""

    __slots__ = ("depth", "expr", "kinds", "loops", "needs_run", "path", "size", "writes")

    def __init__(self, expr: Any, path: str, depth: int, kinds: int) -> None:
        self.expr = expr
        self.path = path
        self.depth = depth
        self.kinds = kinds
        self.size = 1
        self.writes = False
        self.needs_run = False
        self.loops = False


class Const(Node):
    __slots__ = ("value",)

    def __init__(self, expr: Any, path: str, depth: int, kinds: int, value: Any) -> None:
        super().__init__(expr, path, depth, kinds)
        self.value = value


class Seq(Node):
    """An unnamed block evaluated as a sequence: its last item's value."""

    __slots__ = ("items",)

    def __init__(self, expr: Any, path: str, depth: int, items: list[Node]) -> None:
        super().__init__(expr, path, depth, items[-1].kinds)
        self.items = items
        _absorb(self, items)


class Placeholder(Node):
    """`["#", i]` inside a template body."""

    __slots__ = ("index",)

    def __init__(self, expr: Any, path: str, depth: int, kinds: int, index: int) -> None:
        super().__init__(expr, path, depth, kinds)
        self.index = index


class BlockNode:
    __slots__ = ("body", "path", "var")

    def __init__(self, var: str, body: Node, path: str) -> None:
        self.var = var
        self.body = body
        self.path = path


class PairNode:
    __slots__ = ("key", "value")

    def __init__(self, key: str, value: Node) -> None:
        self.key = key
        self.value = value


class TemplateNode:
    __slots__ = ("body", "expr")

    def __init__(self, expr: Any, body: Node) -> None:
        self.expr = expr
        self.body = body


class ExprNode:
    __slots__ = ("expr", "node")

    def __init__(self, expr: Any, node: Node) -> None:
        self.expr = expr
        self.node = node


Arg = Node | BlockNode | PairNode | TemplateNode | ExprNode


class Call(Node):
    """A function call.

    `candidates` are the overloads that may apply and `params[i]` the parameters the
    arguments bind to under `candidates[i]`. `forms` gives each argument's form (shared
    by all candidates) and `positions` its index in the call's JSON list.
    """

    __slots__ = ("args", "candidates", "forms", "function", "params", "positions")

    def __init__(
        self,
        expr: Any,
        path: str,
        depth: int,
        kinds: int,
        function: FunctionDef,
        candidates: tuple[Overload, ...],
        params: tuple[tuple[Param, ...], ...],
        args: list[Arg],
        forms: tuple[str, ...],
        positions: tuple[int, ...],
    ) -> None:
        super().__init__(expr, path, depth, kinds)
        self.function = function
        self.candidates = candidates
        self.params = params
        self.args = args
        self.forms = forms
        self.positions = positions
        self.writes = function.writes
        self.needs_run = function.needs_run
        self.loops = function.loops
        _absorb(self, [_inner(arg) for arg in args])
        if function.loops and any(isinstance(a, BlockNode) and a.body.loops for a in args):
            self.needs_run = True  # nested loops share one budget


def _inner(arg: Arg) -> Node:
    if isinstance(arg, Node):
        return arg
    if isinstance(arg, BlockNode | TemplateNode):
        return arg.body
    if isinstance(arg, PairNode):
        return arg.value
    return arg.node


def _absorb(node: Node, children: list[Node]) -> None:
    for child in children:
        node.size += child.size
        node.writes = node.writes or child.writes
        node.needs_run = node.needs_run or child.needs_run
        node.loops = node.loops or child.loops


# ---- binding arguments to a signature ------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bound:
    form: str
    param: Param
    index: int  # position of the (first) argument in the call's JSON list
    var: str = ""
    body_index: tuple[int, ...] = ()


class _ShapeError(Exception):
    def __init__(self, index: int) -> None:
        self.index = index


def _bind(overload: Overload, args: list[Any]) -> list[_Bound] | None:
    """Match the call's arguments to the overload's parameters, or None if counts differ."""
    bound: list[_Bound] = []
    at = 0
    last = len(overload.params) - 1
    for position, param in enumerate(overload.params):
        repeating = overload.variadic and position == last
        while True:
            if at >= len(args):
                if repeating:
                    break
                return None
            if param.form == BLOCK:
                shape = _block_shape(args, at)
                if shape is None:
                    raise _ShapeError(at)
                var, body_index, used = shape
                bound.append(_Bound(BLOCK, param, at + 1, var, body_index))
                at += used
            else:
                bound.append(_Bound(param.form, param, at + 1))
                at += 1
            if not repeating:
                break
    if at < len(args):
        return None
    return bound


def _block_shape(args: list[Any], at: int) -> tuple[str, tuple[int, ...], int] | None:
    """(variable, JSON index of the body relative to the call, arguments used) or None."""
    arg = args[at]
    if isinstance(arg, list | tuple) and len(arg) == 2:
        head = arg[0]
        if isinstance(head, list | tuple) and len(head) == 1 and _is_name(head[0]):
            return head[0], (at + 1, 1), 1
    if (
        isinstance(arg, list | tuple)
        and len(arg) == 3
        and isinstance(arg[0], str)
        and arg[0].lower() == BLOCK_FUNCTION
    ):
        var = arg[1]
        if isinstance(var, list | tuple) and len(var) == 1:
            var = var[0]
        if _is_name(var):
            return var, (at + 1, 2), 1
    if _is_name(arg) and at + 1 < len(args):
        return arg, (at + 2,), 2
    return None


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and value != ""


# ---- the checker ---------------------------------------------------------------------


class Checker:
    def __init__(self, registry: Registry, limits: Limits = DEFAULT_LIMITS, depth_base: int = 0):
        self.registry = registry
        self.limits = limits
        self.depth_base = depth_base
        self.nodes = 0
        self.template_slots: list[tuple[tuple[int, ...], bool] | None] = []

    def check(self, expr: Any, path: str = "$") -> Node:
        return self.expr(expr, path, self.depth_base)

    def expr(self, expr: Any, path: str, depth: int) -> Node:
        if depth >= self.limits.max_depth:
            raise TalangCheckError(
                f"the expression nests deeper than {self.limits.max_depth} levels", path
            )
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise TalangCheckError(
                f"the expression has more than {self.limits.max_nodes} parts", path
            )
        if isinstance(expr, list | tuple):
            return self.list_expr(expr, path, depth)
        return self.literal(expr, path, depth)

    def literal(self, expr: Any, path: str, depth: int) -> Node:
        if isinstance(expr, bool):
            return Const(expr, path, depth, BOOLEAN, expr)
        if isinstance(expr, str):
            # Interned, as Python interns the constants of its own code: a path key or a
            # compared String is then often the very object of the scope's (a dict lookup
            # or `==` that stops at identity). A str subclass keeps its own object.
            value = sys.intern(expr) if type(expr) is str else expr
            return Const(expr, path, depth, STRING, value)
        if isinstance(expr, int | float | Decimal):
            number = Decimal(str(expr)) if isinstance(expr, float) else Decimal(expr)
            if not number.is_finite():
                raise TalangCheckError(f"{expr} is not a number Talang can hold", path)
            return Const(expr, path, depth, DECIMAL, number)
        if expr is None:
            raise TalangCheckError(
                'null is not a Talang value; write ["noop"] where you need Null', path
            )
        if isinstance(expr, dict):
            raise TalangCheckError(
                'a JSON object is not a Talang expression; build a Map with ["kv", ["Key", value]]',
                path,
            )
        raise TalangCheckError(f"a {type(expr).__name__} is not a Talang expression", path)

    def list_expr(self, expr: list[Any] | tuple[Any, ...], path: str, depth: int) -> Node:
        if not expr:
            raise TalangCheckError("an empty list [] is not an expression", path)
        head = expr[0]
        if isinstance(head, str):
            return self.call(expr, path, depth)
        if isinstance(head, list | tuple):
            items = [self.expr(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(expr)]
            return Seq(expr, path, depth, items)
        raise TalangCheckError(
            f"a list must start with a function name or a block, not {_json_kind(head)}",
            f"{path}[0]",
        )

    def call(self, expr: list[Any] | tuple[Any, ...], path: str, depth: int) -> Node:
        name: str = expr[0]
        args = list(expr[1:])
        if name == PLACEHOLDER_FUNCTION:
            return self.placeholder(expr, path, depth)
        function = self.registry.lookup(name)
        if function is None:
            raise TalangCheckError(self.unknown_function(name), f"{path}[0]")
        bindings: list[tuple[Overload, list[_Bound]]] = []
        shape_error: _ShapeError | None = None
        for candidate in function.overloads:
            try:
                bound = _bind(candidate, args)
            except _ShapeError as error:
                shape_error = shape_error or error
                continue
            if bound is not None:
                bindings.append((candidate, bound))
        if not bindings:
            if shape_error is not None:
                raise TalangCheckError(
                    f"`{function.name}` needs a block as argument {shape_error.index + 1}, "
                    f"written {BLOCK_EXAMPLE}",
                    f"{path}[{shape_error.index + 1}]",
                )
            raise TalangCheckError(arity_message(function, len(args)), path)
        forms = tuple(b.form for b in bindings[0][1])
        same_shape = [(o, b) for o, b in bindings if tuple(x.form for x in b) == forms]
        checked = [self.argument(expr, bound, path, depth) for bound in same_shape[0][1]]
        _distinct_keys(function, checked, same_shape[0][1], path)
        fitting = [(o, b) for o, b in same_shape if _fits(b, checked)]
        if not fitting:
            raise self.type_error(function, same_shape, checked)
        arg_kinds = [_kinds(arg) for arg in checked]
        kinds = 0
        for candidate, _ in fitting:
            kinds |= candidate.infer(arg_kinds) if candidate.infer else candidate.returns
        return Call(
            expr,
            path,
            depth,
            kinds,
            function,
            tuple(o for o, _ in fitting),
            tuple(tuple(x.param for x in b) for _, b in fitting),
            checked,
            forms,
            tuple(x.index for x in same_shape[0][1]),
        )

    def argument(self, expr: Any, bound: _Bound, path: str, depth: int) -> Arg:
        arg = expr[bound.index]
        arg_path = f"{path}[{bound.index}]"
        if bound.form == BLOCK:
            body_path = path + "".join(f"[{i}]" for i in bound.body_index)
            body_expr: Any = expr
            for i in bound.body_index:
                body_expr = body_expr[i]
            body = self.expr(body_expr, body_path, depth + len(bound.body_index))
            return BlockNode(bound.var, body, arg_path)
        if bound.form == PAIR:
            return self.pair(arg, arg_path, depth + 1)
        if bound.form == TEMPLATE:
            return self.template_body(expr, arg, arg_path, depth + 1)
        if bound.form == EXPR:
            return ExprNode(arg, self.expr(arg, arg_path, depth + 1))
        return self.expr(arg, arg_path, depth + 1)

    def pair(self, arg: Any, path: str, depth: int) -> PairNode:
        if not (isinstance(arg, list | tuple) and arg and isinstance(arg[0], str)):
            raise TalangCheckError('each argument of `kv` is a pair like ["Key", value]', path)
        if len(arg) == 1:
            raise TalangCheckError(f"the key `{arg[0]}` of `kv` has no value", path)
        if len(arg) > 2:
            raise TalangCheckError(
                f"the key `{arg[0]}` of `kv` has {len(arg) - 1} values; a key takes exactly one",
                path,
            )
        return PairNode(arg[0], self.expr(arg[1], f"{path}[1]", depth + 1))

    def template_body(self, call: Any, body: Any, path: str, depth: int) -> TemplateNode:
        slots: tuple[tuple[int, ...], bool] | None = None
        signature = call[1] if len(call) > 1 else None
        if isinstance(signature, str):
            try:
                parsed = parse_template_signature(signature)
            except ValueError as error:
                raise TalangCheckError(str(error), path[: path.rfind("[")] + "[1]") from None
            slots = (parsed.slots, parsed.variadic)
        self.template_slots.append(slots)
        try:
            node = self.expr(body, path, depth)
        finally:
            self.template_slots.pop()
        return TemplateNode(body, node)

    def placeholder(self, expr: list[Any] | tuple[Any, ...], path: str, depth: int) -> Node:
        if not self.template_slots:
            raise TalangCheckError(
                "`#` marks a template parameter and only works inside the body of setTemplate",
                f"{path}[0]",
            )
        index = _placeholder_index(expr)
        if index is None:
            raise TalangCheckError(
                "a template parameter is written `(# 0)`, `(# 1)`, … with a whole number", path
            )
        slots = self.template_slots[-1]
        kinds = ANY
        if slots is not None:
            kinds_list, variadic = slots
            if index < len(kinds_list):
                kinds = kinds_list[index]
            elif variadic and kinds_list:
                kinds = kinds_list[-1]
            else:
                raise TalangCheckError(
                    f"the template has {len(kinds_list)} parameter"
                    f"{'s' if len(kinds_list) != 1 else ''}; (# {index}) is not one of them",
                    path,
                )
        return Placeholder(expr, path, depth, kinds, index)

    def unknown_function(self, name: str) -> str:
        names = self.registry.names()
        lowered = {n.lower(): n for n in names}
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.7)
        hint = f"; did you mean `{lowered[close[0]]}`?" if close else ""
        return f"there is no function `{name}`{hint}"

    def type_error(
        self,
        function: FunctionDef,
        bindings: list[tuple[Overload, list[_Bound]]],
        checked: list[Arg],
    ) -> TalangCheckError:
        # Blame the argument where the most promising overload first fails.
        worst = max(_first_misfit(b, checked) for _, b in bindings)
        expected = 0
        for _overload, bound in bindings:
            if _first_misfit(bound, checked) >= worst:
                expected |= bound[worst].param.kinds
        arg = checked[worst]
        position = bindings[0][1][worst].index
        if isinstance(arg, BlockNode):
            return TalangCheckError(
                f"the block of `{function.name}` must give {kinds_phrase(expected)}, "
                f"got {describe_node(arg.body)}",
                arg.body.path,
            )
        node = _inner(arg)
        return TalangCheckError(
            f"`{function.name}` argument {position} must be {kinds_phrase(expected)}, "
            f"got {describe_node(node)}",
            node.path,
        )


def _distinct_keys(
    function: FunctionDef, checked: list[Arg], bound: list[_Bound], path: str
) -> None:
    seen: set[str] = set()
    for arg, b in zip(checked, bound, strict=True):
        if isinstance(arg, PairNode):
            if arg.key in seen:
                raise TalangCheckError(
                    f"`{function.name}` has the key `{arg.key}` twice", f"{path}[{b.index}]"
                )
            seen.add(arg.key)


def _kinds(arg: Arg) -> int:
    if isinstance(arg, BlockNode):
        return arg.body.kinds
    if isinstance(arg, ExprNode):
        return arg.node.kinds
    if isinstance(arg, Node):
        return arg.kinds
    return ANY


def _fits(bound: list[_Bound], checked: list[Arg]) -> bool:
    return _first_misfit(bound, checked) == len(checked)


def _first_misfit(bound: list[_Bound], checked: list[Arg]) -> int:
    for index, (b, arg) in enumerate(zip(bound, checked, strict=True)):
        if b.form in (PAIR, TEMPLATE, EXPR):
            continue
        if not _kinds(arg) & b.param.kinds:
            return index
    return len(checked)


def _placeholder_index(expr: list[Any] | tuple[Any, ...]) -> int | None:
    if len(expr) != 2:
        return None
    raw = expr[1]
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int) and raw >= 0:
        return raw
    if isinstance(raw, Decimal) and raw == raw.to_integral_value() and raw >= 0:
        return int(raw)
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    return None


def describe_node(node: Node) -> str:
    """What a node gives, for messages: `the String "abc"`, `a Decimal from `+``."""
    if isinstance(node, Const):
        return describe_value(node.value)
    if isinstance(node, Call):
        return f"{_article(node.kinds)} from `{node.function.name}`"
    return _article(node.kinds)


def _article(kinds: int) -> str:
    return "a value of any kind" if kinds == ANY else f"a {kinds_name(kinds)}"


def arity_message(function: FunctionDef, count: int) -> str:
    got = f"got {count}"
    if any(p.form == BLOCK for o in function.overloads for p in o.params):
        shapes = " or ".join(f"({_param_list(o)})" for o in function.overloads)
        return f"`{function.name}` takes {shapes}; {got} arguments"
    fixed = sorted({o.min_args for o in function.overloads if not o.variadic})
    at_least = [o.min_args for o in function.overloads if o.variadic]
    if at_least and not fixed:
        least = min(at_least)
        return f"`{function.name}` takes at least {least} argument{_s(least)}, {got}"
    counts = [str(n) for n in fixed]
    if at_least:
        counts.append(f"at least {min(at_least)}")
    text = " or ".join(counts)
    plural = _s(fixed[-1]) if len(counts) == 1 else "s"
    return f"`{function.name}` takes {text} argument{plural}, {got}"


def _param_list(overload: Overload) -> str:
    names = [p.describe() for p in overload.params]
    if overload.variadic:
        names[-1] += "..."
    return ", ".join(names)


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return f"the number {value}"
    if isinstance(value, dict):
        return "a JSON object"
    return f"a {type(value).__name__}"
