"""A shop written against Talon.One's Python SDK runs a customer session through its whole life
on carrot: every answer deserialises into the SDK's own models, with the values the shop uses."""

from __future__ import annotations

import json
from typing import Any

import pytest
import talon_one
from talon_one.rest import ApiException

from tests.live import LiveServer

pytestmark = pytest.mark.slow

EVERYTHING = [
    "customerSession",
    "customerProfile",
    "event",
    "triggeredCampaigns",
    "ruleFailureReasons",
]


def define(live_server: LiveServer, path: str, body: dict[str, Any]) -> None:
    with live_server.management() as management:
        created = management.post(path, json=body)
    assert created.status_code == 201, created.text


def session_update(
    sdk: talon_one.IntegrationApi,
    session_id: str,
    response_content: list[str] | None = None,
    **fields: Any,
) -> talon_one.IntegrationStateV2:
    request = talon_one.IntegrationRequest(
        customer_session=talon_one.NewCustomerSessionV2(**fields),
        response_content=EVERYTHING if response_content is None else response_content,
    )
    return sdk.update_customer_session_v2(session_id, request)


def blouse(quantity: int = 1) -> talon_one.CartItem:
    return talon_one.CartItem(
        name="Red Spring Blouse", sku="rdbs-1111", quantity=quantity, price=49.5, category="Shirts"
    )


def trousers() -> talon_one.CartItem:
    return talon_one.CartItem(name="Denim Trousers", sku="dtr-2222", quantity=1, price=74)


def error_body(error: ApiException) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(error.body)
    return body


def test_a_cart_is_created_updated_and_closed(
    sdk: talon_one.IntegrationApi, live_server: LiveServer
) -> None:
    define(live_server, "/v1/additional_costs", {"name": "shipping", "title": "Shipping"})

    created = session_update(
        sdk, "order-1", profile_id="alice", cart_items=[blouse(2)], coupon_codes=["WELCOME"]
    )
    assert isinstance(created, talon_one.IntegrationStateV2)
    [unknown_code] = created.effects
    assert (unknown_code.effect_type, unknown_code.campaign_id) == ("rejectCoupon", -1)
    assert unknown_code.props["rejectionReason"] == "CouponNotFound"
    assert created.created_coupons == []
    session = created.customer_session
    assert isinstance(session, talon_one.CustomerSessionV2)
    assert (session.integration_id, session.state, session.profile_id) == (
        "order-1",
        "open",
        "alice",
    )
    assert session.application_id == live_server.application_id
    assert session.cart_item_total == 99 and session.total == 99
    assert session.coupon_codes == ["WELCOME"]
    assert session.first_session is True
    assert created.event.type == "talon_session_created"
    assert created.customer_profile.integration_id == "alice"
    assert created.triggered_campaigns == [] and created.rule_failure_reasons == []

    updated = session_update(sdk, "order-1", cart_items=[blouse(2), trousers()])
    assert updated.customer_session.coupon_codes == ["WELCOME"], "omitted fields are kept"
    assert [item.position for item in updated.customer_session.cart_items] == [0, 1]
    assert updated.customer_session.cart_item_total == 173
    assert updated.event.type == "talon_session_updated"

    closed = session_update(
        sdk,
        "order-1",
        state="closed",
        additional_costs={"shipping": talon_one.AdditionalCost(price=4.95)},
    )
    assert closed.customer_session.state == "closed"
    assert closed.customer_session.additional_cost_total == pytest.approx(4.95)
    assert closed.customer_session.total == pytest.approx(177.95)
    assert closed.event.type == "talon_session_closed"
    assert closed.customer_profile.closed_sessions == 1
    assert closed.customer_profile.total_sales == pytest.approx(177.95)

    read = sdk.get_customer_session("order-1")
    assert isinstance(read, talon_one.IntegrationCustomerSessionResponse)
    assert read.customer_session.state == "closed"
    assert read.customer_session.total == pytest.approx(177.95)
    assert [effect.effect_type for effect in read.effects] == ["rejectCoupon"]


