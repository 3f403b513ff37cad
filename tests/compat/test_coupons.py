"""Coupons through Talon.One's Python SDK: a shop sends codes in a session and reads the
accepted and rejected ones, with the reason, from the SDK's own models; reservations and the
inventory deserialise too."""

from __future__ import annotations

from typing import Any

import pytest
import talon_one

from tests.compat.test_sessions import session_update
from tests.live import LiveServer

pytestmark = pytest.mark.slow

WITH_COUPON = {
    "title": "10 off with a coupon",
    "condition": ["and", ["couponValid"]],
    "effects": [["setDiscount", "coupon", 10]],
}


def coupon_campaign(live_server: LiveServer) -> tuple[int, dict[str, Any]]:
    """A running campaign rewarding its coupons, and one coupon usable once."""
    base = f"/v1/applications/{live_server.application_id}/campaigns"
    with live_server.management() as management:
        created = management.post(base, json={"name": "coupons", "features": ["coupons"]})
        assert created.status_code == 201, created.text
        campaign_id: int = created.json()["id"]
        ruleset = management.post(
            f"{base}/{campaign_id}/rulesets", json={"rules": [WITH_COUPON], "activate": True}
        )
        assert ruleset.status_code == 201, ruleset.text
        coupons = management.post(
            f"{base}/{campaign_id}/coupons",
            params={"silent": "no"},
            json={"numberOfCoupons": 1, "usageLimit": 1},
        )
        assert coupons.status_code == 200, coupons.text
    coupon: dict[str, Any] = coupons.json()["data"][0]
    return campaign_id, coupon


def test_codes_are_accepted_and_rejected_in_the_sdks_models(
    sdk: talon_one.IntegrationApi, live_server: LiveServer
) -> None:
    campaign_id, coupon = coupon_campaign(live_server)
    code = coupon["value"]

    cart = [talon_one.CartItem(sku="tea", quantity=1, price=30)]
    state = session_update(
        sdk,
        "order-1",
        profile_id="kim",
        state="closed",
        coupon_codes=[code, "NOT-A-CODE"],
        cart_items=cart,
    )

    kinds = {effect.effect_type: effect for effect in state.effects}
    assert isinstance(kinds["acceptCoupon"], talon_one.Effect)
    assert kinds["acceptCoupon"].props == {"value": code}
    assert kinds["acceptCoupon"].campaign_id == campaign_id
    assert kinds["rejectCoupon"].props["rejectionReason"] == "CouponNotFound"
    assert kinds["rejectCoupon"].campaign_id == -1
    assert kinds["setDiscount"].triggered_by_coupon == coupon["id"]
    assert state.created_coupons == [] and state.created_referrals == []

    again = session_update(sdk, "order-2", profile_id="lee", coupon_codes=[code])

    [rejected] = [e for e in again.effects if e.effect_type == "rejectCoupon"]
    assert rejected.props["rejectionReason"] == "CouponLimitReached"
    assert rejected.props["value"] == code


def test_reservations_and_inventory_through_the_sdk(
    sdk: talon_one.IntegrationApi, live_server: LiveServer
) -> None:
    _, coupon = coupon_campaign(live_server)
    code = coupon["value"]

    reserved = sdk.create_coupon_reservation(
        code, talon_one.CouponReservations(integration_i_ds=["kim", "lee"])
    )
    holders = sdk.get_reserved_customers(code)
    inventory = sdk.get_customer_inventory("kim", coupons=True)

    assert isinstance(reserved, talon_one.Coupon) and reserved.reservation_counter == 2
    assert [profile.integration_id for profile in holders.data] == ["kim", "lee"]
    [held] = inventory.coupons
    assert isinstance(held, talon_one.InventoryCoupon)
    assert (held.value, held.state, held.profile_redemption_count) == (code, "active", 0)
    sdk.delete_coupon_reservation(code, talon_one.CouponReservations(integration_i_ds=["kim"]))
    assert [p.integration_id for p in sdk.get_reserved_customers(code).data] == ["lee"]


def test_campaign_budgets_arrive_as_the_sdks_campaign_budget(
    sdk: talon_one.IntegrationApi, live_server: LiveServer
) -> None:
    base = f"/v1/applications/{live_server.application_id}/campaigns"
    limits = [{"action": "setDiscount", "limit": 25, "entities": []}]
    with live_server.management() as management:
        created = management.post(base, json={"name": "budget", "limits": limits})
        campaign_id: int = created.json()["id"]
        rule = {"title": "ten", "condition": ["and"], "effects": [["setDiscount", "ten", 10]]}
        management.post(f"{base}/{campaign_id}/rulesets", json={"rules": [rule], "activate": True})
    cart = [talon_one.CartItem(sku="tea", quantity=1, price=30)]
    for order in ("order-1", "order-2", "order-3"):
        session_update(sdk, order, profile_id="kim", state="closed", cart_items=cart)
    configuration = talon_one.Configuration(
        host=live_server.url,
        api_key={"Authorization": live_server.management_key},
        api_key_prefix={"Authorization": "ManagementKey-v1"},
    )

    with talon_one.ApiClient(configuration) as client:
        campaign = talon_one.ManagementApi(client).get_campaign(
            live_server.application_id, campaign_id
        )

    [budget] = campaign.budgets
    assert isinstance(budget, talon_one.CampaignBudget)
    assert (budget.action, budget.limit, budget.counter) == ("setDiscount", 25, 20)
