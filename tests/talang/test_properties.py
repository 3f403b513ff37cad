"""Properties: text and JSON convert without loss, arithmetic is exact, and compiled closures
give exactly what the plain tree walk gives, for random well-typed expressions."""

from __future__ import annotations

import functools
import itertools
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carrot.talang import (
    TalangError,
    TextList,
    compile_expr,
    default_registry,
    evaluate,
    parse_text,
    to_text,
)
from carrot.talang.checker import DEFAULT_LIMITS, Checker, Limits
from carrot.talang.compiler import Compiled, Compiler
from carrot.talang.walker import Walker
from tests.talang.helpers import utc

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ---- text <-> JSON ---------------------------------------------------------------------

_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_TRICKY = st.sampled_from(
    [
        "",
        " ",
        "(",
        ")",
        '"',
        "'",
        "\\",
        '\\"',
        "a\\",
        "true",
        "FALSE",
        "1",
        "-2.5",
        ".5",
        "2024-01-01T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "Hello World",
        "a\nb",
        "noop",
    ]
)
_STRINGS = st.one_of(_TEXT, _TRICKY)
_NUMBERS = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=4, min_value=-(10**9), max_value=10**9
    ),
)
_TIMES = st.sampled_from(
    ["2024-01-31T09:30:00Z", "2006-01-02T15:04:05+02:00", "2024-02-29T23:59:59.5-07:30"]
).map(lambda t: ["parseTime", t])
_LITERALS = st.one_of(_STRINGS, _NUMBERS, st.booleans(), _TIMES)


def _trees(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    calls = st.tuples(_STRINGS, st.lists(children, max_size=4)).map(
        lambda parts: [parts[0], *parts[1]]
    )
    blocks = st.tuples(calls, st.lists(children, max_size=3)).map(
        lambda parts: [parts[0], *parts[1]]
    )
    paths = st.lists(st.one_of(_STRINGS, calls), min_size=1, max_size=3).map(
        lambda keys: [".", *keys]
    )
    return st.one_of(calls, blocks, paths)


TREES = st.one_of(_LITERALS, st.recursive(_LITERALS, _trees, max_leaves=25))


def same_tree(left: Any, right: Any) -> bool:
    """Numbers compare by value whatever their Python type; everything else exactly."""
    number = (int, Decimal)
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, number) and isinstance(right, number):
        return bool(left == right)
    if isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            return False
        if right and right[0] == ".":
            return left[0] == "." and all(map(same_key, left[1:], right[1:]))
        return all(map(same_tree, left, right))
    return type(left) is type(right) and left == right


def same_key(left: Any, right: Any) -> bool:
    """A path's keys are names: one written as a number or a Boolean reads back as its text,
    which looks up the same key (carrot.talang.text)."""
    if isinstance(right, bool | int | Decimal):
        return left == to_text(right)
    return same_tree(left, right)


@SETTINGS
@given(TREES)
def test_json_survives_text_and_back(expr: Any) -> None:
    text = to_text(expr)
    again = parse_text(text)
    assert same_tree(again, expr), (expr, text, again)
    assert to_text(again) == text


# ---- exact arithmetic ------------------------------------------------------------------

MONEY = st.decimals(
    min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False
)
SMALL_MONEY = st.decimals(
    min_value=-(10**5), max_value=10**5, places=2, allow_nan=False, allow_infinity=False
)


@SETTINGS
@given(MONEY, MONEY)
def test_addition_and_subtraction_are_exact(a: Decimal, b: Decimal) -> None:
    assert evaluate(["+", a, b]) == a + b
    assert evaluate(["-", [".", "A"], [".", "B"]], {"A": a, "B": b}) == a - b
    assert evaluate(["-", ["+", a, b], b]) == a


@SETTINGS
@given(SMALL_MONEY, SMALL_MONEY)
def test_multiplication_is_exact(a: Decimal, b: Decimal) -> None:
    assert evaluate(["*", [".", "A"], [".", "B"]], {"A": a, "B": b}) == a * b


