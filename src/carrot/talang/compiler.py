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
    charge_loop,
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
_ZERO = Decimal(0)


class _NoKind:
    """A type no value has: `type(x) is _NO_KIND` is always false."""


_NO_KIND = _NoKind
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
        # While compiling a block body that reads only its item, the item's variable: the
        # body's closures then take the item itself instead of a frame.
        self.item_var: str | None = None

    def compile(self, node: Node, recovering: bool = False) -> Code:
        if isinstance(node, Const):
            return _constant(node.value)
        if isinstance(node, Seq):
            return self.sequence(node, recovering)
        if isinstance(node, Call):
            return self.call(node, recovering)
        # Placeholders live only in template bodies, which are substituted, never compiled.
        raise AssertionError(f"cannot compile {type(node).__name__} at {node.path}")

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
        takes_item = _reads_only_item(arg.body, arg.var)
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
            if all(k is not None for k in keys):
                fixed = [k for k in keys if k is not None]
                if self.item_var is not None and fixed[0] == self.item_var:
                    return item_reader(fixed, node.path)
                return path_reader(fixed, node.path)
        if key in ("and", "or") and all(isinstance(a, _Lazy) for a in args):
            return _logic(key, node, [a.code for a in args])
        if len(node.candidates) != 1 or len(args) != 2 or node.function.host:
            return None
        if not all(isinstance(a, Code) for a in args):
            return _fast_loop(self, node, args)
        left, right = args
        left_read, right_read = (_direct_read(arg, self.item_var) for arg in node.args)
        if key in _ORDERINGS:
            return _ordering(node, _ORDERINGS[key], left, right, left_read)
        if key in _ARITHMETIC and node.candidates[0].returns == DECIMAL:
            return _arithmetic(node, _ARITHMETIC[key], left, right, left_read, right_read)
        if key in ("=", "!="):
            return _equality(node, key == "=", left, right, left_read)
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


def item_reader(keys: list[str], path: str) -> Callable[[Any], Any]:
    """`(. Item k …)` in a body compiled to take the item itself."""
    var, rest = keys[0], tuple(keys[1:])

    def missing(item: Any) -> TalangRuntimeError:
        try:
            lookup({var: item}, keys)
        except FunctionError as error:
            return error.at(path)
        return TalangRuntimeError("internal error: the path was found after all", path)

    def read_item(item: Any) -> Any:
        value = item
        for key in rest:
            if type(value) is not dict:
                raise missing(item)
            value = value.get(key)
        if value is None:
            raise missing(item)
        return _normalise(value, path)

    return read_item


def _reads_only_item(node: Node, var: str) -> bool:
    """Does this block body read nothing but its item (and need no frame at all)?"""
    if isinstance(node, Const):
        return True
    if isinstance(node, Seq):
        return all(_reads_only_item(item, var) for item in node.items)
    if not isinstance(node, Call):
        return False
    key = node.function.key
    if key == ".":
        return all(isinstance(a, Const) and type(a.value) is str for a in node.args) and (
            isinstance(node.args[0], Const) and node.args[0].value == var
        )
    if key not in ("and", "or") and any(c.style != STYLE_VALUES for c in node.candidates):
        return False
    return all(isinstance(arg, Node) and _reads_only_item(arg, var) for arg in node.args)


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


# What makes a fused closure hand over to the general one: a missing key, a container that
# is not a Map, NaN in a comparison.
_UNUSUAL = (KeyError, TypeError, IndexError, ArithmeticError)

# A direct read is a path of two fixed keys: (first key, last key), where a first key of
# None means the closure's argument is the item itself. The fused closures below read such
# paths inline and hand anything unusual (missing keys, raw scope values, NaN) to the
# general closure, which raises exactly the error the tree walk raises.
DirectRead = tuple[str | None, str]


def _direct_read(node: Any, item_var: str | None) -> DirectRead | None:
    if not (isinstance(node, Call) and node.function.key == "." and len(node.args) == 2):
        return None
    keys = [arg.value if isinstance(arg, Const) else None for arg in node.args]
    first, last = keys
    if type(first) is not str or type(last) is not str:
        return None
    if item_var is not None:
        return (None, last) if first == item_var else None
    return first, last


