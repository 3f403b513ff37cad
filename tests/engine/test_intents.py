"""createCoupon, reserveCoupon and createReferral: the effects a shop sees and what the service
must store (intents on the Outcome); count budgets apply to them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from carrot.domain.campaign import LimitConfig
from carrot.engine.redemption import (
    BudgetKey,
    CouponIntent,
    CouponView,
    ReferralIntent,
    ReservationIntent,
    Take,
)
from tests.engine.support import a_coupon, book, call, campaign, group, item, rule, session, wire

CART = session(item("a", "100"))
ANONYMOUS = CART.with_changes(profile_integration_id="")


def counter_codes() -> Any:
    issued: list[tuple[int, str]] = []

    def codes(campaign_id: int, kind: str) -> str:
        issued.append((campaign_id, kind))
        return f"{kind.upper()}-{len(issued)}"

    return codes


def test_create_coupon_names_the_code_and_the_recipient() -> None:
    start = ["parseTime", "2026-07-01T00:00:00Z"]
    expiry = ["parseTime", "2026-08-01T00:00:00Z"]
    the_book = book(campaign(5, rule("reward", None, ["createCoupon", 2, 15.5, start, expiry])))
    outcome = call(the_book, CART, codes=counter_codes())
    [effect] = wire(outcome, "couponCreated")
    assert effect["props"] == {"value": "COUPON-1", "profileId": "p1"}
    assert effect["campaignId"] == 5
    assert outcome.created_coupons == [
        CouponIntent(
            5,
            "COUPON-1",
            "p1",
            2,
            Decimal("15.50"),
            datetime(2026, 7, 1, tzinfo=UTC),
            datetime(2026, 8, 1, tzinfo=UTC),
        )
    ]


def test_create_coupon_without_arguments_is_single_use() -> None:
    the_book = book(campaign(5, rule("reward", None, ["createCoupon"])))
    outcome = call(the_book, ANONYMOUS, codes=counter_codes())
    assert wire(outcome, "couponCreated")[0]["props"] == {"value": "COUPON-1", "profileId": ""}
    assert outcome.created_coupons == [CouponIntent(5, "COUPON-1", None, 1, Decimal(0))]


def test_create_coupon_without_a_code_generator_fails_the_effect() -> None:
    the_book = book(campaign(5, rule("reward", None, ["createCoupon"])))
    outcome = call(the_book, CART)
    assert outcome.effects == [] and outcome.created_coupons == []
    assert "cannot create coupon codes" in outcome.failures[0].details


def test_create_coupon_is_limited_by_its_count_budget() -> None:
    limits = (LimitConfig("createCoupon", Decimal(10), None, ()),)
    the_book = book(campaign(5, rule("reward", None, ["createCoupon"]), limits=limits))
    key = BudgetKey(5, "createCoupon")
    outcome = call(the_book, CART, codes=counter_codes(), budgets={key: Decimal(9)})
    assert outcome.takes == [Take(key, Decimal(1), Decimal(10), 5)]
    outcome = call(the_book, CART, codes=counter_codes(), budgets={key: Decimal(10)})
    assert outcome.effects == [] and outcome.created_coupons == [] and outcome.takes == []


def test_create_referral_makes_the_profile_an_advocate() -> None:
    the_book = book(campaign(6, rule("share", None, ["createReferral", 3])))
    outcome = call(the_book, CART, codes=counter_codes())
    assert wire(outcome, "referralCreated")[0]["props"] == {"value": "REFERRAL-1"}
    assert outcome.created_referrals == [ReferralIntent(6, "REFERRAL-1", "p1", 3)]
    anonymous = call(the_book, ANONYMOUS, codes=counter_codes())
    assert anonymous.created_referrals == []
    assert "advocate" in anonymous.failures[0].details


def test_reserve_coupon_reserves_the_session_code_for_the_profile() -> None:
    the_book = book(campaign(1, rule("claim", None, ["reserveCoupon"])))
    claimed = a_coupon(1, "CLAIM", 8)
    outcome = call(the_book, CART, coupons=(CouponView("CLAIM", claimed),))
    [effect] = wire(outcome, "reserveCoupon")
    assert effect["props"] == {
        "couponValue": "CLAIM",
        "profileIntegrationId": "p1",
        "isNewReservation": True,
    }
    assert outcome.reservations == [ReservationIntent(1, 8, "CLAIM", "p1")]
    again = call(the_book, CART, coupons=(CouponView("CLAIM", claimed, reserved=True),))
    assert wire(again, "reserveCoupon")[0]["props"]["isNewReservation"] is False


def test_reserve_coupon_needs_a_code_of_the_campaign_and_a_profile() -> None:
    the_book = book(campaign(1, rule("claim", None, ["reserveCoupon", "OTHER"])))
    claimed = a_coupon(1, "CLAIM", 8)
    outcome = call(the_book, CART, coupons=(CouponView("CLAIM", claimed),))
    assert outcome.reservations == [] and "OTHER" in outcome.failures[0].details
    outcome = call(the_book, ANONYMOUS, coupons=(CouponView("CLAIM", claimed),))
    assert outcome.reservations == [] and "profile" in outcome.failures[0].details


def test_reserve_coupon_stops_at_the_reservation_limit_but_keeps_a_profile_that_holds_one() -> None:
    the_book = book(campaign(1, rule("claim", None, ["reserveCoupon"])))
    full = replace(a_coupon(1, "CLAIM", 8, reservation_limit=2), reservation_counter=2)
    outcome = call(the_book, CART, coupons=(CouponView("CLAIM", full),))
    assert outcome.reservations == []
    assert wire(outcome, "reserveCoupon") == []
    assert "reservationLimit" in outcome.failures[0].details
    held = call(the_book, CART, coupons=(CouponView("CLAIM", full, reserved=True),))
    assert wire(held, "reserveCoupon")[0]["props"]["isNewReservation"] is False
    room = replace(full, reservation_counter=1)
    outcome = call(the_book, CART, coupons=(CouponView("CLAIM", room),))
    assert outcome.reservations == [ReservationIntent(1, 8, "CLAIM", "p1")]


def test_intents_of_a_campaign_its_group_did_not_choose_are_not_kept() -> None:
    the_book = book(
        group(
            2,
            campaign(1, rule("a", None, ["setDiscount", "a", 5], ["createCoupon"])),
            campaign(3, rule("b", None, ["setDiscount", "b", 8])),
            mode="highestDiscount",
        )
    )
    outcome = call(the_book, CART, codes=counter_codes())
    assert outcome.created_coupons == []
    assert [e.effect_type for e in outcome.effects] == ["setDiscount"]
