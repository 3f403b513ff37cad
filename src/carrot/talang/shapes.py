"""Closures of their own for the shapes rules are mostly made of.

Reading a path with fixed keys; `and`/`or` of Booleans; comparing a path with a constant or
combining two numbers, read inline; and `filter`/`exists`/`every`/`sum` over a block that
only looks at one field of its item, run as single loops. Each fast closure handles the
ordinary case on the spot and hands anything unusual (a missing key, a raw or NaN value, a
wrong kind) to the general closure, so results and errors are exactly those of the builtins;
tests/talang/test_properties.py and test_fast_paths.py check them against the tree walk.

One known exception: the loops read each item of a list with `item[key]`, unchecked, since
a type check per item costs a loop about a tenth of its time. An item that is a dict subclass
whose `[]` disagrees with its contents (a `defaultdict` or `Counter` missing the key) is
read through its `[]` there, and through its contents by the general code.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, getcontext, setcontext
from typing import Any

from carrot.talang.builtins.compare import same
from carrot.talang.builtins.lists import predicate_error
from carrot.talang.builtins.math import block_number_error
from carrot.talang.calls import arithmetic_error
from carrot.talang.checker import BlockNode, Call, Const, Node, Seq
from carrot.talang.code import UNUSUAL, Code, Evaluate, mismatch, unreachable, with_entry
from carrot.talang.errors import FunctionError, TalangRuntimeError
from carrot.talang.registry import STYLE_VALUES
from carrot.talang.runtime import RUN, BlockArg, Frame, Thunk, charge_loop, lookup
from carrot.talang.types import (
    ATOM,
    BOOLEAN,
    DECIMAL,
    DECIMAL_CONTEXT,
    LIST,
    MAP,
    MAX_LIST_LENGTH,
    STRING,
    TextList,
    to_value,
)

EXACT_TYPES = {DECIMAL: Decimal, STRING: str, BOOLEAN: bool, LIST: list, MAP: dict}
ORDERINGS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
ARITHMETIC = {
    "+": DECIMAL_CONTEXT.add,
    "-": DECIMAL_CONTEXT.subtract,
    "*": DECIMAL_CONTEXT.multiply,
}
_ZERO = Decimal(0)


class _NoKind:
    """A type no value has: `type(x) is _NO_KIND` is always false."""


_NO_KIND = _NoKind


def path_reader(keys: list[str], path: str) -> Thunk:
    """`(. k1 k2 …)` with fixed keys: dict lookups, no loop for the common depths."""
    first = keys[0]
    rest = tuple(keys[1:])

    def missing(frame: Frame) -> TalangRuntimeError:
        return unreadable(frame.get(first), keys, path)

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
    rest = tuple(keys[1:])

    def missing(item: Any) -> TalangRuntimeError:
        return unreadable(item, keys, path)

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


def unreadable(top: Any, keys: list[str], path: str) -> TalangRuntimeError:
    """The error of reading `keys` at `path`, where the first key names `top`. It is worded
    from `top` when first read: Talang never changes a Map in place, and the host's scope
    does not change while its rules run, so the wording is the one reading it now gives."""

    def word() -> TalangRuntimeError:
        try:
            lookup({keys[0]: top}, keys)
        except FunctionError as error:
            return error.at(path)
        return TalangRuntimeError("internal error: the path was found after all", path)

    return TalangRuntimeError.deferred(word)


def reads_only_item(node: Node, var: str) -> bool:
    """Does this block body read nothing but its item (and need no frame at all)?"""
    if isinstance(node, Const):
        return True
    if isinstance(node, Seq):
        return all(reads_only_item(item, var) for item in node.items)
    if not isinstance(node, Call):
        return False
    key = node.function.key
    if key == ".":
        return all(isinstance(a, Const) and type(a.value) is str for a in node.args) and (
            isinstance(node.args[0], Const) and node.args[0].value == var
        )
    if key not in ("and", "or") and any(c.style != STYLE_VALUES for c in node.candidates):
        return False
    return all(isinstance(arg, Node) and reads_only_item(arg, var) for arg in node.args)


def _normalise(value: Any, path: str) -> Any:
    try:
        return to_value(value)
    except FunctionError as error:
        raise error.at(path) from None


def logic(node: Call, codes: list[Code]) -> Thunk | None:
    """Short-circuit `and`/`or` of arguments proven Boolean (others take the general path)."""
    if not all(isinstance(arg, Node) and arg.kinds == BOOLEAN for arg in node.args):
        return None
    fns = tuple(code.fn for code in codes)
    if node.function.key == "and":
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
    return EXACT_TYPES.get(kinds, datetime)


# A direct read is a path of two fixed keys: (first key, last key), where a first key of
# None means the closure's argument is the item itself. The fused closures below read such
# paths inline and hand anything unusual (missing keys, raw scope values, NaN) to the
# general closure, which raises exactly the error the tree walk raises.
DirectRead = tuple[str | None, str]


def direct_read(node: Any, item_var: str | None) -> DirectRead | None:
    if not (isinstance(node, Call) and node.function.key == "." and len(node.args) == 2):
        return None
    keys = [arg.value if isinstance(arg, Const) else None for arg in node.args]
    first, last = keys
    if type(first) is not str or type(last) is not str:
        return None
    if item_var is not None:
        return (None, last) if first == item_var else None
    return first, last


def ordering(
    node: Call,
    compare: Callable[[Any, Any], bool],
    left: Code,
    right: Code,
    read: DirectRead | None,
) -> Code:
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
            raise mismatch(node, [a, b])
        try:
            return compare(a, b)
        except ArithmeticError as error:
            raise arithmetic_error(name, error, path) from None

    if not right.const or left_type is None or read is None:
        return Code(ordering)
    return _against_constant(read, compare, right.value, left_type, ordering)


def _against_constant(
    read: DirectRead,
    compare: Callable[[Any, Any], bool],
    bound: Any,
    expected: type[Any],
    general: Thunk,
) -> Code:
    """`(> (. Session Total) 100)`, `(= (. Item Category) "shoes")`: the path read inline
    and compared with the constant when it holds a value of the expected type (a finite
    one: Python orders infinities, Talang refuses them); anything else goes to the general
    closure."""
    first, last = read
    numeric = expected is Decimal
    if first is None:

        def item_against_constant(item: Any) -> Any:
            try:
                value: Any = item[last]
                if type(value) is expected and (not numeric or value.is_finite()):
                    return compare(value, bound)
            except UNUSUAL:
                pass
            return general(item)

        return Code(item_against_constant)

    def entry(outside: Evaluate) -> Evaluate:
        def path_against_constant(
            scope: Any = None, context: Any = None, now: Any = None, max_steps: Any = None
        ) -> Any:
            if max_steps is None and type(scope) is dict:
                try:
                    outer = scope[first]
                    # Only a plain dict: a subclass may answer `[]` otherwise than `get`.
                    if type(outer) is dict:
                        value: Any = outer[last]
                        if type(value) is expected and (not numeric or value.is_finite()):
                            return compare(value, bound)
                except UNUSUAL:
                    pass
                return general(scope)
            return outside(scope, context, now, max_steps)

        return path_against_constant

    return with_entry(entry)


def arithmetic(
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
            raise mismatch(node, [a, b])
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


def equality(node: Call, positive: bool, left: Code, right: Code, read: DirectRead | None) -> Code:
    left_fn, right_fn = left.fn, right.fn
    left_node, right_node = node.args
    assert isinstance(left_node, Node) and isinstance(right_node, Node)
    unproven = bool(left_node.kinds & ~ATOM or right_node.kinds & ~ATOM)

    def equality(frame: Frame) -> bool:
        a = left_fn(frame)
        b = right_fn(frame)
        if unproven and (type(a) is list or type(a) is dict or type(b) is list or type(b) is dict):
            raise mismatch(node, [a, b])
        try:
            return same(a, b) is positive
        except FunctionError as error:
            raise error.at(node.path) from None

    if not (right.const and type(right.value) is str and read is not None):
        return Code(equality)
    compare = operator.eq if positive else operator.ne
    return _against_constant(read, compare, right.value, str, equality)


# ---- loops over simple item blocks ---------------------------------------------------
#
# `filter`, `exists` and `every` whose block compares the item (or one field of it) with a
# constant (either way round for `=` and `!=`), and `sum` whose block reads a number field
# or multiplies two, run as one loop without a call per item. An item the loop cannot judge on the spot (a missing field, a
# raw value, NaN) goes through the compiled block, so results and errors stay exactly those
# of the builtin.

_PREDICATES: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    **ORDERINGS,
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
    if body.function.key in ("=", "!=") and isinstance(read, Const):
        read, constant = constant, read  # equality reads the same either way round
    found, key = _item_key(read, var)
    if not found or not isinstance(constant, Const) or len(body.candidates) != 1:
        return None
    value = constant.value
    ordering = body.function.key in ORDERINGS
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
        and body.function.key in ARITHMETIC
        and len(body.args) == 2
        and len(body.candidates) == 1
        and body.candidates[0].returns == DECIMAL
    ):
        return None
    (left_found, left), (right_found, right) = (_item_key(arg, var) for arg in body.args)
    if not (left_found and right_found and left is not None and right is not None):
        return None
    return _ItemNumber(left, right, ARITHMETIC[body.function.key])


def fast_loop(
    compile_node: Callable[[Node], Code], max_steps: int, node: Call, args: list[Any]
) -> Code | None:
    """A single loop for `filter`/`exists`/`every`/`sum` over a simple item block, or None."""
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
        fused = _filtered_sum(compile_node, max_steps, node, list_node, number, summing)
        return fused or Code(summing)
    test = _item_test(block_node.body, block.var)
    return None if test is None else _testing_loop(source, key, test)


def _filtered_sum(
    compile_node: Callable[[Node], Code],
    max_steps: int,
    node: Call,
    list_node: Any,
    number: _ItemNumber,
    unfused: Thunk,
) -> Code | None:
    """`(sum (filter LIST i (= (. i Field) "text")) i (* (. i A) (. i B)))` without a call
    per item, the way the total of a category is written. It runs only while every item is
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
    if not reads_only_item(inner_block.body, inner_block.var):
        return None
    read = _list_reader(inner_list, compile_node(inner_list).fn)
    field, constant, positive = test.key, test.constant, test.compare is operator.eq
    left, right = number.left, number.right
    assert right is not None
    operate = _OPERATORS[number.combine]
    filter_cost, sum_cost = inner_block.body.size, node.args[1]
    assert isinstance(sum_cost, BlockNode)
    each, limit = sum_cost.body.size, max_steps
    filter_path, sum_path = list_node.path, node.path

    def entry(outside: Evaluate) -> Evaluate:
        def filtered_sum(
            scope: Any = None, context: Any = None, now: Any = None, max_steps: Any = None
        ) -> Any:
            if max_steps is not None or type(scope) is not dict:
                return outside(scope, context, now, max_steps)
            values = read(scope)
            if type(values) is not list:
                return unfused(scope)
            kept = _matching(values, field, constant, positive)
            if kept is None:
                return unfused(scope)
            total = _total_of(kept, left, right, operate)
            if total is None:
                return unfused(scope)
            filtered, summed = len(values) * filter_cost, len(kept) * each
            if filtered > limit or summed > limit or RUN in scope:
                _charge(scope, filtered, limit, filter_path)
                _charge(scope, summed, limit, sum_path)
            return total

        return filtered_sum

    return with_entry(entry)