def _ordering(
    node: Call,
    compare: Callable[[Any, Any], bool],
    left: Code,
    right: Code,
    read: DirectRead | None,
) -> Thunk:
    params = node.params[0]
    left_node, right_node = node.args
    assert isinstance(left_node, Node) and isinstance(right_node, Node)
    left_type = _exact_type(left_node, params[0].kinds)
    right_type = _exact_type(right_node, params[1].kinds)
    name, path = node.function.name, node.path
    left_fn, right_fn = left.fn, right.fn

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

    if not right.const or left_type is None or read is None:
        return ordering
    return _against_constant(read, compare, right.value, left_type, ordering)


def _against_constant(
    read: DirectRead,
    compare: Callable[[Any, Any], bool],
    bound: Any,
    expected: type,
    general: Thunk,
) -> Thunk:
    """`(> (. Session Total) 100)`, `(= (. Item Category) "shoes")`: the path read inline
    and compared with the constant when it holds a value of the expected type; anything
    else goes to the general closure."""
    first, last = read
    if first is None:

        def item_against_constant(item: Any) -> Any:
            try:
                value = item[last]
                if type(value) is expected:
                    return compare(value, bound)
            except _UNUSUAL:
                pass
            return general(item)

        return item_against_constant

    def path_against_constant(frame: Frame) -> Any:
        try:
            value = frame[first][last]
            if type(value) is expected:
                return compare(value, bound)
        except _UNUSUAL:
            pass
        return general(frame)

    return path_against_constant


def _arithmetic(
    node: Call,
    combine: Callable[[Any, Any], Any],
    left: Code,
    right: Code,
    left_read: DirectRead | None,
    right_read: DirectRead | None,
) -> Thunk:
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

    if left_read is None or right_read is None or left_read[0] != right_read[0]:
        return arithmetic
    source, (_, left_key), (_, right_key) = left_read[0], left_read, right_read

    def combined(a: Any, b: Any) -> Any:
        # Raw ints from the scope combine exactly as their Decimal would.
        kind_a, kind_b = type(a), type(b)
        if (kind_a is Decimal or kind_a is int) and (kind_b is Decimal or kind_b is int):
            try:
                result = combine(a, b)
            except ArithmeticError:
                return None
            if result.is_finite():
                return result
        return None

    if source is None:

        def item_arithmetic(item: Any) -> Any:
            if type(item) is dict:
                result = combined(item.get(left_key), item.get(right_key))
                if result is not None:
                    return result
            return arithmetic(item)

        return item_arithmetic

    def path_arithmetic(frame: Frame) -> Any:
        outer = frame.get(source)
        if type(outer) is dict:
            result = combined(outer.get(left_key), outer.get(right_key))
            if result is not None:
                return result
        return arithmetic(frame)

    return path_arithmetic


def _equality(
    node: Call, positive: bool, left: Code, right: Code, read: DirectRead | None
) -> Thunk:
    left_fn, right_fn = left.fn, right.fn
    left_node, right_node = node.args
    assert isinstance(left_node, Node) and isinstance(right_node, Node)
    unproven = bool(left_node.kinds & ~ATOM or right_node.kinds & ~ATOM)

    def equality(frame: Frame) -> bool:
        a = left_fn(frame)
        b = right_fn(frame)
        if unproven and (type(a) is list or type(a) is dict or type(b) is list or type(b) is dict):
            raise _mismatch(node, [a, b])
        try:
            return same(a, b) is positive
        except FunctionError as error:
            raise error.at(node.path) from None

    if not (right.const and type(right.value) is str and read is not None):
        return equality
    compare = operator.eq if positive else operator.ne
    return _against_constant(read, compare, right.value, str, equality)


# ---- loops over simple item blocks ---------------------------------------------------
#
# `filter`, `exists` and `every` whose block compares the item (or one field of it) with a
# constant, and `sum` whose block reads a number field or multiplies two, run as one loop
# without a call per item. An item the loop cannot judge on the spot (a missing field, a
# raw value, NaN) goes through the compiled block, so results and errors stay exactly those
# of the builtin.

_PREDICATES: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    **_ORDERINGS,
}


@dataclass(frozen=True, slots=True)
class _ItemTest:
    key: str | None  # None: the item itself
    compare: Callable[[Any, Any], bool]
    constant: Any
    numeric: bool


@dataclass(frozen=True, slots=True)
class _ItemNumber:
    left: str
    right: str | None  # None: the number is just the `left` field
    combine: Callable[[Any, Any], Any] | None


