"""The shapes that have closures of their own (shapes.py) give exactly what the tree walk
gives: at the root of an expression, where the closure is `Compiled.evaluate` itself;
nested in another call; under a step budget of the evaluation's own; with a scope that is
not a dict; on ordinary values and on every odd value a scope can hold in their place."""

from __future__ import annotations

import decimal
import itertools
from collections import OrderedDict, defaultdict
from decimal import Decimal
from enum import Enum, IntEnum, StrEnum
from types import MappingProxyType
from typing import Any

import pytest

from carrot.talang import TalangRuntimeError, TextList, compile_expr, parse_text
from carrot.talang.types import BOOLEAN
from tests.talang.helpers import outcome, same_outcome, utc, walked


class Colour(str, Enum):  # noqa: UP042 (its text, "Colour.RED", is not its value)
    RED = "red"


class Size(StrEnum):
    SMALL = "s"


class Count(IntEnum):
    THREE = 3


class Money(Decimal):
    pass


class Row(dict[str, Any]):
    pass


# ---- the shapes, and how each is made to run nested ------------------------------------

COMPARISON = "(> (. Session Total) 100)"
EQUALITY = '(= (. Session Tier) "gold")'
ITEM_SUM = (
    "(sum (filter (. Session CartItems) ((Item) ({test} (. Item Category) shoes)))"
    " ((Item) ({op} (. Item Price) (. Item Quantity))))"
)


def membership(loop: str, test: str, text: str, text_first: bool) -> str:
    compared = f'"{text}" (. c)' if text_first else f'(. c) "{text}"'
    return f"({loop} (. Session CouponCodes) c ({test} {compared}))"


MEMBERSHIPS = [
    membership(loop, test, text, first)
    for loop, test, text, first in itertools.product(
        ["exists", "every"],
        ["=", "!="],
        ["SUMMER10", "10", "true", "", "Colour.RED", "red", "s"],
        [False, True],
    )
]
ITEM_SUMS = [ITEM_SUM.format(test=test, op=op) for test in ("=", "!=") for op in ("*", "+", "-")]


def nested(text: str) -> str:
    """The same shape as an argument of another call rather than the root."""
    if compile_expr(parse_text(text)).result_kinds == BOOLEAN:
        return f"(and (= 1 1) {text})"
    return f"(+ 0 {text})"


def test_the_shapes_under_test_are_their_own_evaluate() -> None:
    # Else the tests below would compare the general path with the tree walk only.
    roots = {
        COMPARISON: "path_against_constant",
        EQUALITY: "path_against_constant",
        MEMBERSHIPS[0]: "membership",
        ITEM_SUMS[0]: "filtered_sum",
    }
    for text, name in roots.items():
        assert compile_expr(parse_text(text)).evaluate.__name__ == name, text
        assert compile_expr(parse_text(nested(text))).evaluate.__name__ != name, text


# ---- scopes ----------------------------------------------------------------------------

ITEM = {"Category": "shoes", "Price": Decimal("19.90"), "Quantity": 2}
OTHER = {"Category": "hats", "Price": Decimal("5.00"), "Quantity": 1}


def item(**changes: Any) -> dict[str, Any]:
    """A shoes item with some fields changed (a value of `...` removes the field)."""
    row = {**ITEM, **changes}
    return {key: value for key, value in row.items() if value is not ...}


