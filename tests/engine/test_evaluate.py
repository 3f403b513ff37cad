"""The engine end to end, in process: literal effects to the cent."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from carrot.engine.evaluate import CampaignRules, CampaignView, evaluate
from carrot.engine.host import CustomEffectView
from carrot.engine.rules import compile_ruleset
from carrot.engine.scope import CallContext, EventView, build_scope
from carrot.talang import TextList
from tests.engine.support import (
    NOW,
    app,
    book,
    campaign,
    group,
    item,
    rule,
    run,
    session,
    total,
    values,
)

TEN_PERCENT = ["setDiscount", "10% off", ["*", total("Session.Total"), 0.1]]
OVER_50 = ["and", [">", total("Session.Total"), 50]]
EACH_ITEM = [".", "Session", "CartItems"]


def per_item(name: str, value: object, items: object = EACH_ITEM) -> list[object]:
    return ["map", items, [["Item"], ["setDiscountPerItem", name, [".", "Item"], value]]]


def test_percentage_discount_is_rounded_half_even_to_the_cent() -> None:
    outcome = run(
        book(campaign(1, rule("10%", OVER_50, TEN_PERCENT))), session(item("a", "33.33", 2))
    )
    assert values(outcome) == [("setDiscount", 6.67)]
    wire = outcome.effects[0].to_wire()
    assert wire["campaignId"] == 1 and wire["rulesetId"] == 10 and wire["ruleIndex"] == 0
    assert wire["ruleName"] == "10%" and wire["props"]["scope"] == "sessionTotal"
    assert [c.id for c in outcome.triggered] == [1]


def test_rule_without_condition_always_fires() -> None:
    outcome = run(
        book(campaign(1, rule("always", None, ["setDiscount", "5 off", 5]))),
        session(item("a", "20")),
    )
    assert values(outcome) == [("setDiscount", 5)]


def test_discount_never_exceeds_what_is_left_of_its_scope() -> None:
    the_book = book(
        campaign(1, rule("a", None, ["setDiscount", "big", 15])),
        campaign(2, rule("b", None, ["setDiscount", "bigger", 15])),
    )
    outcome = run(the_book, session(item("a", "20")))
    assert values(outcome) == [("setDiscount", 15), ("setDiscount", 5)]
    assert outcome.total_discount == Decimal("20")


def test_discount_that_finds_nothing_left_gives_no_effect() -> None:
    the_book = book(
        campaign(1, rule("a", None, ["setDiscount", "all", 100])),
        campaign(2, rule("b", None, ["setDiscount", "more", 1])),
    )
    outcome = run(the_book, session(item("a", "20")))
    assert values(outcome) == [("setDiscount", 20)]
    assert [c.id for c in outcome.triggered] == [1, 2]


def test_scope_cart_items_leaves_additional_costs_alone() -> None:
    effect = ["setDiscount", "items", 100, "cartItems"]
    outcome = run(
        book(campaign(1, rule("r", None, effect))), session(item("a", "20"), shipping="4.90")
    )
    assert values(outcome) == [("setDiscount", 20)]
    shipping = ["setDiscountPerAdditionalCost", "free shipping", "shipping", 10]
    outcome = run(
        book(campaign(1, rule("r", None, effect, shipping))),
        session(item("a", "20"), shipping="4.90"),
    )
    assert values(outcome) == [("setDiscount", 20), ("setDiscountPerAdditionalCost", 4.9)]
    assert outcome.effects[1].props["additionalCostId"] == 1


def test_default_scope_comes_from_the_application() -> None:
    outcome = run(
        book(campaign(1, rule("r", None, ["setDiscount", "costs", 100]))),
        session(item("a", "20"), shipping="4.90"),
        app(default_discount_scope="additionalCosts"),
    )
    assert values(outcome) == [("setDiscount", 4.9)]
    assert outcome.effects[0].props["scope"] == "additionalCosts"


def test_per_item_discount_is_per_unit_and_capped_by_the_line() -> None:
    outcome = run(
        book(campaign(1, rule("r", None, per_item("2 off", 2)))),
        session(item("a", "5", 3), item("b", "1.50", 1)),
    )
    assert values(outcome) == [("setDiscountPerItem", 6), ("setDiscountPerItem", 1.5)]
    assert [e.props["name"] for e in outcome.effects] == ["2 off#0", "2 off#1"]
    assert [e.props["position"] for e in outcome.effects] == [0, 1]


def test_flattened_cart_gives_one_effect_per_unit_with_sub_position() -> None:
    outcome = run(
        book(campaign(1, rule("r", None, per_item("10%", ["*", total("Item.Price"), 0.1])))),
        session(item("a", "9.99", 2)),
        app(flattened=True),
    )
    assert values(outcome) == [("setDiscountPerItem", 1), ("setDiscountPerItem", 1)]
    assert [(e.props["position"], e.props["subPosition"]) for e in outcome.effects] == [
        (0, 0),
        (0, 1),
    ]


def test_three_for_two_on_a_category_with_flattening() -> None:
    kitchen = ["filter", EACH_ITEM, [["Item"], ["=", total("Item.Category"), "Kitchen"]]]
    cheapest = ["head", ["sortByNumber", kitchen, [["Item"], total("Item.Price")], False]]
    three_for_two = rule(
        "3 for 2",
        ["and", [">=", ["count", kitchen], 3]],
        ["setDiscountPerItem", "3 for 2", [".", "Cheapest"], total("Cheapest.Price")],
    )
    three_for_two["bindings"] = [{"name": "Cheapest", "expression": cheapest}]
    outcome = run(
        book(campaign(1, three_for_two)),
        session(
            item("pot", "29", 1, "Kitchen"),
            item("cup", "6.50", 2, "Kitchen"),
            item("tea", "4.95", 1, "Tea"),
        ),
        app(flattened=True),
    )
    assert values(outcome) == [("setDiscountPerItem", 6.5)]
    assert outcome.effects[0].props["position"] == 1


def test_pro_rata_parts_add_up_to_the_whole() -> None:
    effect = ["setDiscountPerItemProRata", "10 off", EACH_ITEM, 10]
    outcome = run(
        book(campaign(1, rule("r", None, effect))),
        session(item("a", "10"), item("b", "10"), item("c", "10")),
    )
    assert values(outcome) == [
        ("setDiscountPerItem", 3.34),
        ("setDiscountPerItem", 3.33),
        ("setDiscountPerItem", 3.33),
    ]
    assert {e.props["totalDiscount"] for e in outcome.effects} == {10}


def test_failed_condition_says_which_part_and_the_values_that_decided_it() -> None:
    condition = ["and", [">", total("Session.Total"), 10], [">", total("Session.Total"), 100]]
    outcome = run(
        book(campaign(1, rule("big spender", condition, TEN_PERCENT))), session(item("a", "80"))
    )
    assert outcome.effects == [] and outcome.triggered == []
    [failure] = outcome.failures
    assert failure.condition_index == 1
    assert failure.details == "Session.Total is 80; the condition needs > 100"
    assert failure.to_wire()["ruleName"] == "big spender"


def test_runtime_error_in_a_condition_is_a_failure_with_the_message() -> None:
    condition = ["and", [">", total("Profile.Attributes.Age"), 18]]
    outcome = run(
        book(campaign(1, rule("adults", condition, TEN_PERCENT))), session(item("a", "80"))
    )
    [failure] = outcome.failures
    assert failure.condition_index == 0
    assert "Profile.Attributes.Age" in failure.details and "not set" in failure.details


def test_failure_effects_run_when_the_condition_fails() -> None:
    nudge = [
        "showNotification",
        "info",
        "Almost there",
        ["+", "Spend ", ["toString", ["-", 50, total("Session.Total")]], " more"],
    ]
    outcome = run(
        book(campaign(1, rule("over 50", OVER_50, TEN_PERCENT, failure=[nudge]))),
        session(item("a", "42.50")),
    )
    assert values(outcome) == [
        (
            "showNotification",
            {"notificationType": "info", "title": "Almost there", "body": "Spend 7.50 more"},
        )
    ]


def test_failure_effects_may_not_discount() -> None:
    with pytest.raises(Exception) as raised:
        compile_ruleset(1, [rule("r", OVER_50, TEN_PERCENT, failure=[TEN_PERCENT])], [])
    errors = raised.value.errors  # type: ignore[attr-defined]
    assert errors[0].pointer == "/rules/0/failureEffects/0"


def test_effects_in_conditions_are_refused_with_a_pointer() -> None:
    with pytest.raises(Exception) as raised:
        compile_ruleset(1, [rule("r", ["and", True, ["setDiscount", "x", 1]])], [])
    assert raised.value.errors[0].pointer == "/rules/0/condition/2"  # type: ignore[attr-defined]


def test_bad_rule_names_the_node() -> None:
    with pytest.raises(Exception) as raised:
        compile_ruleset(1, [rule("r", ["and", True, ["not", True, False]], TEN_PERCENT)], [])
    error = raised.value.errors[0]  # type: ignore[attr-defined]
    assert error.pointer == "/rules/0/condition/2"
    assert "got 2" in error.message


def test_effect_failure_is_reported_with_its_index() -> None:
    bad = ["setDiscountPerAdditionalCost", "x", "nonexistent", 1]
    outcome = run(
        book(campaign(1, rule("r", None, ["setDiscount", "a", 1], bad))), session(item("a", "20"))
    )
    assert values(outcome) == [("setDiscount", 1)]
    [failure] = outcome.failures
    assert failure.effect_index == 1 and "nonexistent" in failure.details


def test_rules_run_top_to_bottom_and_bindings_in_order() -> None:
    bindings = [{"name": "Big", "expression": [">", total("Session.Total"), 10]}]
    rules = [
        rule("first", ["and", [".", "Big"]], ["setDiscount", "first", 1]),
        rule("second", None, ["setDiscount", "second", 2]),
    ]
    outcome = run(book(campaign(1, *rules, bindings=bindings)), session(item("a", "20")))
    assert [e.props["name"] for e in outcome.effects] == ["first", "second"]


def test_schedule_and_state_decide_which_campaigns_run() -> None:
    the_book = book(
        campaign(1, rule("r", None, ["setDiscount", "on", 1])),
        campaign(2, rule("r", None, ["setDiscount", "off", 1]), state="disabled"),
        campaign(
            3, rule("r", None, ["setDiscount", "later", 1]), start_time=NOW + timedelta(days=1)
        ),
        campaign(4, rule("r", None, ["setDiscount", "over", 1]), end_time=NOW - timedelta(days=1)),
        campaign(
            5,
            rule("r", None, ["setDiscount", "now", 1]),
            start_time=NOW - timedelta(days=1),
            end_time=NOW + timedelta(days=1),
        ),
    )
    outcome = run(the_book, session(item("a", "20")))
    assert [e.props["name"] for e in outcome.effects] == ["on", "now"]
    only = run(the_book, session(item("a", "20")), only=frozenset({2, 3}))
    assert [e.props["name"] for e in only.effects] == ["off", "later"]


def test_list_order_group_applies_only_the_first_triggered_campaign() -> None:
    the_book = book(
        group(
            2,
            campaign(
                1, rule("r", ["and", [">", total("Session.Total"), 100]], ["setDiscount", "one", 1])
            ),
            campaign(2, rule("r", None, ["setDiscount", "two", 2])),
            campaign(3, rule("r", None, ["setDiscount", "three", 3])),
            mode="listOrder",
        ),
        campaign(4, rule("r", None, ["setDiscount", "outside", 4])),
    )
    outcome = run(the_book, session(item("a", "20")))
    assert [e.props["name"] for e in outcome.effects] == ["two", "outside"]
    assert outcome.effects[0].to_wire()["evaluationGroupMode"] == "listOrder"
    assert outcome.effects[0].to_wire()["evaluationGroupID"] == 2


@pytest.mark.parametrize(
    ("mode", "expected"), [("lowestDiscount", ["small"]), ("highestDiscount", ["large"])]
)
def test_lowest_and_highest_discount_groups_choose_one_campaign(
    mode: str, expected: list[str]
) -> None:
    the_book = book(
        group(
            2,
            campaign(1, rule("r", None, ["setDiscount", "small", 2])),
            campaign(2, rule("r", None, ["setDiscount", "large", 7])),
            campaign(3, rule("r", ["and", False], ["setDiscount", "never", 9])),
            mode=mode,
        )
    )
    outcome = run(the_book, session(item("a", "20")))
    assert [e.props["name"] for e in outcome.effects] == expected
    assert outcome.total_discount == (Decimal(2) if mode == "lowestDiscount" else Decimal(7))
    excluded = [f for f in outcome.failures if f.details.startswith("Not applied")]
    assert len(excluded) == 1


def test_cart_item_scope_chooses_per_item() -> None:
    the_book = book(
        group(
            2,
            campaign(
                1,
                rule(
                    "r",
                    None,
                    per_item(
                        "one", 1, ["filter", EACH_ITEM, [["Item"], ["=", total("Item.SKU"), "a"]]]
                    ),
                ),
            ),
            campaign(2, rule("r", None, per_item("three", 3))),
            mode="highestDiscount",
            scope="cartItem",
        )
    )
    outcome = run(the_book, session(item("a", "20"), item("b", "20")))
    assert [(e.props["name"], e.props["value"]) for e in outcome.effects] == [
        ("three#0", 3),
        ("three#1", 3),
    ]
    lowest = book(
        group(2, *the_book.root.elements[0].elements, mode="lowestDiscount", scope="cartItem")
    )  # type: ignore[union-attr]
    outcome = run(lowest, session(item("a", "20"), item("b", "20")))
    assert [(e.props["name"], e.props["value"]) for e in outcome.effects] == [
        ("one#0", 1),
        ("three#1", 3),
    ]


def test_stackable_campaigns_see_discounted_totals_only_with_cascading() -> None:
    the_book = book(
        campaign(1, rule("r", None, ["setDiscount", "first", 10])),
        campaign(
            2,
            rule(
                "r",
                None,
                [
                    "setDiscount",
                    "10% of what is left",
                    ["*", total("Session.DiscountedTotal"), 0.1],
                ],
            ),
        ),
    )
    outcome = run(the_book, session(item("a", "100")), app(cascading=True))
    assert values(outcome) == [("setDiscount", 10), ("setDiscount", 9)]
    plain = run(the_book, session(item("a", "100")))
    assert values(plain) == [("setDiscount", 10)]
    assert "DiscountedTotal" in plain.failures[0].details


def test_event_rules_read_the_event() -> None:
    condition = [
        "and",
        ["=", total("Event.Type"), "viewed_product"],
        ["=", total("Event.Attributes.sku"), "X1"],
    ]
    the_book = book(
        campaign(
            1, rule("viewed", condition, ["showNotification", "info", "Thanks", "for looking"])
        )
    )
    outcome = run(the_book, None, event=EventView("viewed_product", {"sku": "X1"}))
    assert values(outcome)[0][0] == "showNotification"
    assert run(the_book, None, event=EventView("other")).effects == []


def test_update_attribute_and_add_free_item() -> None:
    the_book = book(
        campaign(
            1,
            rule(
                "r",
                None,
                ["updateAttribute", "Profile.Attributes.Tier", "gold"],
                ["addFreeItem", "GIFT", "Tote bag"],
            ),
        )
    )
    outcome = run(the_book, session(item("a", "20")))
    assert [(e.effect_type, e.props) for e in outcome.effects] == [
        ("updateAttribute", {"path": "Profile.Attributes.Tier", "value": "gold"}),
        ("addFreeItem", {"sku": "GIFT", "name": "Tote bag"}),
    ]


def test_custom_effect_fills_its_payload_template() -> None:
    custom = {
        "sendSample": CustomEffectView(
            5,
            "sendSample",
            '{"sku": "${$sku}", "count": ${$count}}',
            (("sku", "string"), ("count", "number")),
        )
    }
    the_book = book(
        campaign(1, rule("r", None, ["customEffect", "sendSample", "S-1", 2])), custom=custom
    )
    outcome = run(the_book, session(item("a", "20")))
    assert values(outcome) == [
        (
            "customEffect",
            {"effectId": 5, "name": "sendSample", "payload": {"sku": "S-1", "count": 2}},
        )
    ]


def test_cart_item_campaign_cannot_discount_the_session() -> None:
    ruleset = compile_ruleset(10, [rule("r", None, ["setDiscount", "x", 1])], [])
    the_book = book(CampaignRules(CampaignView(1, "items only", type="cartItem"), ruleset))
    outcome = run(the_book, session(item("a", "20")))
    assert outcome.effects == []
    assert "cartItem" in outcome.failures[0].details


def test_campaigns_for_another_event_are_skipped_and_explained() -> None:
    for_views = rule(
        "viewed", ["and", ["=", total("Event.Type"), "viewed_product"]], ["setDiscount", "x", 1]
    )
    compiled = campaign(1, for_views)
    assert compiled.ruleset is not None and compiled.ruleset.event_types == frozenset(
        {"viewed_product"}
    )
    outcome = run(
        book(compiled), session(item("a", "20")), event=EventView("talon_session_updated")
    )
    assert outcome.effects == []
    assert (
        outcome.failures[0].details
        == "Event.Type is talon_session_updated; the condition needs = viewed_product"
    )
    fired = run(book(compiled), session(item("a", "20")), event=EventView("viewed_product"))
    assert values(fired) == [("setDiscount", 1)]


def test_a_rule_without_an_event_guard_keeps_the_campaign_evaluated() -> None:
    mixed = campaign(
        1,
        rule(
            "viewed", ["and", ["=", total("Event.Type"), "viewed_product"]], ["setDiscount", "x", 1]
        ),
        rule("any", None, ["setDiscount", "y", 2]),
    )
    assert mixed.ruleset is not None and mixed.ruleset.event_types is None


def test_failures_are_collected_only_when_explaining() -> None:
    from carrot.engine.evaluate import evaluate
    from carrot.engine.scope import CallContext

    the_book = book(campaign(1, rule("big", OVER_50, TEN_PERCENT)))
    context = CallContext(app(), NOW, session(item("a", "20")))
    assert evaluate(context, the_book).failures == []
    assert len(evaluate(context, the_book, explain=True).failures) == 1


def test_coupon_codes_and_identifiers_are_text_lists_rules_test_membership_over() -> None:
    the_session = session(item("a", "10")).with_changes(
        coupon_codes=["SUMMER10", "WINTER"], identifiers=["device-1"]
    )
    scope = build_scope(CallContext(app(), NOW, the_session))
    assert isinstance(scope["Session"]["CouponCodes"], TextList)
    assert isinstance(scope["Session"]["Identifiers"], TextList)
    has_code = ["exists", total("Session.CouponCodes"), [["c"], ["=", [".", "c"], "SUMMER10"]]]
    has_device = ["exists", total("Session.Identifiers"), [["i"], ["=", [".", "i"], "device-1"]]]
    the_book = book(
        campaign(1, rule("code", ["and", has_code, has_device], ["setDiscount", "d", 1]))
    )
    assert values(run(the_book, the_session)) == [("setDiscount", 1)]
    assert values(run(the_book, the_session.with_changes(coupon_codes=["WINTER"]))) == []


def test_rules_fire_alike_whether_or_not_failures_are_explained() -> None:
    """Without explaining, a rule's first condition part is tested before anything else of its
    campaign is set up: what fires, and what the failure effects say, must not change."""
    nudge = ["showNotification", "info", "Almost", "Spend more"]
    the_book = book(
        campaign(1, rule("mine", ["and", ["=", total("Campaign.Id"), 1]], TEN_PERCENT)),
        campaign(2, rule("not mine", ["and", ["=", total("Campaign.Id"), 1]], TEN_PERCENT)),
        campaign(3, rule("nudge", ["and", [">", total("Session.Total"), 500]], failure=[nudge])),
        campaign(
            4,
            rule("second part fails", ["and", OVER_50[1], [">", total("Session.Total"), 500]]),
            rule("missing attribute", ["and", total("Profile.Attributes.Tier")], TEN_PERCENT),
            rule("second rule fires", OVER_50, ["setDiscount", "five", 5]),
        ),
        campaign(5, rule("code", ["and", OVER_50[1], ["couponValid"]], TEN_PERCENT)),
    )
    context = CallContext(app(), NOW, session(item("a", "60")), None, None)
    quiet = evaluate(context, the_book)
    explained = evaluate(context, the_book, explain=True)
    assert [e.to_wire() for e in quiet.effects] == [e.to_wire() for e in explained.effects]
    assert [c.id for c in quiet.triggered] == [c.id for c in explained.triggered] == [1, 4]
    assert values(quiet) == [
        ("setDiscount", 6),
        ("showNotification", {"notificationType": "info", "title": "Almost", "body": "Spend more"}),
        ("setDiscount", 5),
    ]