def _item_key(node: Any, var: str) -> tuple[bool, str | None]:
    """(is `(. var)` or `(. var key)`, the key)."""
    if not (isinstance(node, Call) and node.function.key == "." and 1 <= len(node.args) <= 2):
        return False, None
    keys = [arg.value if isinstance(arg, Const) else None for arg in node.args]
    if keys[0] != var or not all(type(k) is str for k in keys):
        return False, None
    return True, keys[1] if len(keys) == 2 else None


def _item_test(body: Node, var: str) -> _ItemTest | None:
    if not (isinstance(body, Call) and body.function.key in _PREDICATES and len(body.args) == 2):
        return None
    read, constant = body.args
    found, key = _item_key(read, var)
    if not found or not isinstance(constant, Const) or len(body.candidates) != 1:
        return None
    value = constant.value
    ordering = body.function.key in _ORDERINGS
    if type(value) is Decimal:
        return _ItemTest(key, _PREDICATES[body.function.key], value, True)
    if type(value) is str and not ordering:
        return _ItemTest(key, _PREDICATES[body.function.key], value, False)
    return None


def _item_number(body: Node, var: str) -> _ItemNumber | None:
    found, key = _item_key(body, var)
    if found and key is not None:
        return _ItemNumber(key, None, None)
    if not (
        isinstance(body, Call)
        and body.function.key in _ARITHMETIC
        and len(body.args) == 2
        and len(body.candidates) == 1
        and body.candidates[0].returns == DECIMAL
    ):
        return None
    (left_found, left), (right_found, right) = (_item_key(arg, var) for arg in body.args)
    if not (left_found and right_found and left is not None and right is not None):
        return None
    return _ItemNumber(left, right, _ARITHMETIC[body.function.key])


def _fast_loop(compiler: Compiler, node: Call, args: list[Any]) -> Thunk | None:
    key = node.function.key
    if key not in ("filter", "exists", "every", "sum") or len(args) != 2:
        return None
    listed, block = args
    block_node, list_node = node.args[1], node.args[0]
    if not (isinstance(listed, Code) and isinstance(block, BlockArg) and block.takes_item):
        return None
    assert isinstance(block_node, BlockNode)
    source = _Source(node, _list_reader(list_node, listed.fn), block)
    if key == "sum":
        number = _item_number(block_node.body, block.var)
        if number is None:
            return None
        summing = _summing_loop(source, number)
        return _filtered_sum(compiler, node, list_node, number, summing) or summing
    test = _item_test(block_node.body, block.var)
    return None if test is None else _testing_loop(source, key, test)


def _filtered_sum(
    compiler: Compiler, node: Call, list_node: Any, number: _ItemNumber, unfused: Thunk
) -> Thunk | None:
    """`(sum (filter LIST i (= (. i Field) "text")) i (* (. i A) (. i B)))` in one pass,
    the way the total of a category is written. The pass runs only while every item is
    ordinary; at the first that is not, the unfused filter and sum run instead, so errors
    and their order are theirs. The steps of both loops are charged as they would be."""
    if not (isinstance(list_node, Call) and list_node.function.key == "filter"):
        return None
    inner_list, inner_block = list_node.args
    if not (isinstance(inner_list, Node) and isinstance(inner_block, BlockNode)):
        return None
    test = _item_test(inner_block.body, inner_block.var)
    if test is None or test.key is None or test.numeric or number.combine is None:
        return None
    if not _reads_only_item(inner_block.body, inner_block.var):
        return None
    read = _list_reader(inner_list, compiler.compile(inner_list).fn)
    field, constant, positive = test.key, test.constant, test.compare is operator.eq
    left, right, combine = number.left, number.right, number.combine
    filter_cost, sum_cost = inner_block.body.size, node.args[1]
    assert isinstance(sum_cost, BlockNode)
    each, limit = sum_cost.body.size, compiler.limits.max_steps
    filter_path, sum_path = list_node.path, node.path
    add = DECIMAL_CONTEXT.add

    def filtered_sum(frame: Frame) -> Any:
        values = read(frame)
        if type(values) is not list:
            return unfused(frame)
        total, count = _ZERO, 0
        try:
            for value in values:
                found = value[field]
                if found.__class__ is not str:
                    return unfused(frame)
                if (found == constant) is positive:
                    a, b = value[left], value[right]
                    # The context refuses anything but Decimals and ints (TypeError);
                    # Booleans, which Python counts as ints, are turned away here.
                    if a is True or a is False or b is True or b is False:
                        return unfused(frame)
                    total = add(total, combine(a, b))
                    count += 1
        except _UNUSUAL:
            return unfused(frame)
        if not total.is_finite():  # a NaN or an infinity came in: let the builtins say so
            return unfused(frame)
        for amount, path in ((len(values) * filter_cost, filter_path), (count * each, sum_path)):
            try:
                charge_loop(frame, amount, limit)
            except FunctionError as error:
                raise error.at(path) from None
        return total

    return filtered_sum


