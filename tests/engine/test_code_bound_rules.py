"""A rule whose condition found couponValid / referralValid true depends on that code: it gives
its effects only when the code is accepted, and an effect it cannot give rejects the code
(EffectCouldNotBeApplied) and takes back the rule's other effects. Capping is partial where it
applies (the coupon's discount limit always; setDiscount budgets with partial discounts): a rule
that gave what was left is accepted, and its later effects that find nothing are no effects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

from carrot.domain.campaign import LimitConfig
from carrot.engine.evaluate import GroupNode, _Evaluation
from carrot.engine.redemption import (
    BudgetKey,
    CouponCounter,
    CouponView,
    ReferralCounter,
    ReferralView,
    Take,
)
from carrot.engine.scope import CallContext, cart_buckets
from tests.engine.support import (
    NOW,
    a_coupon,
    a_referral,
    app,
    book,
    call,
    campaign,
    group,
    item,
    rule,
    session,
)

COUPON_VALID = ["and", ["couponValid"]]
CAMPAIGN_WIDE = BudgetKey(1, "setDiscount")


def each_item(name: str, per_unit: Any) -> list[Any]:
    return [
        "map",
        [".", "Session", "CartItems"],
        [["Item"], ["setDiscountPerItem", name, [".", "Item"], per_unit]],
    ]


def money_budget(amount: str) -> tuple[LimitConfig, ...]:
    return (LimitConfig("setDiscount", Decimal(amount), None, ()),)


def effects(outcome: Any) -> list[tuple[str, dict[str, Any], int | None]]:
    """(effectType, props, triggeredByCoupon) of every effect, to the cent."""
    return [(e.effect_type, e.props, e.origin.triggered_by_coupon) for e in outcome.effects]


def gift_card(used: str) -> tuple[CouponView, ...]:
    card = a_coupon(1, "GIFT", 4, usage_limit=0, discount_limit=Decimal(30), discount_counter=used)
    return (CouponView("GIFT", card),)


# A gift card (discountLimit 30) split over items: 2 off each unit of 9 × 6 and of 1 × 20.
GIFT_BOOK = book(campaign(1, rule("gift", COUPON_VALID, each_item("gift", 2))))
GIFT_CART = session(item("a", "6", 9), item("b", "20"))
ACCEPTED = ("acceptCoupon", {"value": "GIFT"}, None)


def test_a_gift_card_split_over_items_gives_all_it_is_asked_while_it_has_enough() -> None:
    outcome = call(GIFT_BOOK, GIFT_CART, coupons=gift_card("0"))
    assert effects(outcome) == [
        ACCEPTED,
        ("setDiscountPerItem", {"name": "gift#0", "value": 18, "position": 0, "scope": "price"}, 4),
        ("setDiscountPerItem", {"name": "gift#1", "value": 2, "position": 1, "scope": "price"}, 4),
    ]
    assert outcome.takes == [
        Take(CouponCounter(4, "usage"), Decimal(1), None, 1),
        Take(CouponCounter(4, "discount"), Decimal(20), Decimal(30), 1),
    ]


def test_a_gift_card_that_runs_short_part_way_gives_what_it_has_and_is_accepted() -> None:
    outcome = call(GIFT_BOOK, GIFT_CART, coupons=gift_card("20"))
    assert effects(outcome) == [
        ACCEPTED,
        (
            "setDiscountPerItem",
            {"name": "gift#0", "value": 10, "position": 0, "scope": "price", "desiredValue": 18},
            4,
        ),
    ]
    assert outcome.takes == [
        Take(CouponCounter(4, "usage"), Decimal(1), None, 1),
        Take(CouponCounter(4, "discount"), Decimal(10), Decimal(30), 1),
    ]
    assert outcome.failures == []  # the second item finding nothing left is no effect


def test_a_used_up_gift_card_is_rejected_before_rules_and_gives_nothing() -> None:
    outcome = call(GIFT_BOOK, GIFT_CART, coupons=gift_card("30"))
    assert effects(outcome) == [
        (
            "rejectCoupon",
            {
                "value": "GIFT",
                "rejectionReason": "CouponLimitReached",
                "details": "the coupon's discount limit is used up",
            },
            None,
        )
    ]
    assert outcome.takes == []


# All or nothing ----------------------------------------------------------------------------------


def test_an_effect_that_does_not_fit_takes_back_the_whole_rule_and_frees_its_budget() -> None:
    depends = rule(
        "coupon",
        COUPON_VALID,
        ["showNotification", "info", "Coupon", "applied"],
        ["setDiscount", "a", 5],
        ["setDiscount", "b", 5],
    )
    free = rule("everyone", None, ["setDiscount", "c", 6])
    the_book = book(campaign(1, depends, free, limits=money_budget("100")))
    outcome = call(
        the_book,
        session(item("a", "100")),
        coupons=(CouponView("SAVE", a_coupon(1, "SAVE", 7)),),
        budgets={CAMPAIGN_WIDE: Decimal(92)},
    )
    assert effects(outcome) == [
        (
            "rejectCoupon",
            {
                "value": "SAVE",
                "rejectionReason": "EffectCouldNotBeApplied",
                "effectIndex": 2,
                "details": "the campaign's setDiscount budget has 3 left; the discount is 5",
            },
            None,
        ),
        # The coupon's rule gave nothing, so the rule that does not depend on it has 8 left.
        ("setDiscount", {"name": "c", "value": 6, "scope": "sessionTotal"}, None),
    ]
    assert outcome.takes == [Take(CAMPAIGN_WIDE, Decimal(6), Decimal(100), 1)]
    [failure] = outcome.failures
    assert (failure.rule_name, failure.effect_index) == ("coupon", 2)
    assert failure.details == (
        "Effect could not be applied: the campaign's setDiscount budget has 3 left; "
        "the discount is 5."
    )


def test_every_rule_that_depends_on_a_rejected_code_gives_nothing() -> None:
    the_book = book(
        campaign(
            1,
            rule("welcome", ["and", ["referralValid"]], ["setDiscount", "w", 2]),
            rule("gift", ["and", ["referralValid"]], ["addFreeItem", "G", "gift"]),
            limits=(LimitConfig("addFreeItemEffect", Decimal(1), None, ()),),
        )
    )
    outcome = call(
        the_book,
        session(item("a", "100")),
        referral=ReferralView("R", a_referral(1, "R", 3)),
        budgets={BudgetKey(1, "addFreeItemEffect"): Decimal(1)},
    )
    assert effects(outcome) == [
        (
            "rejectReferral",
            {
                "value": "R",
                "rejectionReason": "EffectCouldNotBeApplied",
                "effectIndex": 0,
                "details": "the campaign's addFreeItemEffect budget is used up",
            },
            None,
        )
    ]
    assert outcome.takes == []
    assert [(f.rule_name, f.details) for f in outcome.failures] == [
        (
            "welcome",
            "Not applied: the rule depends on referral R, rejected because an effect of rule "
            "'gift' could not be applied: the campaign's addFreeItemEffect budget is used up.",
        ),
        (
            "gift",
            "Effect could not be applied: the campaign's addFreeItemEffect budget is used up.",
        ),
    ]


def test_a_partial_budget_with_nothing_left_for_the_first_discount_rejects_the_code() -> None:
    the_book = book(
        campaign(1, rule("coupon", COUPON_VALID, each_item("c", 2)), limits=money_budget("150"))
    )
    outcome = call(
        the_book,
        session(item("a", "10"), item("b", "10")),
        application=app(partial_discounts=True),
        coupons=(CouponView("SAVE", a_coupon(1, "SAVE", 7)),),
        budgets={CAMPAIGN_WIDE: Decimal(150)},
    )
    assert [(e.effect_type, e.props.get("rejectionReason")) for e in outcome.effects] == [
        ("rejectCoupon", "EffectCouldNotBeApplied")
    ]
    assert outcome.takes == []


# Partial capping -------------------------------------------------------------------------------

FOUR_TENS = session(item("a", "10"), item("b", "10"), item("c", "10"), item("d", "10"))
BUDGET_12 = book(
    campaign(1, rule("coupon", COUPON_VALID, each_item("c", 5)), limits=money_budget("12"))
)
SAVE = (CouponView("SAVE", a_coupon(1, "SAVE", 7, usage_limit=0)),)


def test_a_partial_budget_caps_a_rule_that_depends_on_a_coupon_and_accepts_it() -> None:
    outcome = call(BUDGET_12, FOUR_TENS, application=app(partial_discounts=True), coupons=SAVE)
    assert effects(outcome) == [
        ("acceptCoupon", {"value": "SAVE"}, None),
        ("setDiscountPerItem", {"name": "c#0", "value": 5, "position": 0, "scope": "price"}, 7),
        ("setDiscountPerItem", {"name": "c#1", "value": 5, "position": 1, "scope": "price"}, 7),
        (
            "setDiscountPerItem",
            {"name": "c#2", "value": 2, "position": 2, "scope": "price", "desiredValue": 5},
            7,
        ),
    ]
    assert outcome.takes == [
        Take(CAMPAIGN_WIDE, Decimal(12), Decimal(12), 1),
        Take(CouponCounter(7, "usage"), Decimal(1), None, 1),
        Take(CouponCounter(7, "discount"), Decimal(12), None, 1),
    ]
    assert outcome.failures == []


def test_without_partial_discounts_a_discount_that_does_not_fit_rejects_the_coupon() -> None:
    outcome = call(BUDGET_12, FOUR_TENS, coupons=SAVE)
    assert effects(outcome) == [
        (
            "rejectCoupon",
            {
                "value": "SAVE",
                "rejectionReason": "EffectCouldNotBeApplied",
                "effectIndex": 0,
                "details": "the campaign's setDiscount budget has 2 left; the discount is 5",
            },
            None,
        )
    ]
    assert outcome.takes == []


# Rules without codes ---------------------------------------------------------------------------


def test_a_rule_without_codes_keeps_its_other_effects_and_rejects_no_code() -> None:
    the_book = book(
        campaign(
            1,
            rule("coupon", COUPON_VALID, ["setDiscount", "c", 3]),
            rule(
                "big", None, ["showNotification", "info", "Big", "order"], ["setDiscount", "b", 50]
            ),
            limits=money_budget("10"),
        )
    )
    outcome = call(the_book, session(item("a", "100")), coupons=SAVE)
    assert effects(outcome) == [
        ("acceptCoupon", {"value": "SAVE"}, None),
        ("setDiscount", {"name": "c", "value": 3, "scope": "sessionTotal"}, 7),
        (
            "showNotification",
            {"notificationType": "info", "title": "Big", "body": "order"},
            7,
        ),
    ]
    [failure] = outcome.failures
    assert (failure.rule_name, failure.effect_index) == ("big", 1)
    assert failure.details == (
        "Effect could not be applied: the campaign's setDiscount budget has 7 left; "
        "the discount is 50."
    )


# Per-item choice of evaluation groups ------------------------------------------------------------


def test_per_item_choice_counts_a_pro_rata_discount_once_whatever_parts_it_keeps() -> None:
    spread = ["setDiscountPerItemProRata", "spread", [".", "Session", "CartItems"], 10]
    one_off_first = ["setDiscountPerItem", "one", ["item", [".", "Session", "CartItems"], 0], 1]
    count_one = (LimitConfig("setDiscountEffect", Decimal(1), None, ()),)
    the_book = book(
        group(
            2,
            campaign(1, rule("spread", COUPON_VALID, spread), limits=count_one),
            campaign(2, rule("one", None, one_off_first)),
            mode="highestDiscount",
            scope="cartItem",
        )
    )
    outcome = call(the_book, session(item("a", "20"), item("b", "20")), coupons=SAVE)
    assert [(e.effect_type, e.props["value"]) for e in outcome.effects] == [
        ("acceptCoupon", "SAVE"),
        ("setDiscountPerItem", 5),
        ("setDiscountPerItem", 5),
    ]
    assert Take(BudgetKey(1, "setDiscountEffect"), Decimal(1), Decimal(1), 1) in outcome.takes


def test_per_item_choice_drops_what_the_budget_lost_meanwhile_and_rejects_its_coupon() -> None:
    """The choice re-caps chosen effects at what budgets have left; here the budget is used
    up between the trials and the choice, so the coupon's rule cannot be applied: the coupon
    is rejected, and the item goes to the other campaign."""
    the_book = book(
        group(
            2,
            campaign(1, rule("coupon", COUPON_VALID, each_item("c", 3)), limits=money_budget("100")),
            campaign(2, rule("one", None, ["setDiscountPerItem", "one", ["item", [".", "Session", "CartItems"], 0], 1])),
            mode="highestDiscount",
            scope="cartItem",
        )
    )  # fmt: skip
    context = CallContext(app(), NOW, session(item("a", "20"), item("b", "20")), coupons=SAVE)
    evaluation = _Evaluation(context, the_book, None, True)
    node = the_book.root.elements[0]
    assert isinstance(node, GroupNode)
    buckets = cart_buckets(context)
    trials = []
    for element in node.elements:
        trial = buckets.copy()
        trials.append((evaluation.element(element, node, trial), trial))
    buckets.spent[CAMPAIGN_WIDE] = Decimal(100)  # as if an earlier effect had taken it all
    outcome = evaluation.finish(evaluation._per_item(node, trials, buckets), buckets)
    assert effects(outcome) == [
        (
            "rejectCoupon",
            {
                "value": "SAVE",
                "rejectionReason": "EffectCouldNotBeApplied",
                "details": "the campaign's setDiscount budget has 0 left; the discount is 3",
            },
            None,
        ),
        (
            "setDiscountPerItem",
            {"name": "one#0", "value": 1, "position": 0, "scope": "price"},
            None,
        ),
    ]
    assert outcome.takes == [Take(CAMPAIGN_WIDE, Decimal(100), Decimal(100), 1)]  # the earlier
    refused = (
        "Effect could not be applied: the campaign's setDiscount budget has 0 left; "
        "the discount is 3."
    )
    assert [f.details for f in outcome.failures if f.campaign_id == 1] == [refused, refused]


# Property ----------------------------------------------------------------------------------------

CENT = Decimal("0.01")


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.tuples(st.integers(1, 3_000), st.integers(1, 3)), min_size=1, max_size=4),
    values=st.lists(st.tuples(st.booleans(), st.integers(0, 2_000)), min_size=1, max_size=3),
    card=st.one_of(st.none(), st.tuples(st.integers(1, 6_000), st.integers(0, 6_000))),
    budget=st.one_of(st.none(), st.tuples(st.integers(0, 6_000), st.integers(0, 6_000))),
    free_rule=st.one_of(st.none(), st.integers(0, 2_000)),
    partial=st.booleans(),
    referral=st.booleans(),
)
def test_a_code_bound_rule_never_gives_more_than_its_card_and_budgets_had(
    lines: list[tuple[int, int]],
    values: list[tuple[bool, int]],
    card: tuple[int, int] | None,
    budget: tuple[int, int] | None,
    free_rule: int | None,
    partial: bool,
    referral: bool,
) -> None:
    cart = session(*(item(f"s{i}", str(p * CENT), q) for i, (p, q) in enumerate(lines)))
    bound = []
    for index, (per_item, value) in enumerate(values):
        amount = value * CENT
        bound.append(
            each_item(f"b{index}", amount) if per_item else ["setDiscount", f"b{index}", amount]
        )
    rules = [
        rule(
            "bound",
            ["and", ["couponValid"], ["referralValid"]] if referral else COUPON_VALID,
            *bound,
        )
    ]
    if free_rule is not None:
        rules.append(rule("free", None, ["setDiscount", "free", free_rule * CENT]))
    limits = () if budget is None else money_budget(str(budget[0] * CENT))
    used = {} if budget is None else {CAMPAIGN_WIDE: min(budget) * CENT}
    terms: dict[str, Any] = {"usage_limit": 0}
    counter = "0"
    if card is not None:
        terms["discount_limit"] = card[0] * CENT
        counter = str(min(card[1], card[0] - 1) * CENT)
    coupon = a_coupon(1, "CODE", 7, discount_counter=counter, **terms)
    outcome = call(
        book(campaign(1, *rules, limits=limits)),  # type: ignore[arg-type]
        cart,
        application=app(partial_discounts=partial),
        coupons=(CouponView("CODE", coupon),),
        referral=ReferralView("R", a_referral(1, "R", 3)) if referral else None,
        budgets=used,
    )  # fmt: skip
    verdicts = {e.effect_type for e in outcome.effects if "Coupon" in e.effect_type}
    verdict_types = ("acceptCoupon", "rejectCoupon", "acceptReferral", "rejectReferral")
    by_rule = [
        e
        for e in outcome.effects
        if e.origin.rule_name == "bound" and e.effect_type not in verdict_types
    ]
    discounts = [e for e in outcome.effects if e.discount > 0]
    given = sum((e.discount for e in discounts), Decimal(0))
    event(f"{sorted(verdicts)} {'with' if by_rule else 'without'} discounts of the bound rule")
    if verdicts == {"rejectCoupon"}:
        assert by_rule == [], "a rejected code's rule gives nothing"
    else:
        assert verdicts == {"acceptCoupon"}
        takes = {take.counter: take.amount for take in outcome.takes}
        assert takes[CouponCounter(7, "usage")] == 1
        assert takes.get(CouponCounter(7, "discount"), Decimal(0)) == given
        if referral:
            assert takes[ReferralCounter(3)] == 1
    if card is not None and verdicts == {"acceptCoupon"}:
        assert given <= card[0] * CENT - Decimal(counter), "never more than the card had"
    if budget is not None:
        assert given <= budget[0] * CENT - used[CAMPAIGN_WIDE], "never more than the budget had"
        taken = {take.counter: take.amount for take in outcome.takes}.get(CAMPAIGN_WIDE, Decimal(0))
        assert taken == given
    for effect in discounts:
        assert effect.discount == effect.discount.quantize(CENT)