TOTALS = [
    Decimal("149.90"),
    Decimal("100.00"),
    150,
    100,
    99.5,
    "150",
    True,
    None,
    Decimal("NaN"),
    Decimal("Infinity"),
    Money("150"),
    Count.THREE,
    ["150"],
    TextList(["150"]),
    ...,
]
TIERS = [
    "gold",
    "Gold",
    "",
    Colour.RED,
    Size.SMALL,
    Decimal(1),
    None,
    True,
    ["gold"],
    TextList(["gold"]),
    ...,
]
CODE_LISTS = [
    ["WELCOME", "SUMMER10"],
    ["SUMMER10", "WELCOME"],
    ["WELCOME"],
    [],
    ["red", "Colour.RED", "s", "10", "true", ""],
    [Colour.RED, "red"],
    [Size.SMALL, "SUMMER10"],
    [Decimal("10"), "SUMMER10"],
    [Decimal("10.0"), 10, 10.0, True, None],
    [None, "SUMMER10"],
    ["SUMMER10", None],
    [["SUMMER10"], "SUMMER10"],
    ["SUMMER10", ["SUMMER10"]],
    [{"Code": "SUMMER10"}],
    [object(), "SUMMER10"],
    ["SUMMER10", object()],
    [Decimal("NaN")],
    [utc(2024, 1, 1)],
    ("WELCOME", "SUMMER10"),
    # Declared Strings (answered by a C-level `in` or `count`), like the lists above.
    TextList(["WELCOME", "SUMMER10"]),
    TextList(["SUMMER10", "WELCOME"]),
    TextList(["SUMMER10", "SUMMER10"]),
    TextList(["WELCOME"]),
    TextList(),
    TextList(["red", "Colour.RED", "s", "10", "true", ""]),
    [TextList(["SUMMER10"]), "SUMMER10"],
    "SUMMER10",  # a String where a List belongs: no substring search
    None,
    ...,
]
CARTS = [
    [ITEM, OTHER, ITEM],
    [],
    [OTHER],
    [item(Price=12), item(Quantity=Decimal("1.5"))],
    [item(Price=12345678901234567, Quantity=3)],  # rounds to 16 digits as Decimals do
    [item(Price=Decimal("9999999999999999"), Quantity=7), item()],
    [item(Price=Money("2.5")), item(Quantity=Count.THREE)],
    [item(Quantity=True)],
    [item(Price=False)],
    [item(Price=2.5)],
    [item(Price="x", Quantity=10**12)],  # a String: not repeated, refused
    [item(Price=["x"], Quantity=3)],
    [item(Price=None)],
    [item(Price=...)],
    [item(Quantity=...)],
    [item(Category=...)],
    [item(Category=None)],
    [item(Category=Decimal(1))],
    [item(Category=Colour.RED)],
    [item(Category=Size.SMALL)],
    [OTHER, item(Category=["shoes"])],
    [item(Price=Decimal("NaN"))],
    [item(Price=Decimal("sNaN"))],
    [item(Price=Decimal("Infinity"), Quantity=0)],
    [item(Price=Decimal("Infinity")), item(Price=Decimal("-Infinity"))],
    [ITEM, "shoes"],
    [ITEM, None],
    [ITEM, ["shoes"]],
    [MappingProxyType(ITEM), ITEM],
    [Row(ITEM)],
    [OrderedDict(ITEM)],
    (ITEM, OTHER),
    TextList(["shoes"]),
    [ITEM, TextList(["shoes"])],
    "shoes",
    None,
    ...,
]


def session(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "Total": Decimal("149.90"),
        "Tier": "gold",
        "CouponCodes": ["WELCOME", "SUMMER10"],
        "CartItems": [ITEM, OTHER, ITEM],
    }
    base.update(fields)
    return {key: value for key, value in base.items() if value is not ...}


SCOPES = (
    [{"Session": session(Total=total)} for total in TOTALS]
    + [{"Session": session(Tier=tier)} for tier in TIERS]
    + [{"Session": session(CouponCodes=codes)} for codes in CODE_LISTS]
    + [{"Session": session(CartItems=cart)} for cart in CARTS]
    + [{}, {"Session": None}, {"Session": "x"}, {"Session": [1]}, {"Session": Row(session())}]
)


def assert_same(text: str, scope: Any, **options: Any) -> None:
    expr = parse_text(text)
    compiled, reference = outcome(expr, scope, **options), walked(expr, scope, **options)
    assert same_outcome(compiled, reference), (text, scope, options, compiled, reference)


SHAPES = [COMPARISON, EQUALITY, *MEMBERSHIPS, *ITEM_SUMS]


@pytest.mark.parametrize("text", SHAPES)
def test_each_shape_equals_the_tree_walk_on_every_scope(text: str) -> None:
    for scope in SCOPES:
        assert_same(text, scope)
        assert_same(nested(text), scope)


@pytest.mark.parametrize(
    "text",
    [
        "(map (. Session CartItems) ((Item) (> (. Item Price) 10)))",
        '(exists (. Session CartItems) ((Item) (and (> (. Item Price) 10) (= (. Item Category) "shoes"))))',
        '(filter (. Session CartItems) ((Item) (or (<= (. Item Quantity) 1) (!= "x" (. Item Category)))))',
    ],
)
def test_a_field_compared_with_a_constant_in_a_block_equals_the_tree_walk(text: str) -> None:
    # The block's comparisons read the item's field inline (shapes._against_constant).
    for scope in SCOPES:
        assert_same(text, scope)