def _list_reader(node: Any, fallback: Thunk) -> Thunk:
    """The list argument: read inline when it is a two-key path, else its own closure."""
    read = _direct_read(node, None)
    if read is None or read[0] is None:
        return fallback
    first, last = read

    def read_list(frame: Frame) -> Any:
        try:
            values = frame[first][last]
            if type(values) is list:
                return values
        except _UNUSUAL:
            pass
        return fallback(frame)

    return read_list


class _Source:
    """Where a fast loop gets its items: reads the list, checks it, charges the loop.
    `direct` is the list's path when it is two fixed keys."""

    __slots__ = ("block", "cost", "direct", "limit", "node", "path", "read")

    def __init__(self, node: Call, read: Thunk, block: BlockArg) -> None:
        self.node, self.read, self.block = node, read, block
        self.path, self.cost, self.limit = node.path, block.cost, block.limit
        read_path = _direct_read(node.args[0], None)
        self.direct = read_path if read_path is not None and read_path[0] is not None else None

    def values(self, frame: Frame) -> list[Any]:
        values = self.read(frame)
        if type(values) is not list:
            raise _mismatch(self.node, [values, None])
        amount = len(values) * self.cost
        if amount > self.limit or RUN in frame:
            try:
                charge_loop(frame, amount, self.limit)
            except FunctionError as error:
                raise error.at(self.path) from None
        return values


def _is_number(value: Any) -> bool:
    kind = type(value)
    return kind is int or (kind is Decimal and bool(value.is_finite()))


def _testing_loop(source: _Source, key: str, test: _ItemTest) -> Thunk:
    from carrot.talang.builtins.lists import predicate_error

    field, compare, constant, numeric = test.key, test.compare, test.constant, test.numeric
    apply, path, name = source.block.body, source.path, source.node.function.name

    def judge(value: Any) -> tuple[Any, bool]:
        """The normalised item and the block's verdict on it, the general way."""
        try:
            item = to_value(value)
        except FunctionError as error:
            raise error.at(path) from None
        result = apply(item)
        if result is True or result is False:
            return item, result
        raise predicate_error(name, result).at(path)

    def probe(value: Any) -> Any:
        """What the block compares, or _NO_KIND when the item needs judging."""
        if field is not None:
            try:
                value = value[field]
            except _UNUSUAL:
                return _NO_KIND
        if numeric:
            return value if _is_number(value) else _NO_KIND
        return value if type(value) is str else _NO_KIND

    if key == "filter" and field is not None and not numeric:
        # The commonest filter, a field against a String (`(= (. Item Category) "shoes")`),
        # written out without a call per item.
        positive = compare is operator.eq

        def filtering_text(frame: Frame) -> list[Any]:
            kept: list[Any] = []
            keep = kept.append
            for value in source.values(frame):
                try:
                    found = value[field]
                except _UNUSUAL:
                    found = None
                if type(found) is str:
                    if (found == constant) is positive:
                        keep(value if type(value) is dict else to_value(value))
                else:
                    item, result = judge(value)
                    if result:
                        keep(item)
            return kept

        return filtering_text

    if key == "filter":

        def filtering(frame: Frame) -> list[Any]:
            kept = []
            for value in source.values(frame):
                found = probe(value)
                if found is not _NO_KIND:
                    if compare(found, constant):
                        kept.append(value if type(value) is dict else to_value(value))
                else:
                    item, result = judge(value)
                    if result:
                        kept.append(item)
            return kept

        return filtering

    if key == "exists" and field is None and compare is operator.eq and not numeric:
        return _membership(source, constant, judge)
    wanted = key == "exists"

    def searching(frame: Frame) -> bool:
        for value in source.values(frame):
            found = probe(value)
            result = compare(found, constant) if found is not _NO_KIND else judge(value)[1]
            if result is wanted:
                return wanted
        return not wanted

    return searching


