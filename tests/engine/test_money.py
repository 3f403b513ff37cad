"""Splitting money: the parts add up to the whole, to the cent, and never exceed their share."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from carrot.engine.money import round_money, split

cents = st.integers(min_value=0, max_value=10_000_00).map(lambda c: Decimal(c) / 100)


def test_round_money_is_half_even_to_the_minor_unit() -> None:
    assert round_money(Decimal("1.005"), 2) == Decimal("1.00")
    assert round_money(Decimal("1.015"), 2) == Decimal("1.02")
    assert round_money(Decimal("2.5"), 0) == Decimal("2")
    assert round_money(Decimal("0.0005"), 3) == Decimal("0.000")


def test_split_gives_the_leftover_cent_to_the_largest_remainder() -> None:
    assert split(Decimal("10.00"), [Decimal("10"), Decimal("10"), Decimal("10")], 2) == [
        Decimal("3.34"),
        Decimal("3.33"),
        Decimal("3.33"),
    ]
    assert split(Decimal("1.00"), [Decimal("2"), Decimal("1")], 2) == [
        Decimal("0.67"),
        Decimal("0.33"),
    ]


@settings(max_examples=300, deadline=None)
@given(capacities=st.lists(cents, min_size=1, max_size=30), fraction=st.floats(0, 1))
def test_split_adds_up_and_never_exceeds_a_capacity(
    capacities: list[Decimal], fraction: float
) -> None:
    whole = sum(capacities, Decimal(0))
    total = round_money(whole * Decimal(str(fraction)), 2)
    total = min(total, whole)
    parts = split(total, capacities, 2)
    assert sum(parts, Decimal(0)) == (total if whole > 0 else 0)
    for part, capacity in zip(parts, capacities, strict=True):
        assert Decimal(0) <= part <= capacity
        assert part == round_money(part, 2)