def test_response_content_limits_what_the_sdk_receives(sdk: talon_one.IntegrationApi) -> None:
    state = session_update(sdk, "order-1", response_content=[], profile_id="alice")
    assert state.customer_session is None and state.customer_profile is None
    assert state.event is None
    assert state.effects == []


def test_a_closed_session_refuses_changes_with_talon_ones_error_shape(
    sdk: talon_one.IntegrationApi,
) -> None:
    session_update(sdk, "order-1", profile_id="alice", cart_items=[blouse()], state="closed")
    with pytest.raises(ApiException) as refused:
        session_update(sdk, "order-1", cart_items=[blouse(3)])
    assert refused.value.status == 400
    body = error_body(refused.value)
    assert "closed" in body["message"]
    assert body["errors"][0]["source"]["pointer"] == "/customerSession/cartItems"
    assert sdk.get_customer_session("order-1").customer_session.cart_items[0].quantity == 1


def test_unknown_session_is_a_404_the_sdk_raises(sdk: talon_one.IntegrationApi) -> None:
    with pytest.raises(ApiException) as missing:
        sdk.get_customer_session("never-seen")
    assert missing.value.status == 404
    assert error_body(missing.value)["errors"][0]["title"]


def test_returns_reduce_the_sale_and_report_previous_returns(
    sdk: talon_one.IntegrationApi,
) -> None:
    session_update(
        sdk, "order-1", profile_id="bob", cart_items=[blouse(3), trousers()], state="closed"
    )

    def return_items(*items: talon_one.ReturnedCartItem) -> talon_one.IntegrationStateV2:
        request = talon_one.ReturnIntegrationRequest(
            _return=talon_one.NewReturn(returned_cart_items=list(items)),
            response_content=["customerSession", "customerProfile", "previousReturns"],
        )
        return sdk.return_cart_items("order-1", request)

    first = return_items(talon_one.ReturnedCartItem(position=0, quantity=1))
    assert first.customer_session.state == "partially_returned"
    blouses = first.customer_session.cart_items[0]
    assert (blouses.returned_quantity, blouses.remaining_quantity) == (1, 2)
    assert first.customer_profile.total_sales == pytest.approx(2 * 49.5 + 74)
    assert first.customer_profile.closed_sessions == 1
    assert isinstance(first._return, talon_one.ModelReturn)
    assert first._return.session_integration_id == "order-1"
    assert [(i.position, i.quantity) for i in first._return.returned_cart_items] == [(0, 1)]
    assert first.previous_returns == []

    second = return_items(talon_one.ReturnedCartItem(position=1))
    assert second.customer_session.cart_items[1].remaining_quantity == 0
    assert second.customer_profile.total_sales == pytest.approx(2 * 49.5)
    assert [r.id for r in second.previous_returns] == [first._return.id]

    with pytest.raises(ApiException) as too_many:
        return_items(talon_one.ReturnedCartItem(position=0, quantity=5))
    assert too_many.value.status == 400
    pointer = error_body(too_many.value)["errors"][0]["source"]["pointer"]
    assert pointer == "/return/returnedCartItems/0/quantity"


def test_reopening_a_closed_session_takes_it_out_of_the_profiles_sales(
    sdk: talon_one.IntegrationApi,
) -> None:
    session_update(sdk, "order-1", profile_id="carol", cart_items=[trousers()], state="closed")
    reopened = sdk.reopen_customer_session("order-1")
    assert isinstance(reopened, talon_one.ReopenSessionResponse)
    assert reopened.effects == []

    state = session_update(sdk, "order-1", cart_items=[trousers(), blouse()])
    assert state.customer_session.state == "open"
    assert state.customer_profile.closed_sessions == 0
    assert state.customer_profile.total_sales == 0

    with pytest.raises(ApiException) as refused:
        sdk.reopen_customer_session("order-1")
    assert refused.value.status == 400
    assert "open" in error_body(refused.value)["message"]