@SETTINGS
@given(st.lists(st.tuples(MONEY, st.integers(min_value=0, max_value=100)), max_size=30))
def test_a_cart_total_is_exact(lines: list[tuple[Decimal, int]]) -> None:
    items = [{"Price": price, "Quantity": quantity} for price, quantity in lines]
    total = evaluate(
        ["sum", [".", "Items"], [["i"], ["*", [".", "i", "Price"], [".", "i", "Quantity"]]]],
        {"Items": items},
    )
    assert total == sum((price * quantity for price, quantity in lines), Decimal(0))


# ---- compiled closures == tree walk ------------------------------------------------------


class Colour(str, Enum):  # noqa: UP042 (its str() differs from its value, as wanted)
    """A str whose text (`str()`, what Talang compares) is not its value ("Colour.RED")."""

    RED = "red"


class Size(StrEnum):
    """A str whose text is its value."""

    SMALL = "s"


SCOPE = {
    "N": Decimal("12.50"),
    "Zero": 0,
    "S": "Hello World",
    "L": [3, Decimal("1.5"), -2, 10],
    "Words": ["b", "a", "c"],
    "Declared": TextList(["b", "a", "10", "", "true"]),
    "T": utc(2024, 3, 10, 12, 30),
    "Cart": {"Total": Decimal("80.00"), "Items": [{"Price": Decimal("4.50"), "Qty": 2}]},
    "Flag": True,
    "Mixed": [1, "x", None],
    # Lists for membership: Strings only; atoms whose text equals a String ("10", "true");
    # str subclasses; a Null after a match and a List before one.
    "Lists": {
        "Texts": ["a", "10", "", "true", "x"],
        "Declared": TextList(["a", "10", "", "true", "x"]),
        "Lookalikes": ["a", Decimal("10"), True, 10, 10.0, utc(2024, 3, 10, 12, 30)],
        "Subclassed": [Colour.RED, Size.SMALL, "a"],
        "Broken": ["a", None],
        "Nested": [["a"], "a"],
    },
    "Rows": [
        {"Price": Decimal("4.50"), "Qty": 2, "Cat": "a"},
        {"Price": 3, "Qty": Decimal("1.5"), "Cat": "b"},
        {"Price": Decimal("NaN"), "Qty": 1, "Cat": "a"},
        {"Price": "x", "Qty": True, "Cat": 1},
        {"Qty": 1},
        "a",
        7,
    ],
    "Clean": [
        {"Price": Decimal("4.50"), "Qty": 2, "Cat": "a"},
        {"Price": 3, "Qty": Decimal("1.5"), "Cat": "b"},
        {"Price": Decimal("0.10"), "Qty": 10, "Cat": "10"},
    ],
}
_ROW_SLICES = st.sampled_from(
    [
        [".", "Rows"],
        [".", "Clean"],
        [".", "Clean"],
        ["list", "a", "b", 1, "10"],
        [".", "L"],
        [".", "Words"],
        [".", "Declared"],
        [".", "Mixed"],
    ]
).flatmap(lambda rows: st.sampled_from([rows, ["tail", rows], ["tail", ["tail", rows]]]))
_ITEM_TESTS = (
    st.tuples(
        st.sampled_from(["filter", "exists", "every"]),
        _ROW_SLICES,
        st.sampled_from(["=", "!=", ">", "<="]),
        st.sampled_from([[".", "r"], [".", "r", "Cat"], [".", "r", "Price"], [".", "r", "Qty"]]),
        st.sampled_from(["a", "10", 1, Decimal("3.00"), Decimal("-1")]),
    )
    .filter(lambda t: t[2] in ("=", "!=") or not isinstance(t[4], str))
    .map(lambda t: [t[0], t[1], "r", [t[2], t[3], t[4]]])
)
_ITEM_SUMS = st.tuples(
    _ROW_SLICES,
    st.sampled_from(
        [
            [".", "r", "Price"],
            [".", "r", "Qty"],
            ["*", [".", "r", "Price"], [".", "r", "Qty"]],
            ["+", [".", "r", "Qty"], [".", "r", "Price"]],
        ]
    ),
).map(lambda t: ["sum", t[0], "r", t[1]])


