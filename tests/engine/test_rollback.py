"""Rollback effects: cancel, revoke and reopen give back every discount; returns give back the
discounts of the returned units, and all returns together give back exactly the whole."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from carrot.engine.rollback import rollback_all, rollback_returned


def discount(effect_type: str, value: float, **props: object) -> dict[str, object]:
    return {
        "campaignId": 1,
        "rulesetId": 2,
        "ruleIndex": 0,
        "ruleName": "r",
        "effectType": effect_type,
        "props": {"name": "d", "value": value, **props},
    }


def test_rollback_all_gives_back_every_discount_and_nothing_else() -> None:
    effects = [
        discount("setDiscount", 5, scope="sessionTotal"),
        discount("setDiscountPerItem", 1.5, position=0, subPosition=1, scope="price"),
        {
            "campaignId": 1,
            "rulesetId": 2,
            "ruleIndex": 0,
            "ruleName": "r",
            "effectType": "showNotification",
            "props": {},
        },
    ]
    rolled = rollback_all(effects)
    assert [r["effectType"] for r in rolled] == ["rollbackDiscount", "rollbackDiscount"]
    assert rolled[0]["props"] == {"name": "d", "value": 5, "scope": "sessionTotal"}
    assert rolled[1]["props"] == {
        "name": "d",
        "value": 1.5,
        "cartItemPosition": 0,
        "cartItemSubPosition": 1,
        "scope": "price",
    }
    assert rolled[1]["campaignId"] == 1 and rolled[1]["rulesetId"] == 2


def test_returned_units_of_a_flattened_line_are_the_last_ones() -> None:
    effects = [discount("setDiscountPerItem", 1, position=0, subPosition=unit) for unit in range(3)]
    rolled, kept = rollback_returned(effects, {0: (3, 0, 1)}, 2)
    assert [r["props"]["cartItemSubPosition"] for r in rolled] == [2]
    assert [k["props"]["subPosition"] for k in kept] == [0, 1]


def test_session_discounts_stay_in_force_after_a_return() -> None:
    effects = [discount("setDiscount", 5), discount("setDiscountPerItem", 3, position=1)]
    rolled, kept = rollback_returned(effects, {1: (3, 0, 1)}, 2)
    assert [r["props"]["value"] for r in rolled] == [1]
    assert [k["props"]["value"] for k in kept] == [5, 2]


@settings(max_examples=200, deadline=None)
@given(
    cents=st.integers(min_value=1, max_value=100_000),
    quantity=st.integers(min_value=1, max_value=12),
    data=st.data(),
)
def test_successive_returns_give_back_exactly_the_line_discount(
    cents: int, quantity: int, data: st.DataObject
) -> None:
    value = Decimal(cents) / 100
    effects = [discount("setDiscountPerItem", float(value), position=0)]
    returned, given_back = 0, Decimal(0)
    while returned < quantity:
        now = data.draw(st.integers(min_value=1, max_value=quantity - returned))
        rolled, effects = rollback_returned(effects, {0: (quantity, returned, now)}, 2)
        given_back += sum((Decimal(str(r["props"]["value"])) for r in rolled), Decimal(0))
        returned += now
        assert given_back <= value
    assert given_back == value
    assert effects == []


def code_effect(effect_type: str, value: str) -> dict[str, object]:
    return {
        "campaignId": 3,
        "rulesetId": 4,
        "ruleIndex": 0,
        "ruleName": "coupon",
        "effectType": effect_type,
        "props": {"value": value},
        "triggeredByCoupon": 9,
    }


def test_cancel_gives_back_accepted_coupons_and_referrals() -> None:
    effects = [
        code_effect("acceptCoupon", "SAVE10"),
        code_effect("rejectCoupon", "OLD"),
        code_effect("acceptReferral", "FRIEND"),
        code_effect("couponCreated", "NEW-1"),
        discount("setDiscount", 10, scope="sessionTotal"),
    ]
    rolled = rollback_all(effects)
    assert [(r["effectType"], r["props"]) for r in rolled] == [
        ("rollbackCoupon", {"value": "SAVE10"}),
        ("rollbackReferral", {"value": "FRIEND"}),
        ("rollbackDiscount", {"name": "d", "value": 10, "scope": "sessionTotal"}),
    ]
    assert rolled[0]["campaignId"] == 3 and rolled[0]["ruleName"] == "coupon"


def test_partial_return_keeps_the_coupon_redeemed() -> None:
    effects = [code_effect("acceptCoupon", "SAVE10"), discount("setDiscountPerItem", 3, position=0)]
    rolled, kept = rollback_returned(effects, {0: (3, 0, 1)}, 2)
    assert [r["effectType"] for r in rolled] == ["rollbackDiscount"]
    assert kept[0]["effectType"] == "acceptCoupon"