# Talang's arithmetic as Python's operators, for loops that run in Talang's decimal context.
_OPERATORS: dict[Callable[[Any, Any], Any], Callable[[Any, Any], Any]] = {
    ARITHMETIC["+"]: operator.add,
    ARITHMETIC["-"]: operator.sub,
    ARITHMETIC["*"]: operator.mul,
}


def _matching(values: list[Any], field: str, text: str, positive: bool) -> list[Any] | None:
    """The items whose `field` is (or with `positive` false, is not) `text`, or None if an
    item has no such field or a field that is not exactly a str."""
    kept: list[Any] = []
    try:
        # Two loops, so that each compares with a plain `==` or `!=` (the fastest test);
        # `kept.append(…)` spelled out is faster than a saved `append` since Python 3.11.
        if positive:
            for value in values:
                found = value[field]
                if type(found) is not str:
                    return None
                if found == text:
                    kept.append(value)
        else:
            for value in values:
                found = value[field]
                if type(found) is not str:
                    return None
                if found != text:
                    kept.append(value)
    except UNUSUAL:
        return None
    return kept


def _total_of(
    items: list[Any], left: str, right: str, operate: Callable[[Any, Any], Any]
) -> Decimal | None:
    """The sum of `operate(item[left], item[right])` over Maps of two numbers, in Talang's
    decimal context as the builtins compute it; None if an item is anything else or a
    number is not finite.

    The context is made the current one for the loop, since Decimal's operators are much
    cheaper calls than the context's methods; nothing else runs meanwhile (exact dicts,
    Decimals and ints only), and the caller's context is back before anything else runs."""
    total = _ZERO
    saved = getcontext()
    setcontext(DECIMAL_CONTEXT)
    try:
        for item in items:
            if type(item) is not dict:
                return None
            a, b = item[left], item[right]
            kind_a, kind_b = type(a), type(b)
            if kind_a is Decimal:
                if kind_b is not int and kind_b is not Decimal:
                    return None
            elif kind_a is int and (kind_b is Decimal or kind_b is int):
                a = Decimal(a)  # exact; an int with an int would not round as Decimals do
            else:
                return None
            total = total + operate(a, b)
    except UNUSUAL:
        return None
    finally:
        setcontext(saved)
    return total if total.is_finite() else None