def _const(kind: str) -> st.SearchStrategy[Any]:
    return {
        "D": st.one_of(
            st.integers(-5, 20),
            st.sampled_from([Decimal("0.5"), Decimal("-1.25"), Decimal("100.00")]),
        ),
        "B": st.booleans(),
        "S": st.sampled_from(["a", "b", "Hello", "", "World", "x y"]),
        "L": st.just(["list", 1, 2, 3]),
        "T": st.sampled_from(
            [["parseTime", "2024-03-10T12:30:00Z"], ["parseTime", "2023-01-01T00:00:00+02:00"]]
        ),
        "A": st.sampled_from([1, "1", True, "x"]),
    }[kind]


def _reads(kind: str, variables: tuple[str, ...]) -> st.SearchStrategy[Any]:
    paths = {
        "D": [[".", "N"], [".", "Zero"], [".", "Cart", "Total"], [".", "Missing"]],
        "B": [[".", "Flag"]],
        "S": [[".", "S"], [".", "Cart"]],
        "L": [
            [".", "L"],
            [".", "Words"],
            [".", "Declared"],
            [".", "Mixed"],
            [".", "Cart", "Items"],
        ],
        "T": [[".", "T"]],
        "A": [[".", "S"], [".", "N"], [".", "Flag"]],
    }[kind]
    if kind in ("D", "A"):
        paths = paths + [[".", v] for v in variables]
    return st.sampled_from(paths)