@pytest.mark.parametrize("text", [COMPARISON, EQUALITY, MEMBERSHIPS[0], *ITEM_SUMS[:2]])
def test_each_shape_equals_the_tree_walk_however_evaluate_is_called(text: str) -> None:
    for scope in SCOPES:
        assert_same(text, scope, max_steps=10_000)
        assert_same(text, MappingProxyType(scope))
        assert_same(text, Row(scope))
    assert_same(text, None)
    assert_same(text, {})
    scope = {"Session": session()}
    compiled = compile_expr(parse_text(text))
    assert compiled.evaluate(scope=scope) == compiled.evaluate(scope)
    assert compiled.evaluate(scope, context=object(), now=utc(2024, 1, 1)) == (
        compiled.evaluate(scope)
    )


def test_a_map_with_defaults_is_read_as_its_contents_and_left_unchanged() -> None:
    # A dict subclass may answer `[]` otherwise than `get` (here: a default, stored on the
    # way); Talang reads what the Map holds, and evaluating leaves the scope as it was.
    for text in SHAPES:
        for missing in ("Total", "Tier", "CouponCodes", "CartItems"):
            fields = session(**{missing: ...})
            held = defaultdict(list, fields)
            assert_same(text, {"Session": held})
            assert dict(held) == fields, (text, missing)


@pytest.mark.parametrize("steps", [0, 1, 5, 6, 7, 8, 12, 13, 14, 20, 100])
@pytest.mark.parametrize("text", [MEMBERSHIPS[0], *ITEM_SUMS[:2]])
def test_each_loop_spends_the_step_budget_as_the_tree_walk(text: str, steps: int) -> None:
    for cart, codes in (
        [[ITEM, OTHER, ITEM], ["A", "B", "SUMMER10"]],
        [[ITEM] * 3, []],
        [[ITEM], TextList(["A", "B", "SUMMER10"])],
        [[ITEM], TextList()],
    ):
        scope = {"Session": session(CartItems=cart, CouponCodes=codes)}
        assert_same(text, scope, max_steps=steps)
        assert_same(nested(text), scope, max_steps=steps)


def test_a_filtered_sum_neither_depends_on_nor_changes_the_callers_decimal_context() -> None:
    carts = [
        [ITEM, OTHER, ITEM],
        [item(Price=Decimal("0.3333333333333333"), Quantity=3)] * 4,
        [item(Price=12345678901234567, Quantity=3)],
        [ITEM, item(Price=Decimal("NaN"))],  # hands over to the general path midway
    ]
    text = ITEM_SUMS[0]
    for cart in carts:
        scope = {"Session": session(CartItems=cart)}
        expected = walked(parse_text(text), scope)
        with decimal.localcontext() as context:
            context.prec = 3
            context.rounding = decimal.ROUND_DOWN
            context.traps[decimal.Inexact] = True
            before = (context.prec, context.rounding, dict(context.traps), dict(context.flags))
            assert outcome(text, scope) == expected
            assert decimal.getcontext() is context
            after = (context.prec, context.rounding, dict(context.traps), dict(context.flags))
            assert after == before


def test_a_failed_read_is_worded_from_the_scope_it_failed_on() -> None:
    # The message of a failed path read is only worded when read (screens never read it):
    # it says what the scope held when the read failed, in an error of the usual class.
    profile = {"Attributes": "none"}
    for expr in (
        [".", "Profile", "Attributes", "Segment"],
        ["=", [".", "Profile", "Attributes", "Segment"], "gold"],
        ["map", [".", "L"], [["i"], ["=", [".", "i", "Attributes", "Segment"], "gold"]]],
    ):
        expected = walked(expr, {"Profile": profile, "L": [profile]})
        scope: dict[str, Any] = {"Profile": profile, "L": [profile]}
        with pytest.raises(TalangRuntimeError) as failed:
            compile_expr(expr).evaluate(scope)
        scope["Profile"], scope["L"] = {"Attributes": {}}, []
        assert type(failed.value) is TalangRuntimeError
        assert ("error", failed.value.message, failed.value.path) == expected
