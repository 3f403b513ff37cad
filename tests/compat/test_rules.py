"""Campaign effects as the SDK's models: a running campaign's discounts, the campaigns that
triggered, why a rule did not fire, and the rollbacks of revoke, reopen and returns."""

from __future__ import annotations

from typing import Any

import pytest
import talon_one

from tests.compat.test_sessions import session_update
from tests.live import LiveServer

pytestmark = pytest.mark.slow

SESSION_TOTAL = [".", "Session", "Total"]
TEN_PERCENT_OVER_50 = {
    "title": "10% over 50",
    "condition": ["and", [">", SESSION_TOTAL, 50]],
    "effects": [["setDiscount", "10% off", ["*", SESSION_TOTAL, 0.1]]],
}
ONE_OFF_EACH_ITEM = {
    "title": "1 off each",
    "condition": ["and"],
    "effects": [
        [
            "map",
            [".", "Session", "CartItems"],
            [["Item"], ["setDiscountPerItem", "1 off", [".", "Item"], 1]],
        ]
    ],
}
WHY = ["customerSession", "triggeredCampaigns", "ruleFailureReasons"]


def running_campaign(live_server: LiveServer, *rules: dict[str, Any]) -> int:
    base = f"/v1/applications/{live_server.application_id}/campaigns"
    with live_server.management() as management:
        created = management.post(base, json={"name": "spring sale"})
        assert created.status_code == 201, created.text
        campaign_id: int = created.json()["id"]
        ruleset = management.post(
            f"{base}/{campaign_id}/rulesets", json={"rules": list(rules), "activate": True}
        )
        assert ruleset.status_code == 201, ruleset.text
    return campaign_id


def effects(state: Any) -> list[tuple[str, Any]]:
    return [(effect.effect_type, effect.props.get("value")) for effect in state.effects]


def test_a_discount_arrives_as_the_sdks_effect_and_campaign_models(
    sdk: talon_one.IntegrationApi, live_server: LiveServer
) -> None:
    campaign_id = running_campaign(live_server, TEN_PERCENT_OVER_50)
    cart = [talon_one.CartItem(sku="tea", quantity=2, price=33.33)]
    state = session_update(sdk, "order-1", WHY, profile_id="kim", cart_items=cart)

    [effect] = state.effects
    assert isinstance(effect, talon_one.Effect)
    assert (effect.campaign_id, effect.rule_index, effect.rule_name) == (
        campaign_id,
        0,
        "10% over 50",
    )
    assert effect.effect_type == "setDiscount"
    assert effect.props["name"] == "10% off" and effect.props["value"] == pytest.approx(6.67)
    [campaign] = state.triggered_campaigns
    assert isinstance(campaign, talon_one.Campaign)
    assert (campaign.id, campaign.name, campaign.state) == (campaign_id, "spring sale", "enabled")
    assert campaign.application_id == live_server.application_id


def test_a_rule_that_did_not_fire_is_explained(
    sdk: talon_one.IntegrationApi, live_server: LiveServer
) -> None:
    campaign_id = running_campaign(live_server, TEN_PERCENT_OVER_50)
    cart = [talon_one.CartItem(sku="tea", quantity=2, price=20)]
    state = session_update(sdk, "order-1", WHY, profile_id="kim", cart_items=cart)

    assert state.effects == [] and state.triggered_campaigns == []
    [reason] = state.rule_failure_reasons
    assert isinstance(reason, talon_one.RuleFailureReason)
    assert (reason.campaign_id, reason.rule_name) == (campaign_id, "10% over 50")
    assert reason.details == "Session.Total is 40; the condition needs > 50"


def test_revoke_reopen_and_returns_answer_rollbacks(
    sdk: talon_one.IntegrationApi, live_server: LiveServer
) -> None:
    running_campaign(live_server, ONE_OFF_EACH_ITEM)
    cart = [
        talon_one.CartItem(sku="tea", quantity=3, price=10),
        talon_one.CartItem(sku="mug", quantity=1, price=5),
    ]
    closed = session_update(sdk, "order-1", profile_id="kim", cart_items=cart, state="closed")
    # 1 off each unit: 3 teas, 1 mug
    assert effects(closed) == [("setDiscountPerItem", 3), ("setDiscountPerItem", 1)]
    assert effects(sdk.get_customer_session("order-1")) == effects(closed)

    request = talon_one.ReturnIntegrationRequest(
        _return=talon_one.NewReturn(
            returned_cart_items=[talon_one.ReturnedCartItem(position=0, quantity=2)]
        )
    )
    returned = sdk.return_cart_items("order-1", request)
    assert effects(returned) == [("rollbackDiscount", 2)]
    assert returned.effects[0].props["cartItemPosition"] == 0

    session_update(sdk, "order-2", profile_id="kim", cart_items=cart, state="closed")
    reopened = sdk.reopen_customer_session("order-2")
    assert sorted(effects(reopened)) == [("rollbackDiscount", 1), ("rollbackDiscount", 3)]

    session_update(sdk, "order-3", profile_id="kim", cart_items=cart, state="closed")
    revoked = session_update(sdk, "order-3", state="cancelled")
    assert revoked.customer_session.state == "cancelled"
    assert sorted(effects(revoked)) == [("rollbackDiscount", 1), ("rollbackDiscount", 3)]