def _membership(source: _Source, constant: str, judge: Callable[[Any], tuple[Any, bool]]) -> Thunk:
    """`(exists LIST c (= (. c) "CODE"))`, the commonest condition of all: is the code in
    the list? While the items are Strings they are compared on the spot; the first item
    that is not sends the whole list the general way."""

    first, last = source.direct or (None, "")
    cost, limit = source.cost, source.limit

    def contains(frame: Frame) -> bool:
        # The list read inline, and a list short enough needs no budget (see _Source).
        try:
            values = frame[first][last] if first is not None and RUN not in frame else None
        except _UNUSUAL:
            values = None
        if type(values) is not list or len(values) * cost > limit:
            values = source.values(frame)
        for value in values:
            if type(value) is not str:
                return any(
                    judge(item)[1] if type(item) is not str else item == constant for item in values
                )
            if value == constant:
                return True
        return False

    return contains


def _summing_loop(source: _Source, number: _ItemNumber) -> Thunk:
    from carrot.talang.builtins.math import block_number_error

    left, right, combine = number.left, number.right, number.combine
    apply, path = source.block.body, source.path
    add = DECIMAL_CONTEXT.add

    def general(value: Any) -> Decimal:
        try:
            item = to_value(value)
        except FunctionError as error:
            raise error.at(path) from None
        result = apply(item)
        if type(result) is not Decimal:
            raise block_number_error(result).at(path)
        return result

    def amount_of(value: Any) -> Any:
        """The item's number on the spot, or None when it needs the general way."""
        try:
            a = value[left]
            if combine is None:
                return a if _is_number(a) else None
            b = value[right]
            if _is_number(a) and _is_number(b):
                result = combine(a, b)
                return result if result.is_finite() else None
        except _UNUSUAL:
            pass
        return None

    def summing(frame: Frame) -> Decimal:
        total = _ZERO
        for value in source.values(frame):
            amount: Any = None
            if combine is not None:
                # Written out for `(* (. Item Price) (. Item Quantity))`: no call per item.
                try:
                    a, b = value[left], value[right]
                    kind_a, kind_b = type(a), type(b)
                    if (kind_a is Decimal or kind_a is int) and (
                        kind_b is Decimal or kind_b is int
                    ):
                        amount = combine(a, b)
                        if not amount.is_finite():
                            amount = None
                except _UNUSUAL:
                    amount = None
            else:
                amount = amount_of(value)
            if amount is None:
                amount = general(value)
            try:
                total = add(total, amount)
            except ArithmeticError as error:
                raise arithmetic_error("sum", error, path) from None
        return total

    return summing


# ---- the public face -----------------------------------------------------------------


class Compiled:
    """An expression compiled once, ready to evaluate many times (thread-safe)."""

    __slots__ = (
        "_convert",
        "_direct",
        "_fn",
        "_plain",
        "_sub_codes",
        "_templates",
        "expr",
        "limits",
        "node",
        "registry",
    )

    def __init__(self, expr: Any, node: Node, code: Code, registry: Registry, limits: Limits):
        self.expr = expr
        self.node = node
        self.registry = registry
        self.limits = limits
        self._fn = code.fn
        self._plain = not node.needs_run and not node.writes
        self._convert = bool(node.kinds & ~(_SCALARS | NULL))
        # Expressions that need no per-run state and give a single value evaluate straight
        # on the host's scope: the common condition costs one closure call.
        self._direct = code.fn if self._plain and not self._convert else None
        self._templates: dict[tuple[str, int], tuple[Code, int]] = {}
        self._sub_codes: dict[int, Code] = {}

    @property
    def result_kinds(self) -> int:
        """The kinds the expression can give (bit flags of carrot.talang.types)."""
        return self.node.kinds

    def evaluate(
        self,
        scope: Mapping[str, Any] | None = None,
        context: Any = None,
        now: datetime | None = None,
        max_steps: int | None = None,
    ) -> Any:
        """Evaluate with `scope` as the bindings. Returns a plain Python value.

        `context` is handed to host functions declared with `takes_context`; `now` is the
        clock of the time functions (default: the time of the call); `max_steps` replaces
        the step budget of the limits and then applies to the evaluation as a whole.
        """
        # Pass the options by keyword; they are not keyword-only because that costs the
        # commonest call, evaluate(scope), a sixth of its time.
        if max_steps is None and type(scope) is dict:
            direct = self._direct
            if direct is not None:
                return direct(scope)
        if self._plain and max_steps is None and type(scope) is dict:
            result = self._fn(scope)
        else:
            result = self._fn(self.frame(scope, context, now, max_steps))
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
