"""Properties of the discount arithmetic over random carts and rules: discounts never exceed
what they discount, no price goes below zero, and spread discounts add up to the cent."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from carrot.domain.session import CartItem
from tests.engine.support import app, book, campaign, rule, run, session

prices = st.integers(min_value=0, max_value=50_000).map(lambda c: str(Decimal(c) / 100))
carts = st.lists(st.tuples(prices, st.integers(min_value=1, max_value=5)), min_size=1, max_size=8)
amounts = st.integers(min_value=0, max_value=100_000).map(lambda c: float(Decimal(c) / 100))

EFFECTS = st.sampled_from(
    [
        lambda v: ["setDiscount", "s", v],
        lambda v: ["setDiscount", "c", v, "cartItems"],
        lambda v: [
            "map",
            [".", "Session", "CartItems"],
            [["Item"], ["setDiscountPerItem", "i", [".", "Item"], v]],
        ],
        lambda v: ["setDiscountPerItemProRata", "p", [".", "Session", "CartItems"], v],
        lambda v: ["setDiscount", "pct", ["*", [".", "Session", "Total"], ["/", v, 1000]]],
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    cart=carts,
    effects=st.lists(st.tuples(EFFECTS, amounts), min_size=1, max_size=5),
    flattened=st.booleans(),
)
def test_discounts_never_exceed_the_cart_and_add_up(
    cart: list[tuple[str, int]], effects: list, flattened: bool
) -> None:  # type: ignore[type-arg]
    items = [CartItem(sku=f"s{i}", quantity=q, price=Decimal(p)) for i, (p, q) in enumerate(cart)]
    the_session = session(*items)
    campaigns = [
        campaign(i + 1, rule("r", None, make(value))) for i, (make, value) in enumerate(effects)
    ]
    outcome = run(book(*campaigns), the_session, app(flattened=flattened))
    total = the_session.total
    assert Decimal(0) <= outcome.total_discount <= total
    per_line: dict[int, Decimal] = {}
    for effect in outcome.effects:
        value = Decimal(str(effect.props["value"]))
        assert value > 0
        assert value == value.quantize(Decimal("0.01"))
        assert sum((a.amount for a in effect.allocations), Decimal(0)) == value
        for allocation in effect.allocations:
            assert allocation.key is not None
            per_line[allocation.key.position] = (
                per_line.get(allocation.key.position, Decimal(0)) + allocation.amount
            )
    for position, discounted in per_line.items():
        assert discounted <= items[position].total
