"""The cart's buckets: session discounts spread when the buckets are next read give exactly
what spreading them at once gives, to the digit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from carrot.engine.cart import CartBuckets, ItemBuckets, ItemKey, line_key, total_of

# Mostly whole cents, sometimes a tenth of a cent or a whole number written without decimals.
money = st.one_of(
    st.integers(min_value=0, max_value=20_000).map(lambda c: Decimal(c) / 100),
    st.integers(min_value=0, max_value=20_000).map(lambda c: Decimal(c) / 1000),
    st.integers(min_value=0, max_value=200).map(Decimal),
)
lines = st.lists(
    st.tuples(money, st.dictionaries(st.sampled_from(["wrap", "gift"]), money, max_size=2)),
    min_size=1,
    max_size=6,
)
operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("session"),
            st.sampled_from(["sessionTotal", "cartItems", "additionalCosts"]),
            money,
        ),
        st.tuples(
            st.just("item"),
            st.integers(min_value=0, max_value=5),
            st.sampled_from(["price", "itemTotal"]),
            money,
        ),
        st.tuples(st.just("shipping"), money),
        st.tuples(st.just("read")),
    ),
    max_size=8,
)


def _buckets(cart: list[tuple[Decimal, dict[str, Decimal]]], defer: bool) -> CartBuckets:
    items = [ItemBuckets(ItemKey(i), price, dict(costs)) for i, (price, costs) in enumerate(cart)]
    return CartBuckets.of(items, {"shipping": Decimal("4.90")}, 2, defer=defer)


def _apply(buckets: CartBuckets, operation: tuple[Any, ...]) -> Any:
    """What one operation gives, spelled so that 1.0 and 1.00 differ."""
    kind = operation[0]
    if kind == "session":
        spread = buckets.take_session(operation[1], operation[2])
        return str(spread.total), spread
    if kind == "item":
        return buckets.take_item(ItemKey(operation[1]), operation[2], operation[3])
    if kind == "shipping":
        return buckets.take_cost(None, "shipping", operation[1])
    return str(buckets.total())


def _state(buckets: CartBuckets) -> list[str]:
    return [f"{i.price} {sorted(i.costs.items())}" for i in buckets.items] + [
        str(buckets.session_cost("shipping"))
    ]


def _spelled(allocations: Any) -> list[tuple[Any, Any, str]]:
    return [(a.key, a.cost, str(a.amount)) for a in allocations]


@settings(max_examples=300, deadline=None)
@given(cart=lines, steps=operations)
def test_deferred_session_discounts_give_what_spreading_at_once_gives(
    cart: list[tuple[Decimal, dict[str, Decimal]]], steps: list[tuple[Any, ...]]
) -> None:
    deferred, at_once = _buckets(cart, defer=True), _buckets(cart, defer=False)
    results = [(_apply(deferred, step), _apply(at_once, step)) for step in steps]
    assert _state(deferred) == _state(at_once)
    for late, early in results:
        if isinstance(late, tuple):
            (late_total, late_spread), (early_total, early_spread) = late, early
            assert late_total == early_total == str(total_of(early_spread))
            assert _spelled(late_spread) == _spelled(early_spread)
        elif isinstance(late, list):
            assert _spelled(late) == _spelled(early)
        else:
            assert late == early


def test_every_call_shares_one_key_per_cart_line() -> None:
    assert line_key(3) == ItemKey(3)
    assert line_key(3) is line_key(3)
    assert line_key(3) != ItemKey(3, 0)


def test_positions_beyond_usual_carts_get_keys_that_are_not_kept() -> None:
    # A rule can name any position, from a session attribute say: keys for those are made
    # on demand, so what callers send cannot grow a cache for the life of the process.
    far = 10**9
    assert line_key(far) == ItemKey(far)
    assert line_key(far) is not line_key(far)
    assert line_key(-1) == ItemKey(-1)