@functools.cache
def _expr(kind: str, depth: int, variables: tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
    leaves = st.one_of(_const(kind), _reads(kind, variables))
    if depth == 0:
        return leaves

    def sub(k: str, extra: tuple[str, ...] = ()) -> st.SearchStrategy[Any]:
        return _expr(k, depth - 1, variables + extra)

    def call(name: str, *parts: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.tuples(*parts).map(lambda args: [name, *args])

    def many(name: str, k: str, low: int = 2) -> st.SearchStrategy[Any]:
        return st.lists(sub(k), min_size=low, max_size=4).map(lambda args: [name, *args])

    var = f"v{depth}"
    block = lambda body: st.sampled_from([0, 1, 2]).flatmap(  # noqa: E731
        lambda form: body.map(
            lambda b: [[var], b] if form == 0 else ["fn", var, b] if form == 1 else (var, b)
        )
    )

    def with_block(
        name: str, list_kind: str, body: st.SearchStrategy[Any], *tail: st.SearchStrategy[Any]
    ) -> st.SearchStrategy[Any]:
        def build(parts: tuple[Any, ...]) -> list[Any]:
            items, blk, *rest = parts
            spelled = list(blk) if isinstance(blk, tuple) else [blk]
            return [name, items, *spelled, *rest]

        return st.tuples(sub(list_kind), block(body), *tail).map(build)

    inner_d = _expr("D", depth - 1, (*variables, var))
    inner_b = _expr("B", depth - 1, (*variables, var))
    options: dict[str, list[st.SearchStrategy[Any]]] = {
        "D": [
            many("+", "D"),
            many("-", "D"),
            many("*", "D"),
            many("/", "D"),
            many("mod", "D"),
            call("floor", sub("D")),
            call("ceil", sub("D")),
            call("count", sub("L")),
            call("max", sub("L")),
            call("min", sub("L")),
            call("sum", sub("L")),
            call("item", sub("L"), sub("D")),
            call("catch", sub("D"), sub("D")),
            with_block("sum", "L", inner_d),
            call("daysBetween", sub("T"), sub("T")),
            st.tuples(sub("D"), sub("D")).map(
                lambda a: [["set", "Tmp", a[0]], ["+", [".", "Tmp"], a[1]]]
            ),
        ],
        "B": [
            many("and", "B", 0),
            many("or", "B", 0),
            call("not", sub("B")),
            many(">", "D"),
            many("<=", "D"),
            many("=", "A"),
            many("!=", "A"),
            call("between", sub("D"), sub("D"), sub("D")),
            many("contains", "S"),
            many("startsWith", "S"),
            call("isEmpty", sub("L")),
            call("after", sub("T"), sub("T")),
            with_block("exists", "L", inner_b),
            with_block("every", "L", inner_b),
            call("catch", sub("B"), sub("B")),
            call("~", st.sampled_from(["^H", "o W", "x+$"]), sub("S")),
            call(
                "exists",
                sub("L"),
                st.just("c"),
                st.sampled_from(["a", "x", "1"]).map(lambda t: ["=", [".", "c"], t]),
            ),
        ],
        "S": [
            many("+", "S"),
            call("toString", sub("D")),
            call("toString", sub("T")),
            call("join", sub("L"), sub("S")),
            call("firstName", sub("S")),
            call("lastName", sub("S")),
            call("date", sub("T")),
            call("weekday", sub("T")),
            call("hour", sub("T")),
            call(".|", st.just("none"), sub("S")),
        ],
        "L": [
            many("list", "A", 0),
            call("push", sub("L"), sub("A")),
            call("reverse", sub("L")),
            call("tail", sub("L")),
            call("drop", sub("L")),
            call("sort", sub("L")),
            call("sort", sub("L"), sub("B")),
            call("split", sub("S"), sub("S")),
            with_block("filter", "L", inner_b),
            with_block("map", "L", inner_d),
            with_block("sortByNumber", "L", inner_d, sub("B")),
        ],
        "T": [
            call("addDuration", sub("T"), sub("D"), st.sampled_from(["days", "hours", "minutes"])),
            call("subDuration", sub("T"), sub("D"), st.sampled_from(["days", "hours"])),
        ],
        "A": [sub("D"), sub("S"), sub("B")],
    }
    return st.one_of(leaves, *options[kind])


EXPRESSIONS = st.sampled_from(["D", "B", "S", "L", "T"]).flatmap(lambda kind: _expr(kind, 3))


def _strict(left: Any, right: Any) -> bool:
    if type(left) is not type(right):
        return False
    if isinstance(left, Decimal):
        return str(left) == str(right)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_strict, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_strict(left[k], right[k]) for k in left)
    return bool(left == right)


def _compiled(expr: Any) -> Any:
    registry = default_registry()
    try:
        node = Checker(registry, DEFAULT_LIMITS).check(expr)
        code = Compiler(registry, DEFAULT_LIMITS, report_constant_failures=False).compile(node)
        return ("value", Compiled(expr, node, code, registry, DEFAULT_LIMITS).evaluate(SCOPE))
    except TalangError as error:
        return ("error", error.message, error.path)


def _walked(expr: Any) -> Any:
    try:
        return ("value", Walker().evaluate(expr, SCOPE))
    except TalangError as error:
        return ("error", error.message, error.path)


def assert_same_outcome(expr: Any) -> None:
    compiled, walked = _compiled(expr), _walked(expr)
    if compiled[0] == "value" and walked[0] == "value":
        assert _strict(compiled[1], walked[1]), (expr, compiled, walked)
    else:
        assert compiled == walked, (expr, compiled, walked)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS)
def test_compiled_evaluation_equals_the_tree_walk(expr: Any) -> None:
    assert_same_outcome(expr)


_FILTERED_SUMS = st.tuples(
    _ROW_SLICES,
    st.sampled_from(["=", "!="]),
    st.sampled_from(["Cat", "Price", "Missing"]),
    st.sampled_from(["a", "b", "10"]),
    st.sampled_from([["Price", "Qty"], ["Qty", "Price"], ["Price", "Missing"]]),
).map(
    lambda t: [
        "sum",
        ["filter", t[0], [["r"], [t[1], [".", "r", t[2]], t[3]]]],
        ["fn", "s", ["*", [".", "s", t[4][0]], [".", "s", t[4][1]]]],
    ]
)