def _list_reader(node: Any, fallback: Thunk) -> Thunk:
    """The list argument: read inline when it is a two-key path, else its own closure."""
    read = direct_read(node, None)
    if read is None or read[0] is None:
        return fallback
    first, last = read

    def read_list(frame: Frame) -> Any:
        try:
            outer = frame[first]
            values = outer[last] if type(outer) is dict else None
            if type(values) is list:
                return values
        except UNUSUAL:
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
        read_path = direct_read(node.args[0], None)
        self.direct = read_path if read_path is not None and read_path[0] is not None else None

    def values(self, frame: Frame) -> list[Any]:
        values = self.read(frame)
        if type(values) is not list:
            raise mismatch(self.node, [values, None])
        amount = len(values) * self.cost
        if amount > self.limit or RUN in frame:
            _charge(frame, amount, self.limit, self.path)
        return values


def _charge(frame: Frame, amount: int, limit: int, path: str) -> None:
    """`charge_loop`, failing at the loop's path."""
    try:
        charge_loop(frame, amount, limit)
    except FunctionError as error:
        raise error.at(path) from None


def _is_number(value: Any) -> bool:
    kind = type(value)
    return kind is int or (kind is Decimal and bool(value.is_finite()))


def _testing_loop(source: _Source, key: str, test: _ItemTest) -> Code:
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
            except UNUSUAL:
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
                except UNUSUAL:
                    found = None
                if type(found) is str:
                    if (found == constant) is positive:
                        keep(value if type(value) is dict else to_value(value))
                else:
                    item, result = judge(value)
                    if result:
                        keep(item)
            return kept

        return Code(filtering_text)

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

        return Code(filtering)

    wanted = key == "exists"

    def search(values: list[Any]) -> bool:
        for value in values:
            found = probe(value)
            result = compare(found, constant) if found is not _NO_KIND else judge(value)[1]
            if result is wanted:
                return wanted
        return not wanted

    if field is None and not numeric:
        return _membership(source, search, wanted, compare is operator.eq, constant)
    if numeric:
        return Code(lambda frame: search(source.values(frame)))
    # A field against a String (`(exists Items i (= (. i SKU) "…"))`), written out like
    # `filtering_text` above.
    positive = compare is operator.eq

    def searching_text(frame: Frame) -> bool:
        for value in source.values(frame):
            try:
                found = value[field]
            except UNUSUAL:
                found = None
            result = (found == constant) is positive if type(found) is str else judge(value)[1]
            if result is wanted:
                return wanted
        return not wanted

    return Code(searching_text)


