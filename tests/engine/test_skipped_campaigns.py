"""Campaigns that cannot fire on a call are left out of it: those whose every rule requires
another Event.Type, or a code the call does not bring, or whose every rule's first condition
part is false. Left out or evaluated, the outcome is the same, in every group mode, explained
or not, with or without codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from carrot.domain.campaign import LimitConfig
from carrot.engine.evaluate import UNTESTED, GroupNode, Outcome, _Evaluation
from carrot.engine.redemption import CouponView
from carrot.engine.scope import EventView
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
    total,
)

EVENT_TYPE = total("Event.Type")
OVER_20 = [">", total("Session.Total"), 20]
OVER_50 = [">", total("Session.Total"), 50]
HOUR = timedelta(hours=1)
TEN_PERCENT = ["setDiscount", "10%", ["*", total("Session.Total"), 0.1]]
PER_ITEM = ["setDiscountPerItem", "2 off", [".", "Item"], 2]
EACH_ITEM = ["map", total("Session.CartItems"), [["Item"], PER_ITEM]]
NUDGE = [["showNotification", "info", "Almost", "Spend more"]]


def for_event(event_type: str) -> list[Any]:
    return ["=", EVENT_TYPE, event_type]


def test_a_campaign_for_another_event_is_left_out_of_the_call() -> None:
    viewed = campaign(1, rule("viewed", ["and", for_event("viewed"), OVER_20], TEN_PERCENT))
    always = campaign(2, rule("always", None, TEN_PERCENT))
    root = group(1, viewed, always)
    assert root.may_give("talon_session_updated") == ((always,), frozenset({1}))
    assert root.may_give("viewed") == ((viewed, always), frozenset())


def test_a_campaign_for_coupons_is_left_out_unless_the_call_brings_its_code() -> None:
    coupons = campaign(1, rule("coupon", ["and", ["couponValid"]], TEN_PERCENT))
    assert coupons.ruleset is not None and coupons.ruleset.needs_code
    assert group(1, coupons).may_give("") == ((), frozenset({1}))
    the_book = book(coupons)
    the_session = session(item("a", "100"))
    assert call(the_book, the_session, explain=False).effects == []
    code = CouponView("SAVE", a_coupon(1, "SAVE"))
    accepted = call(the_book, the_session, explain=False, coupons=(code,))
    assert [effect.effect_type for effect in accepted.effects] == ["acceptCoupon", "setDiscount"]


def test_a_rule_with_failure_effects_keeps_its_campaign_in_the_call() -> None:
    nudging = rule("viewed", ["and", for_event("viewed")], TEN_PERCENT, failure=NUDGE)
    coupon = rule("coupon", ["and", ["couponValid"]], TEN_PERCENT, failure=NUDGE)
    for rules in (nudging, coupon):
        kept = campaign(1, rules)
        assert group(1, kept).may_give("talon_session_updated") == ((kept,), frozenset())


# Left out or evaluated: the same outcome ---------------------------------------------------

KINDS = ("plain", "per item", "two rules", "segment", "event", "event nudging", "coupon",
         "event coupon", "limited")  # fmt: skip
SEGMENT = ["=", total("Profile.Attributes.Segment"), "gold"]


def campaign_of(campaign_id: int, kind: str, event: str, threshold: int) -> Any:
    over = [">", total("Session.Total"), threshold]
    if kind == "plain":
        return campaign(campaign_id, rule("plain", ["and", over], TEN_PERCENT))
    if kind == "per item":
        return campaign(campaign_id, rule("per item", ["and", over], EACH_ITEM))
    if kind == "two rules":
        more = [">", total("Session.Total"), threshold + 60]
        return campaign(
            campaign_id,
            rule("more", ["and", more], TEN_PERCENT),
            rule("per item", ["and", over], EACH_ITEM),
        )
    if kind == "segment":
        # Without a profile the screen fails to read Profile.Attributes.Segment.
        return campaign(campaign_id, rule("segment", ["and", SEGMENT, over], TEN_PERCENT))
    if kind == "event":
        return campaign(campaign_id, rule("event", ["and", for_event(event), over], EACH_ITEM))
    if kind == "event nudging":
        nudging = rule("nudge", ["and", for_event(event), over], TEN_PERCENT, failure=NUDGE)
        return campaign(campaign_id, nudging)
    if kind == "coupon":
        return campaign(campaign_id, rule("coupon", ["and", ["couponValid"], over], TEN_PERCENT))
    if kind == "event coupon":
        both = ["and", for_event(event), ["couponValid"]]
        return campaign(campaign_id, rule("both", both, TEN_PERCENT))
    limit = LimitConfig("setDiscount", Decimal(15), None, ())
    guarded = rule("limited", ["and", for_event(event), over], TEN_PERCENT)
    return campaign(campaign_id, guarded, limits=(limit,))


@st.composite
def books(draw: st.DrawFn) -> tuple[Any, list[int]]:
    count = draw(st.integers(1, 8))
    campaigns = [
        campaign_of(
            index + 1,
            draw(st.sampled_from(KINDS)),
            draw(st.sampled_from(["viewed", "talon_session_updated"])),
            draw(st.sampled_from([10, 50, 150])),
        )
        for index in range(count)
    ]
    split = draw(st.integers(0, count))
    mode = draw(st.sampled_from(["stackable", "listOrder", "lowestDiscount", "highestDiscount"]))
    scope = draw(st.sampled_from(["session", "cartItem"]))
    inner = group(2, *campaigns[:split], mode=mode, scope=scope)
    return book(*campaigns[split:], inner), [c.campaign.id for c in campaigns]


@contextmanager
def every_campaign_evaluated() -> Iterator[None]:
    every_element = patch.object(
        GroupNode, "may_give", lambda self, _: (self.elements, frozenset())
    )
    no_screening = patch.object(_Evaluation, "_screens_held", lambda *_: None)
    no_group_screening = patch.object(
        _Evaluation, "_screened", lambda _, node, __: [(e, UNTESTED) for e in node.elements]
    )
    with every_element, no_screening, no_group_screening:
        yield


def seen(outcome: Outcome) -> list[Any]:
    return [
        [(effect.to_wire(), str(effect.discount)) for effect in outcome.effects],
        [campaign.id for campaign in outcome.triggered],
        [failure.to_wire() for failure in outcome.failures],
        outcome.takes,
    ]


@settings(max_examples=300, deadline=None)
@given(
    books(),
    st.sampled_from([None, "viewed", "talon_session_updated"]),
    st.lists(st.integers(1, 8), max_size=2, unique=True),
    st.booleans(),
    st.booleans(),
)
def test_leaving_out_campaigns_that_cannot_fire_changes_no_outcome(
    drawn: tuple[Any, list[int]],
    event: str | None,
    coupon_campaigns: list[int],
    explain: bool,
    cascading: bool,
) -> None:
    the_book, ids = drawn
    coupons = tuple(
        CouponView(f"C{c}", a_coupon(c, f"C{c}", c)) for c in coupon_campaigns if c in ids
    )
    the_session = session(item("a", "30", 2, "Tea"), item("b", "45", 1, "Kitchen"))
    kwargs: dict[str, Any] = {
        "application": app(cascading=cascading),
        "explain": explain,
        "coupons": coupons,
        "event": None if event is None else EventView(event),
    }
    skipping = call(the_book, the_session, **kwargs)
    with every_campaign_evaluated():
        evaluated = call(the_book, the_session, **kwargs)
    assert seen(skipping) == seen(evaluated)


def test_a_condition_on_the_campaign_itself_is_tested_on_the_campaign_scope() -> None:
    named = rule("named", ["and", ["=", total("Campaign.Name"), "campaign 1"]], TEN_PERCENT)
    the_book = book(campaign(1, named))
    assert the_book.root.elements[0].ruleset.screens is None  # type: ignore[union-attr]
    outcome = call(the_book, session(item("a", "100")), explain=False)
    assert [effect.effect_type for effect in outcome.effects] == ["setDiscount"]


def test_campaigns_with_the_same_screen_share_one_test_per_call() -> None:
    first = campaign(1, rule("over 20", ["and", OVER_20], TEN_PERCENT))
    second = campaign(2, rule("over 20 too", ["and", OVER_20], EACH_ITEM))
    other = campaign(3, rule("over 50", ["and", [">", total("Session.Total"), 50]], TEN_PERCENT))
    elements, plan = group(1, first, second, other).screen_plan("talon_session_updated", NOW)
    assert elements == (first, second, other)
    assert len(plan.screens) == 2
    assert plan.rules == ((0,), (0,), (1,))


def test_a_campaign_whose_screens_fail_still_rejects_the_code_the_call_brings() -> None:
    coupon = rule("coupon", ["and", OVER_20, ["couponValid"]], TEN_PERCENT)
    the_book = book(campaign(1, coupon), campaign(2, rule("plain", ["and", OVER_20], TEN_PERCENT)))
    code = CouponView("SAVE", a_coupon(1, "SAVE"))
    outcome = call(the_book, session(item("a", "10")), explain=False, coupons=(code,))
    assert [effect.effect_type for effect in outcome.effects] == ["rejectCoupon"]
    assert outcome.effects[0].props["rejectionReason"] == "CouponRejectedByCondition"


def test_campaigns_not_running_are_left_out_of_the_plan_until_they_start() -> None:
    running = campaign(1, rule("over 20", ["and", OVER_20], TEN_PERCENT))
    disabled = campaign(2, rule("over 50", ["and", OVER_50], TEN_PERCENT), state="disabled")
    expired = campaign(3, rule("over 50", ["and", OVER_50], EACH_ITEM), end_time=NOW)
    later = campaign(4, rule("over 50", ["and", OVER_50], EACH_ITEM), start_time=NOW + HOUR)
    node = group(1, running, disabled, expired, later)
    elements, plan = node.screen_plan("talon_session_updated", NOW)
    assert elements == (running,)
    assert len(plan.screens) == 1
    elements, plan = node.screen_plan("talon_session_updated", NOW + HOUR)
    assert elements == (running, later)
    assert len(plan.screens) == 2
    elements, _ = node.screen_plan("talon_session_updated", NOW - HOUR)
    assert elements == (running, expired)


def test_a_dry_call_evaluates_the_disabled_campaigns_it_names() -> None:
    disabled = campaign(2, rule("over 20", ["and", OVER_20], TEN_PERCENT), state="disabled")
    the_book = book(campaign(1, rule("over 20", ["and", OVER_20], EACH_ITEM)), disabled)
    cart = session(item("a", "30"))
    assert [e.effect_type for e in call(the_book, cart, explain=False).effects] == [
        "setDiscountPerItem"
    ]
    outcome = call(the_book, cart, explain=False, only=frozenset({2}))
    assert [(e.effect_type, e.origin.campaign_id) for e in outcome.effects] == [("setDiscount", 2)]