_MEMBERSHIP_LISTS = [
    [".", "Words"],
    [".", "Mixed"],
    [".", "Lists", "Texts"],
    [".", "Lists", "Declared"],
    [".", "Declared"],
    [".", "Lists", "Lookalikes"],
    [".", "Lists", "Subclassed"],
    [".", "Lists", "Broken"],
    [".", "Lists", "Nested"],
    [".", "Lists", "Missing"],
    ["tail", [".", "Lists", "Lookalikes"]],
    ["list", "a", "a"],
    ["list"],
    "none",  # not a List
]
_MEMBERSHIP_CONSTANTS = ["a", "x", "10", "10.0", "true", "", "red", "Colour.RED", "s"]


def _membership(loop: str, items: Any, test: str, text: str, text_first: bool) -> list[Any]:
    block = [test, text, [".", "c"]] if text_first else [test, [".", "c"], text]
    return [loop, items, "c", block]


def test_membership_equals_the_tree_walk() -> None:
    # `exists`/`every` whose block is `(= (. c) "…")`, `(!= "…" (. c))` and so on are
    # answered by one loop over the list (shapes._membership); every combination is tried.
    for parts in itertools.product(
        ["exists", "every"],
        _MEMBERSHIP_LISTS,
        ["=", "!="],
        _MEMBERSHIP_CONSTANTS,
        [False, True],
    ):
        assert_same_outcome(_membership(*parts))


@SETTINGS
@given(st.one_of(_ITEM_TESTS, _ITEM_SUMS, _FILTERED_SUMS))
def test_loops_over_simple_blocks_equal_the_tree_walk(expr: Any) -> None:
    # The compiler runs these shapes as single loops; they must not change any outcome.
    assert_same_outcome(expr)


def _outcomes(expr: Any, limits: Limits, max_steps: int | None) -> tuple[Any, Any]:
    """(compiled, walked) outcome of `expr` on SCOPE under these limits."""
    results = []
    for evaluate_expr in (
        lambda: compile_expr(expr, limits=limits).evaluate(SCOPE, max_steps=max_steps),
        lambda: Walker(limits=limits).evaluate(expr, SCOPE, max_steps=max_steps),
    ):
        try:
            results.append(("value", evaluate_expr()))
        except TalangError as error:
            results.append(("error", type(error).__name__, error.message, error.path))
    return results[0], results[1]


@pytest.mark.parametrize("steps", [0, 2, 3, 6, 14, 15, 16, 100])
def test_membership_spends_the_step_budget_as_the_tree_walk(steps: int) -> None:
    # A budget per evaluation (max_steps) and the budget each loop checks itself against.
    for loop, items, test, per_loop in itertools.product(
        ["exists", "every"],
        ["Texts", "Declared", "Lookalikes", "Broken", "Nested"],
        ["=", "!="],
        [False, True],
    ):
        expr = _membership(loop, [".", "Lists", items], test, "a", False)
        limits = Limits(max_steps=steps) if per_loop else DEFAULT_LIMITS
        compiled, walked = _outcomes(expr, limits, None if per_loop else steps)
        assert compiled == walked, (expr, steps, per_loop)


def test_the_membership_shapes_are_compiled_to_one_loop() -> None:
    # Else the properties above would compare the builtin with itself.
    for expr in (
        '(exists (. Session CouponCodes) c (= (. c) "a"))',
        '(every (. L) c (!= "a" (. c)))',
        '(exists (tail (. L)) c (= "a" (. c)))',
    ):
        compiled = compile_expr(parse_text(expr))
        assert compiled._fn.__name__ == "membership", expr


def test_a_number_key_of_a_path_reads_back_as_its_text() -> None:
    # Found by the property above: the JSON [".", 0] prints as (. 0), whose key is the name "0".
    assert parse_text(to_text([".", 0])) == [".", "0"]
    assert same_tree(parse_text(to_text([".", "Map", 2, True])), [".", "Map", 2, True])
    assert not same_tree([".", "1"], [".", 0])
