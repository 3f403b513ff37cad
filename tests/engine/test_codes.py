"""Coupon and referral codes in a session: Talon.One's rejection reasons, in its order; one code
per campaign; couponValid; what an accepted code takes when the session closes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from carrot.domain.campaign import LimitConfig
from carrot.engine.budgets import entity_key
from carrot.engine.redemption import (
    BudgetKey,
    CouponCounter,
    CouponView,
    ReferralCounter,
    ReferralView,
    Take,
)
from tests.engine.support import (
    NOW,
    a_coupon,
    a_referral,
    book,
    call,
    campaign,
    group,
    item,
    rule,
    session,
    wire,
)

VALID = ["couponValid"]
TEN_OFF = ["setDiscount", "10 off", 10]
CART = session(item("a", "100"))
ANONYMOUS = CART.with_changes(profile_integration_id="")


def coupon_book(*extra: Any, **fields: Any) -> Any:
    return book(campaign(1, rule("coupon", ["and", VALID], TEN_OFF), **fields), *extra)


def codes(outcome: Any) -> list[tuple[str, str, Any]]:
    """(effectType, code, rejectionReason or campaignId) of every code effect."""
    found = []
    for effect in outcome.effects:
        if effect.effect_type in ("acceptCoupon", "acceptReferral"):
            found.append((effect.effect_type, effect.props["value"], effect.origin.campaign_id))
        elif effect.effect_type in ("rejectCoupon", "rejectReferral"):
            props = effect.props
            found.append((effect.effect_type, props["value"], props["rejectionReason"]))
    return found


def coupon(value: str = "SAVE10", coupon_id: int = 1, campaign_id: int = 1, **terms: Any) -> Any:
    return a_coupon(campaign_id, value, coupon_id, **terms)


def views(*coupons: Any, reserved: bool = False) -> tuple[CouponView, ...]:
    return tuple(CouponView(c.value, c, reserved) for c in coupons)


# Accepted --------------------------------------------------------------------------------------


def test_valid_coupon_is_accepted_and_its_campaign_effects_say_so() -> None:
    outcome = call(coupon_book(), CART, coupons=views(coupon()))
    assert codes(outcome) == [("acceptCoupon", "SAVE10", 1)]
    accept = wire(outcome, "acceptCoupon")[0]
    assert accept["props"] == {"value": "SAVE10"}
    assert accept["rulesetId"] == 10 and accept["ruleName"] == "coupon"
    discount = wire(outcome, "setDiscount")[0]
    assert discount["triggeredByCoupon"] == 1 and discount["props"]["value"] == 10


def test_accepted_coupon_takes_one_use_and_the_discount_it_gave() -> None:
    outcome = call(coupon_book(), CART, coupons=views(coupon(usage_limit=3, discount_limit=50)))
    assert outcome.takes == [
        Take(CouponCounter(1, "usage"), Decimal(1), Decimal(3), 1),
        Take(CouponCounter(1, "discount"), Decimal(10), Decimal(50), 1),
    ]


def test_unlimited_coupon_counts_anyway_so_cancels_can_give_back() -> None:
    outcome = call(coupon_book(), CART, coupons=views(coupon(usage_limit=0)))
    assert [(t.counter, t.amount, t.limit) for t in outcome.takes] == [
        (CouponCounter(1, "usage"), Decimal(1), None),
        (CouponCounter(1, "discount"), Decimal(10), None),
    ]


def test_coupon_paths_are_readable_by_rules() -> None:
    condition = ["and", VALID, ["=", [".", "Coupon", "Attributes", "tier"], "gold"]]
    effect = ["setDiscount", "rest", [".", "Coupon", "DiscountRemainder"]]
    the_book = book(campaign(1, rule("gold", condition, effect)))
    gold = a_coupon(1, "SAVE10", attributes={"tier": "gold"}, discount_limit=Decimal(30),
                    discount_counter="12")  # fmt: skip
    outcome = call(the_book, CART, coupons=views(gold))
    assert codes(outcome) == [("acceptCoupon", "SAVE10", 1)]
    assert wire(outcome, "setDiscount")[0]["props"]["value"] == 18


def test_coupon_valid_is_false_in_a_campaign_without_a_code() -> None:
    outcome = call(coupon_book(), CART)
    assert outcome.effects == [] and outcome.takes == []


# Rejected before rules, in Talon.One's order ----------------------------------------------------


def test_unknown_code_is_rejected_as_not_found_with_campaign_minus_one() -> None:
    outcome = call(coupon_book(), CART, coupons=(CouponView("NOPE", None),))
    reject = wire(outcome, "rejectCoupon")[0]
    assert reject["campaignId"] == -1 and reject["rulesetId"] == 0
    assert reject["ruleIndex"] == 0 and reject["ruleName"] == ""
    assert reject["props"]["value"] == "NOPE"
    assert reject["props"]["rejectionReason"] == "CouponNotFound"
    assert outcome.takes == [] and wire(outcome, "setDiscount") == []


LATER = NOW + timedelta(days=1)
EARLIER = NOW - timedelta(days=1)


@pytest.mark.parametrize(
    ("terms", "the_session", "reserved", "expected"),
    [
        ({"start_date": LATER}, CART, False, "CouponStartDateInFuture"),
        ({"expiry_date": EARLIER}, CART, False, "CouponExpired"),
        ({"expiry_date": NOW}, CART, False, "CouponExpired"),
        ({"recipient_integration_id": "p2"}, CART, False, "CouponRecipientDoesNotMatch"),
        ({"recipient_integration_id": "p1"}, ANONYMOUS, False, "CouponRecipientDoesNotMatch"),
        ({"is_reservation_mandatory": True}, CART, False, "CouponReservationRequired"),
        ({"is_reservation_mandatory": True}, ANONYMOUS, False, "ProfileRequired"),
        ({"usage_limit": 2, "usage_counter": 2}, CART, False, "CouponLimitReached"),
        ({"discount_limit": Decimal(20), "discount_counter": "20"}, CART, False,
         "CouponLimitReached"),
        # Order: an expired coupon that was also used up is reported expired.
        ({"expiry_date": EARLIER, "usage_limit": 1, "usage_counter": 1}, CART, False,
         "CouponExpired"),
        ({"start_date": LATER, "expiry_date": EARLIER}, CART, False, "CouponStartDateInFuture"),
    ],
)  # fmt: skip
def test_checks_before_rules(
    terms: dict[str, Any], the_session: Any, reserved: bool, expected: str
) -> None:
    counters = {k: terms.pop(k) for k in ("usage_counter", "discount_counter") if k in terms}
    checked = coupon(**terms, **counters)
    outcome = call(coupon_book(), the_session, coupons=views(checked, reserved=reserved))
    assert codes(outcome) == [("rejectCoupon", "SAVE10", expected)]
    assert wire(outcome, "setDiscount") == [] and outcome.takes == []


def test_an_implicitly_reserved_coupon_is_reserved_for_every_profile() -> None:
    checked = coupon(is_reservation_mandatory=True, implicitly_reserved=True)
    outcome = call(coupon_book(), CART, coupons=views(checked))
    assert codes(outcome) == [("acceptCoupon", "SAVE10", 1)]
    outcome = call(coupon_book(), ANONYMOUS, coupons=views(checked))
    assert codes(outcome) == [("rejectCoupon", "SAVE10", "ProfileRequired")]


def test_reserved_coupon_passes_the_mandatory_reservation_check() -> None:
    checked = coupon(is_reservation_mandatory=True)
    outcome = call(coupon_book(), CART, coupons=views(checked, reserved=True))
    assert codes(outcome) == [("acceptCoupon", "SAVE10", 1)]


def test_coupon_of_a_campaign_that_is_not_running_comes_first() -> None:
    expired = coupon(expiry_date=EARLIER)
    outcome = call(coupon_book(state="disabled"), CART, coupons=views(expired))
    assert codes(outcome) == [("rejectCoupon", "SAVE10", "CouponPartOfNotRunningCampaign")]
    reject = wire(outcome, "rejectCoupon")[0]
    assert reject["campaignId"] == 1


def test_dry_call_runs_only_the_evaluable_campaigns() -> None:
    the_book = coupon_book(campaign(2, rule("other", None, TEN_OFF)))
    outcome = call(the_book, CART, coupons=views(coupon()), only=frozenset({2}))
    assert codes(outcome) == [("rejectCoupon", "SAVE10", "CouponPartOfNotRunningCampaign")]
    outcome = call(the_book, CART, coupons=views(coupon()), only=frozenset({1}))
    assert codes(outcome) == [("acceptCoupon", "SAVE10", 1)]


def redeem(amount: str, *entities: str, period: str | None = None) -> LimitConfig:
    return LimitConfig("redeemCoupon", Decimal(amount), period, entities)


def test_campaign_redemption_budget_used_up() -> None:
    the_book = coupon_book(limits=(redeem("100"),))
    used = {BudgetKey(1, "redeemCoupon"): Decimal(100)}
    outcome = call(the_book, CART, coupons=views(coupon()), budgets=used)
    assert codes(outcome) == [("rejectCoupon", "SAVE10", "CampaignLimitReached")]


def test_per_profile_redemption_budget() -> None:
    the_book = coupon_book(limits=(redeem("1", "Profile", period="daily"),))
    key = BudgetKey(1, "redeemCoupon", entity_key([("Profile", "p1")]), "2026-06-01")
    outcome = call(the_book, CART, coupons=views(coupon()), budgets={key: Decimal(1)})
    assert codes(outcome) == [("rejectCoupon", "SAVE10", "ProfileLimitReached")]
    # Yesterday's redemptions do not count today.
    tomorrow = NOW + timedelta(days=1)
    outcome = call(the_book, CART, coupons=views(coupon()), budgets={key: Decimal(1)}, now=tomorrow)
    assert codes(outcome) == [("acceptCoupon", "SAVE10", 1)]
    next_key = BudgetKey(1, "redeemCoupon", entity_key([("Profile", "p1")]), "2026-06-02")
    assert Take(next_key, Decimal(1), Decimal(1), 1) in outcome.takes


def test_limit_reasons_print_the_limit_as_a_number_without_a_trailing_zero() -> None:
    # Stored limits come back as "2.0" (JSON floats); the reason reads "2".
    the_book = coupon_book(limits=(redeem("2.0", "Profile"),))
    key = BudgetKey(1, "redeemCoupon", entity_key([("Profile", "p1")]))
    outcome = call(the_book, CART, coupons=views(coupon()), budgets={key: Decimal(2)})
    details = wire(outcome, "rejectCoupon")[0]["props"]["details"]
    assert details == "redeemCoupon is limited to 2 per profile"


def test_per_profile_redemption_budget_needs_a_profile() -> None:
    the_book = coupon_book(limits=(redeem("1", "Profile"),))
    outcome = call(the_book, ANONYMOUS, coupons=views(coupon()))
    assert codes(outcome) == [("rejectCoupon", "SAVE10", "ProfileRequired")]


def test_coupon_limits_override_the_campaign_per_profile_limit_for_that_coupon() -> None:
    the_book = coupon_book(limits=(redeem("1", "Profile"),))
    generous = coupon(limits=(redeem("3", "Profile"),))
    own_key = BudgetKey(1, "redeemCoupon", entity_key([("Coupon", "1"), ("Profile", "p1")]))
    campaign_key = BudgetKey(1, "redeemCoupon", entity_key([("Profile", "p1")]))
    used = {own_key: Decimal(2), campaign_key: Decimal(5)}
    outcome = call(the_book, CART, coupons=views(generous), budgets=used)
    assert codes(outcome) == [("acceptCoupon", "SAVE10", 1)]
    assert Take(own_key, Decimal(1), Decimal(3), 1) in outcome.takes
    used[own_key] = Decimal(3)
    outcome = call(the_book, CART, coupons=views(generous), budgets=used)
    assert codes(outcome) == [("rejectCoupon", "SAVE10", "ProfileLimitReached")]


def test_accepted_coupon_takes_its_redemption_budgets() -> None:
    the_book = coupon_book(limits=(redeem("100"), redeem("2", "Profile")))
    outcome = call(the_book, CART, coupons=views(coupon()))
    redemptions = [t for t in outcome.takes if isinstance(t.counter, BudgetKey)]
    assert redemptions == [
        Take(BudgetKey(1, "redeemCoupon"), Decimal(1), Decimal(100), 1),
        Take(
            BudgetKey(1, "redeemCoupon", entity_key([("Profile", "p1")])),
            Decimal(1),
            Decimal(2),
            1,
        ),
    ]


# One code per campaign --------------------------------------------------------------------------


def test_one_code_per_campaign_the_first_valid_one_applies() -> None:
    first, second = coupon("FIRST", 1), coupon("SECOND", 2)
    outcome = call(coupon_book(), CART, coupons=views(first, second))
    assert codes(outcome) == [
        ("acceptCoupon", "FIRST", 1),
        ("rejectCoupon", "SECOND", "CouponRejectedByCondition"),
    ]
    assert "FIRST" in wire(outcome, "rejectCoupon")[0]["props"]["details"]
    assert [t.counter for t in outcome.takes] == [
        CouponCounter(1, "usage"),
        CouponCounter(1, "discount"),
    ]


def test_a_code_that_fails_the_checks_leaves_the_campaign_to_the_next() -> None:
    expired, good = coupon("OLD", 1, expiry_date=EARLIER), coupon("GOOD", 2)
    outcome = call(coupon_book(), CART, coupons=views(expired, good))
    assert codes(outcome) == [
        ("rejectCoupon", "OLD", "CouponExpired"),
        ("acceptCoupon", "GOOD", 1),
    ]
    assert wire(outcome, "setDiscount")[0]["triggeredByCoupon"] == 2


def test_codes_of_different_campaigns_each_apply() -> None:
    the_book = coupon_book(campaign(2, rule("c2", ["and", VALID], ["setDiscount", "5", 5])))
    outcome = call(the_book, CART, coupons=views(coupon("A", 1), coupon("B", 2, campaign_id=2)))
    assert codes(outcome) == [("acceptCoupon", "A", 1), ("acceptCoupon", "B", 2)]
    assert [e["triggeredByCoupon"] for e in wire(outcome, "setDiscount")] == [1, 2]


# Rejected by the rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("explain", [True, False])
def test_rules_that_fail_reject_the_coupon_with_the_condition(explain: bool) -> None:
    condition = ["and", VALID, [">", [".", "Session", "Total"], 500]]
    the_book = book(campaign(1, rule("big orders", condition, TEN_OFF)))
    outcome = call(the_book, CART, coupons=views(coupon()), explain=explain)
    reject = wire(outcome, "rejectCoupon")[0]
    assert reject["props"]["rejectionReason"] == "CouponRejectedByCondition"
    assert reject["props"]["conditionIndex"] == 1
    assert reject["props"]["details"] == "Session.Total is 100; the condition needs > 500"
    assert reject["ruleName"] == "big orders" and reject["campaignId"] == 1
    assert (outcome.failures == []) is not explain


def test_coupon_of_a_campaign_its_group_did_not_choose() -> None:
    the_book = book(
        group(
            2,
            campaign(3, rule("first", None, ["setDiscount", "3", 3])),
            campaign(1, rule("coupon", ["and", VALID], TEN_OFF)),
            mode="listOrder",
        )
    )
    outcome = call(the_book, CART, coupons=views(coupon()))
    assert codes(outcome) == [("rejectCoupon", "SAVE10", "CouponPartOfNotTriggeredCampaign")]
    assert outcome.takes == []
    # highestDiscount evaluates both and keeps the higher one: the coupon's.
    the_book = book(
        group(
            2,
            campaign(3, rule("first", None, ["setDiscount", "3", 3])),
            campaign(1, rule("coupon", ["and", VALID], TEN_OFF)),
            mode="highestDiscount",
        )
    )
    outcome = call(the_book, CART, coupons=views(coupon()))
    assert codes(outcome) == [("acceptCoupon", "SAVE10", 1)]


def test_campaign_that_fires_without_checking_the_coupon_does_not_redeem_it() -> None:
    the_book = book(campaign(1, rule("always", None, TEN_OFF)))
    outcome = call(the_book, CART, coupons=views(coupon()))
    assert codes(outcome) == [("rejectCoupon", "SAVE10", "CouponRejectedByCondition")]
    assert "couponValid" in wire(outcome, "rejectCoupon")[0]["props"]["details"]
    assert "triggeredByCoupon" not in wire(outcome, "setDiscount")[0]


def test_effect_a_budget_drops_rejects_the_coupon_with_the_effect_index() -> None:
    limits = (LimitConfig("setDiscount", Decimal(100), None, ()),)
    the_book = book(
        campaign(
            1,
            rule("coupon", ["and", VALID], ["showNotification", "info", "t", "b"], TEN_OFF),
            limits=limits,
        )
    )
    used = {BudgetKey(1, "setDiscount"): Decimal(95)}
    outcome = call(the_book, CART, coupons=views(coupon()), budgets=used)
    reject = wire(outcome, "rejectCoupon")[0]
    assert reject["props"]["rejectionReason"] == "EffectCouldNotBeApplied"
    assert reject["props"]["effectIndex"] == 1
    assert "5" in reject["props"]["details"]
    assert wire(outcome, "setDiscount") == []
    assert outcome.takes == []
    assert [f.effect_index for f in outcome.failures] == [1]


# Referrals -----------------------------------------------------------------------------------------

REFERRED = ["and", ["referralValid"]]


def referral_book(**fields: Any) -> Any:
    return book(campaign(1, rule("friend", REFERRED, TEN_OFF), **fields))


def test_valid_referral_is_accepted_and_takes_one_use() -> None:
    code = a_referral(1, "FRIEND", 7, usage_limit=5)
    outcome = call(referral_book(), CART, referral=ReferralView("FRIEND", code))
    assert codes(outcome) == [("acceptReferral", "FRIEND", 1)]
    assert outcome.takes == [Take(ReferralCounter(7), Decimal(1), Decimal(5), 1)]
    assert "triggeredByCoupon" not in wire(outcome, "setDiscount")[0]


def test_referral_paths_are_readable() -> None:
    condition = ["and", ["referralValid"], ["=", [".", "Referral", "Code"], "FRIEND"]]
    the_book = book(campaign(1, rule("friend", condition, TEN_OFF)))
    code = a_referral(1, "FRIEND")
    outcome = call(the_book, CART, referral=ReferralView("FRIEND", code))
    assert codes(outcome) == [("acceptReferral", "FRIEND", 1)]


@pytest.mark.parametrize(
    ("code", "the_session", "expected"),
    [
        (None, CART, "ReferralNotFound"),
        (a_referral(1, "R", advocate="p1"), CART, "ReferralRecipientIdSameAsAdvocate"),
        (a_referral(1, "R", friend_profile_integration_id="p9"), CART,
         "ReferralRecipientDoesNotMatch"),
        (a_referral(1, "R", usage_limit=1, usage_counter=1), CART, "ReferralLimitReached"),
        (a_referral(1, "R", expiry_date=EARLIER), CART, "ReferralExpired"),
        (a_referral(1, "R", start_date=LATER), CART, "ReferralStartDateInFuture"),
        (a_referral(2, "R"), CART, "ReferralPartOfNotRunningCampaign"),
    ],
)  # fmt: skip
def test_referral_checks_before_rules(code: Any, the_session: Any, expected: str) -> None:
    outcome = call(referral_book(), the_session, referral=ReferralView("R", code))
    assert codes(outcome) == [("rejectReferral", "R", expected)]
    assert outcome.takes == []


def test_referral_rejected_by_condition_and_by_budget() -> None:
    condition = ["and", ["referralValid"], [">", [".", "Session", "Total"], 500]]
    the_book = book(campaign(1, rule("friend", condition, TEN_OFF)))
    outcome = call(the_book, CART, referral=ReferralView("R", a_referral(1, "R")))
    assert codes(outcome) == [("rejectReferral", "R", "ReferralRejectedByCondition")]
    limits = (LimitConfig("redeemReferral", Decimal(1), None, ("Profile",)),)
    used = {BudgetKey(1, "redeemReferral", entity_key([("Profile", "p1")])): Decimal(1)}
    outcome = call(
        referral_book(limits=limits),
        CART,
        referral=ReferralView("R", a_referral(1, "R")),
        budgets=used,
    )
    assert codes(outcome) == [("rejectReferral", "R", "ProfileLimitReached")]


def test_referral_campaign_budget_group_choice_and_dropped_effect() -> None:
    code = a_referral(1, "R")
    used_up = {BudgetKey(1, "redeemReferral"): Decimal(5)}
    limits = (LimitConfig("redeemReferral", Decimal(5), None, ()),)
    outcome = call(
        referral_book(limits=limits), CART, referral=ReferralView("R", code), budgets=used_up
    )
    assert codes(outcome) == [("rejectReferral", "R", "CampaignLimitReached")]

    listed = book(
        group(
            2,
            campaign(3, rule("first", None, ["setDiscount", "3", 3])),
            campaign(1, rule("friend", REFERRED, TEN_OFF)),
            mode="listOrder",
        )
    )
    outcome = call(listed, CART, referral=ReferralView("R", code))
    assert codes(outcome) == [("rejectReferral", "R", "ReferralPartOfNotTriggeredCampaign")]

    money = (LimitConfig("setDiscount", Decimal(5), None, ()),)
    outcome = call(referral_book(limits=money), CART, referral=ReferralView("R", code))
    assert codes(outcome) == [("rejectReferral", "R", "EffectCouldNotBeApplied")]
    assert wire(outcome, "rejectReferral")[0]["props"]["effectIndex"] == 0