def _membership(
    source: _Source,
    search: Callable[[list[Any]], bool],
    wanted: bool,
    positive: bool,
    constant: str,
) -> Code:
    """`(exists LIST c (= (. c) "CODE"))`, the commonest condition of all, and its kin with
    `every` or `!=`. Between two Strings Talang's `=` is Python's, so while the items are
    Strings (exactly str: a subclass may read as other text) they are compared on the spot;
    the first item that is not sends the whole list to `search`, item by item.

    A plain list gets no C-level `constant in values`: that is only exact once every item is
    known to be a str, and checking that costs a Python loop over the list all the same. A
    `TextList` the host put in the scope is known to hold exact strs only (its constructor
    checked, once), so for it the answer is one C-level `in` (or `count`, for the kin that
    decide on an item that differs)."""
    assert type(constant) is str  # else `in` would not be Talang's `=` (see _item_test)
    direct = source.direct is not None
    first, last = source.direct or ("", "")
    most = source.limit // source.cost  # a list this long or shorter needs no budget
    hit = positive == wanted  # the comparison result that decides
    # Decided by an item equal to the constant: exists/= (the commonest of all, answered by
    # `in` alone) and every/!=; decided by an item that differs: exists/!= and every/=.
    contains = hit and wanted
    # Whether every TextList is short enough to need no budget (it holds at most
    # MAX_LIST_LENGTH items), so that its length need not be looked at.
    any_text = most >= MAX_LIST_LENGTH

    def entry(outside: Evaluate) -> Evaluate:
        # Only a nested closure can be handed a frame with a budget shared by the evaluation.
        nested = outside is unreachable
        if contains and direct and any_text and not nested:
            return common_root(outside)

        def membership(
            scope: Any = None, context: Any = None, now: Any = None, max_steps: Any = None
        ) -> Any:
            if max_steps is not None or type(scope) is not dict:
                return outside(scope, context, now, max_steps)
            # The list read inline, and a list short enough needs no budget (see _Source).
            try:
                outer = scope[first] if direct else None
                values = outer[last] if type(outer) is dict else None
            except UNUSUAL:
                values = None
            if (
                type(values) is TextList
                and (any_text or len(values) <= most)
                and not (nested and RUN in scope)
            ):
                if contains:
                    return constant in values
                if hit:
                    return constant not in values
                return wanted if values.count(constant) != len(values) else not wanted
            if type(values) is not list or len(values) > most or (nested and RUN in scope):
                values = source.values(scope)
            # Two loops, so that each compares with a plain `==` or `!=` (the fastest test).
            if hit:
                for value in values:
                    if type(value) is not str:
                        return search(values)
                    if value == constant:
                        return wanted
            else:
                for value in values:
                    if type(value) is not str:
                        return search(values)
                    if value != constant:
                        return wanted
            return not wanted

        return membership

    def common_root(outside: Evaluate) -> Evaluate:
        """`membership` at the root for exists/= of a two-key path, as few steps as can be:
        what the conditions of `membership` establish holds here from the start."""

        def membership(
            scope: Any = None, context: Any = None, now: Any = None, max_steps: Any = None
        ) -> Any:
            if max_steps is not None or type(scope) is not dict:
                return outside(scope, context, now, max_steps)
            try:
                outer = scope[first]
                values = outer[last] if type(outer) is dict else None
            except UNUSUAL:
                values = None
            if type(values) is TextList:
                return constant in values
            if type(values) is not list or len(values) > most:
                values = source.values(scope)
            for value in values:
                if type(value) is not str:
                    return search(values)
                if value == constant:
                    return True
            return False

        return membership

    return with_entry(entry)


def _summing_loop(source: _Source, number: _ItemNumber) -> Thunk:
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
        except UNUSUAL:
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
                except UNUSUAL:
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
