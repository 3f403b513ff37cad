"""Budget counters: which ones a call names, their periods in the application's timezone, and
the capping of discounts at what they have left."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carrot.domain.campaign import LimitConfig
from carrot.engine.budgets import budget_keys, entity_key, limit_keys, period_key
from carrot.engine.redemption import BudgetKey, CouponCounter, CouponView, Take
from carrot.engine.scope import CallContext
from tests.engine.support import (
    NOW,
    a_coupon,
    app,
    book,
    call,
    campaign,
    group,
    item,
    rule,
    session,
    wire,
)


def limit(action: str, amount: str, period: str | None = None, *entities: str) -> LimitConfig:
    return LimitConfig(action, Decimal(amount), period, tuple(entities))


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (None, ""),
        ("daily", "2026-11-27"),
        ("weekly", "2026-W48"),
        ("monthly", "2026-11"),
        ("yearly", "2026"),
    ],
)
def test_periods_are_calendar_periods_in_the_application_timezone(
    period: str | None, expected: str
) -> None:
    # 23:30 UTC on Thursday 26 November is already Friday the 27th in Berlin.
    late = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert period_key(period, late, "Europe/Berlin") == expected


def test_new_year_falls_in_the_timezone_not_in_utc() -> None:
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert period_key("yearly", late, "UTC") == "2026"
    assert period_key("yearly", late, "Europe/Berlin") == "2027"
    assert period_key("monthly", late, "America/New_York") == "2026-12"
    # ISO weeks: 1 January 2027 (Friday) belongs to week 53 of 2026.
    assert period_key("weekly", late, "Europe/Berlin") == "2026-W53"


def test_entity_key_does_not_depend_on_the_order_entities_are_listed() -> None:
    assert entity_key([("Profile", "p1"), ("Coupon", "7")]) == entity_key(
        [("Coupon", "7"), ("Profile", "p1")]
    )
    assert entity_key([]) == ""


def test_budget_keys_name_one_counter_per_identifier_and_skip_missing_entities() -> None:
    limits = (
        limit("setDiscount", "100"),
        limit("setDiscount", "10", "daily", "Profile"),
        limit("setDiscountEffect", "1", None, "Identifier"),
        limit("setDiscount", "50", None, "Store"),
    )
    the_book = book(campaign(1, rule("r", None, ["setDiscount", "x", 1]), limits=limits))
    the_session = session(item("a", "10")).with_changes(identifiers=["d1", "d2"])
    keys = budget_keys(CallContext(app(), NOW, the_session), the_book)
    assert keys == {
        BudgetKey(1, "setDiscount"),
        BudgetKey(1, "setDiscount", entity_key([("Profile", "p1")]), "2026-06-01"),
        BudgetKey(1, "setDiscountEffect", entity_key([("Identifier", "d1")])),
        BudgetKey(1, "setDiscountEffect", entity_key([("Identifier", "d2")])),
    }


# Capping discounts --------------------------------------------------------------------------------

ANY_ORDER = [".", "Session", "Total"]


def money_limit(amount: str, *entities: str, period: str | None = None) -> LimitConfig:
    return LimitConfig("setDiscount", Decimal(amount), period, tuple(entities))


def discount_book(*limits: LimitConfig, effects: int = 1, value: int = 10) -> Any:
    rules = [rule(f"r{i}", None, ["setDiscount", f"d{i}", value]) for i in range(effects)]
    return book(campaign(1, *rules, limits=limits))


CAMPAIGN_WIDE = BudgetKey(1, "setDiscount")
P1 = entity_key([("Profile", "p1")])


def test_discount_larger_than_the_budget_is_dropped_without_partial_discounts() -> None:
    outcome = call(
        discount_book(money_limit("100")),
        session(item("a", "50")),
        budgets={CAMPAIGN_WIDE: Decimal(95)},
    )
    assert wire(outcome, "setDiscount") == [] and outcome.takes == []
    assert outcome.triggered[0].id == 1  # the rule fired; its effect could not be applied
    [failure] = outcome.failures
    assert failure.effect_index == 0 and "5" in failure.details and "10" in failure.details


def test_partial_discounts_give_what_is_left_with_the_desired_value() -> None:
    outcome = call(
        discount_book(money_limit("100")),
        session(item("a", "50")),
        application=app(partial_discounts=True),
        budgets={CAMPAIGN_WIDE: Decimal("94.5")},
    )
    [effect] = wire(outcome, "setDiscount")
    assert effect["props"] == {
        "name": "d0",
        "value": 5.5,
        "scope": "sessionTotal",
        "desiredValue": 10,
    }
    assert outcome.takes == [Take(CAMPAIGN_WIDE, Decimal("5.5"), Decimal(100), 1)]


def test_nothing_left_drops_the_discount_even_with_partial_discounts() -> None:
    outcome = call(
        discount_book(money_limit("100")),
        session(item("a", "50")),
        application=app(partial_discounts=True),
        budgets={CAMPAIGN_WIDE: Decimal(100)},
    )
    assert wire(outcome, "setDiscount") == [] and outcome.takes == []


def test_every_applicable_counter_caps_and_every_one_is_taken() -> None:
    daily = BudgetKey(1, "setDiscount", P1, "2026-06-01")
    outcome = call(
        discount_book(money_limit("100"), money_limit("10", "Profile", period="daily")),
        session(item("a", "50")),
        application=app(partial_discounts=True),
        budgets={CAMPAIGN_WIDE: Decimal(97), daily: Decimal(8)},
    )
    assert [e["props"]["value"] for e in wire(outcome, "setDiscount")] == [2]
    assert outcome.takes == [
        Take(CAMPAIGN_WIDE, Decimal(2), Decimal(100), 1),
        Take(daily, Decimal(2), Decimal(10), 1),
    ]


def test_effects_of_one_evaluation_share_what_is_left() -> None:
    outcome = call(
        discount_book(money_limit("25"), effects=3),
        session(item("a", "100")),
        application=app(partial_discounts=True),
    )
    assert [e["props"]["value"] for e in wire(outcome, "setDiscount")] == [10, 10, 5]
    assert outcome.takes == [Take(CAMPAIGN_WIDE, Decimal(25), Decimal(25), 1)]


def test_a_limit_whose_entity_the_call_lacks_does_not_apply() -> None:
    anonymous = session(item("a", "50")).with_changes(profile_integration_id="")
    outcome = call(discount_book(money_limit("1", "Profile"), money_limit("1", "Store")), anonymous)
    assert [e["props"]["value"] for e in wire(outcome, "setDiscount")] == [10]
    assert outcome.takes == []


def test_every_identifier_must_have_room_and_each_is_taken() -> None:
    the_session = session(item("a", "50")).with_changes(identifiers=["d1", "d2"])
    d1 = BudgetKey(1, "setDiscount", entity_key([("Identifier", "d1")]))
    d2 = BudgetKey(1, "setDiscount", entity_key([("Identifier", "d2")]))
    the_book = discount_book(money_limit("20", "Identifier"))
    outcome = call(the_book, the_session, budgets={d2: Decimal(15)})
    assert wire(outcome, "setDiscount") == []
    outcome = call(the_book, the_session, budgets={d2: Decimal(10)})
    assert outcome.takes == [
        Take(d1, Decimal(10), Decimal(20), 1),
        Take(d2, Decimal(10), Decimal(20), 1),
    ]


def test_daily_budget_counts_in_the_application_timezone() -> None:
    late = datetime(2026, 6, 1, 22, 30, tzinfo=UTC)  # already 2 June in Berlin
    berlin = app(timezone="Europe/Berlin")
    today = BudgetKey(1, "setDiscount", "", "2026-06-02")
    the_book = discount_book(money_limit("10", period="daily"))
    used_yesterday = {BudgetKey(1, "setDiscount", "", "2026-06-01"): Decimal(10)}
    outcome = call(
        the_book, session(item("a", "50")), application=berlin, now=late, budgets=used_yesterday
    )
    assert outcome.takes == [Take(today, Decimal(10), Decimal(10), 1)]
    outcome = call(
        the_book,
        session(item("a", "50")),
        application=berlin,
        now=late,
        budgets={today: Decimal(10)},
    )
    assert wire(outcome, "setDiscount") == []


def test_capped_discount_leaves_the_rest_of_the_cart_to_later_campaigns() -> None:
    the_book = book(
        campaign(1, rule("capped", None, ["setDiscount", "a", 10]), limits=(money_limit("3"),)),
        campaign(2, rule("free", None, ["setDiscount", "b", 100])),
    )
    outcome = call(the_book, session(item("a", "20")), application=app(partial_discounts=True))
    assert [e["props"]["value"] for e in wire(outcome, "setDiscount")] == [3, 17]
    assert outcome.total_discount == Decimal(20)


def test_per_item_discounts_are_capped_one_by_one() -> None:
    effect = [
        "map",
        [".", "Session", "CartItems"],
        [["Item"], ["setDiscountPerItem", "5 off", [".", "Item"], 5]],
    ]
    the_book = book(campaign(1, rule("each", None, effect), limits=(money_limit("12"),)))
    cart = session(item("a", "10"), item("b", "10"), item("c", "10"))
    partial = call(the_book, cart, application=app(partial_discounts=True))
    assert [e["props"]["value"] for e in wire(partial, "setDiscountPerItem")] == [5, 5, 2]
    assert wire(partial, "setDiscountPerItem")[2]["props"]["desiredValue"] == 5
    whole = call(the_book, cart)
    assert [e["props"]["value"] for e in wire(whole, "setDiscountPerItem")] == [5, 5]


def test_pro_rata_discount_is_capped_as_a_whole_and_split_exactly() -> None:
    effect = ["setDiscountPerItemProRata", "spread", [".", "Session", "CartItems"], 10]
    the_book = book(campaign(1, rule("spread", None, effect), limits=(money_limit("6.01"),)))
    cart = session(item("a", "10"), item("b", "20"), item("c", "30"))
    outcome = call(the_book, cart, application=app(partial_discounts=True))
    parts = wire(outcome, "setDiscountPerItem")
    assert sum(Decimal(str(p["props"]["value"])) for p in parts) == Decimal("6.01")
    assert {p["props"]["totalDiscount"] for p in parts} == {6.01}
    assert {p["props"]["desiredTotalDiscount"] for p in parts} == {10}


def test_count_budgets_take_one_per_effect() -> None:
    limits = (
        LimitConfig("setDiscountEffect", Decimal(2), None, ("Profile",)),
        LimitConfig("addFreeItemEffect", Decimal(1), None, ()),
    )
    the_book = book(
        campaign(
            1,
            rule("a", None, ["setDiscount", "a", 1], ["addFreeItem", "G", "gift"]),
            rule("b", None, ["setDiscount", "b", 1], ["addFreeItem", "G", "gift"]),
            limits=limits,
        )
    )
    effects_key = BudgetKey(1, "setDiscountEffect", P1)
    outcome = call(the_book, session(item("a", "50")), budgets={effects_key: Decimal(1)})
    assert [e.effect_type for e in outcome.effects] == ["setDiscount", "addFreeItem"]
    assert outcome.takes == [
        Take(effects_key, Decimal(1), Decimal(2), 1),
        Take(BudgetKey(1, "addFreeItemEffect"), Decimal(1), Decimal(1), 1),
    ]


def test_coupon_discount_limit_caps_like_a_gift_card_balance() -> None:
    gift = a_coupon(1, "GIFT", 4, discount_limit=Decimal(25), discount_counter="21")
    the_book = book(campaign(1, rule("gift", ["and", ["couponValid"]], ["setDiscount", "g", 10])))
    outcome = call(the_book, session(item("a", "50")), coupons=(CouponView("GIFT", gift),))
    assert [e.effect_type for e in outcome.effects] == ["acceptCoupon", "setDiscount"]
    assert wire(outcome, "setDiscount")[0]["props"]["desiredValue"] == 10
    assert Take(CouponCounter(4, "discount"), Decimal(4), Decimal(25), 1) in outcome.takes


def test_budgets_of_a_trial_the_group_did_not_choose_are_not_taken() -> None:
    the_book = book(
        group(
            2,
            campaign(1, rule("a", None, ["setDiscount", "a", 5]), limits=(money_limit("50"),)),
            campaign(3, rule("b", None, ["setDiscount", "b", 8])),
            mode="highestDiscount",
        )
    )
    outcome = call(the_book, session(item("a", "50")))
    assert [e.origin.campaign_id for e in outcome.effects] == [3]
    assert outcome.takes == []


@settings(max_examples=150, deadline=None)
@given(
    prices=st.lists(st.integers(min_value=1, max_value=5_000), min_size=1, max_size=4),
    values=st.lists(st.integers(min_value=0, max_value=3_000), min_size=1, max_size=4),
    limits=st.lists(
        st.tuples(st.integers(min_value=0, max_value=6_000), st.integers(0, 6_000)),
        min_size=1,
        max_size=3,
    ),
    partial=st.booleans(),
    per_item=st.booleans(),
)
def test_discounts_never_exceed_what_budgets_have_left_and_add_up_exactly(
    prices: list[int],
    values: list[int],
    limits: list[tuple[int, int]],
    partial: bool,
    per_item: bool,
) -> None:
    cents = Decimal("0.01")
    configs, used = [], {}
    entities = [(), ("Profile",), ("Session",)]
    for index, (limit_cents, used_cents) in enumerate(limits):
        config = LimitConfig("setDiscount", limit_cents * cents, None, entities[index])
        configs.append(config)
        key = limit_keys_for(config)
        used[key] = min(used_cents, limit_cents) * cents
    effects = []
    for index, value in enumerate(values):
        amount = value * cents
        if per_item:
            effects.append(
                ["map", [".", "Session", "CartItems"],
                 [["Item"], ["setDiscountPerItem", f"d{index}", [".", "Item"], amount]]]
            )  # fmt: skip
        else:
            effects.append(["setDiscount", f"d{index}", amount])
    the_book = book(campaign(1, rule("r", None, *effects), limits=tuple(configs)))
    cart = session(*(item(f"s{i}", str(p * cents)) for i, p in enumerate(prices)))
    outcome = call(the_book, cart, application=app(partial_discounts=partial), budgets=used)
    given = outcome.total_discount
    assert given <= sum(p * cents for p in prices)
    for config in configs:
        key = limit_keys_for(config)
        assert used[key] + given <= config.limit
    takes = {take.counter: take.amount for take in outcome.takes}
    for config in configs:
        assert takes.get(limit_keys_for(config), Decimal(0)) == given
    for effect in outcome.effects:
        assert effect.discount == effect.discount.quantize(cents)
        assert sum(a.amount for a in effect.allocations) == effect.discount
        desired = effect.props.get("desiredValue")
        if desired is not None:
            assert partial and Decimal(str(desired)) > effect.discount


def limit_keys_for(config: LimitConfig) -> BudgetKey:
    [key] = limit_keys(1, config, CallContext(app(), NOW, session()))
    return key


ONE_OFF_FIRST = ["setDiscountPerItem", "one", ["item", [".", "Session", "CartItems"], 0], 1]


def test_per_item_choice_keeps_the_budget_of_the_chosen_discounts() -> None:
    each = ["map", [".", "Session", "CartItems"],
            [["Item"], ["setDiscountPerItem", "three", [".", "Item"], 3]]]  # fmt: skip
    the_book = book(
        group(
            2,
            campaign(1, rule("capped", None, each), limits=(money_limit("5"),)),
            campaign(2, rule("one", None, ONE_OFF_FIRST)),
            mode="highestDiscount",
            scope="cartItem",
        )
    )
    cart = session(item("a", "20"), item("b", "20"))
    outcome = call(the_book, cart, application=app(partial_discounts=True))
    assert [(e.origin.campaign_id, e.props["value"]) for e in outcome.effects] == [(1, 3), (1, 2)]
    assert outcome.takes == [Take(CAMPAIGN_WIDE, Decimal(5), Decimal(5), 1)]
