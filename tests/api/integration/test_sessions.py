"""PUT/GET /v2/customer_sessions: creation, incremental updates, totals and the state machine."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

ALL = ["customerSession", "customerProfile", "event", "triggeredCampaigns", "ruleFailureReasons"]


def put_session(
    api: Api, session_id: str, response_content: list[str] | None = None, **fields: Any
):
    body = {
        "customerSession": fields,
        "responseContent": ALL if response_content is None else response_content,
    }
    return api.put(f"/v2/customer_sessions/{session_id}", json=body)


def item(sku: str = "sku-1", price: float = 10, quantity: int = 1, **extra: Any) -> dict[str, Any]:
    return {"sku": sku, "price": price, "quantity": quantity, **extra}


def test_new_session_answers_integration_state_with_computed_totals(integration: Api) -> None:
    response = put_session(
        integration,
        "s1",
        profileId="alice",
        cartItems=[item("a", 19.99, 2), item("b", 0.02, 3)],
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["effects"] == [] and body["createdCoupons"] == [] and body["createdReferrals"] == []
    assert body["triggeredCampaigns"] == [] and body["ruleFailureReasons"] == []
    session = body["customerSession"]
    assert session["integrationId"] == "s1"
    assert session["state"] == "open"
    assert session["profileId"] == "alice"
    assert session["cartItemTotal"] == 40.04
    assert session["total"] == 40.04
    assert session["additionalCostTotal"] == 0
    assert [i["position"] for i in session["cartItems"]] == [0, 1]
    assert session["firstSession"] is True
    assert session["updateCount"] == 1
    assert body["event"]["type"] == "talon_session_created"
    assert body["event"]["sessionId"] == "s1"
    assert body["customerProfile"]["integrationId"] == "alice"
    assert body["customerProfile"]["closedSessions"] == 0


def test_response_content_selects_the_parts_returned(integration: Api) -> None:
    body = put_session(integration, "s1", response_content=[], profileId="p").json()
    assert set(body) == {"effects", "createdCoupons", "createdReferrals"}


def test_unknown_response_content_is_refused(integration: Api) -> None:
    response = put_session(integration, "s1", response_content=["everything"])
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/responseContent/0"


def test_omitted_fields_keep_their_value_and_empty_coupon_codes_clear(integration: Api) -> None:
    put_session(integration, "s1", profileId="p", couponCodes=["A"], cartItems=[item()])
    kept = put_session(integration, "s1", identifiers=["device-1"]).json()["customerSession"]
    assert kept["couponCodes"] == ["A"]
    assert kept["profileId"] == "p"
    assert len(kept["cartItems"]) == 1
    assert kept["identifiers"] == ["device-1"]
    assert kept["updateCount"] == 2
    cleared = put_session(integration, "s1", couponCodes=[]).json()["customerSession"]
    assert cleared["couponCodes"] == []


def test_get_returns_the_stored_session_and_its_effects(integration: Api) -> None:
    put_session(integration, "s1", profileId="p", cartItems=[item(price=5, quantity=2)])
    response = integration.get("/v2/customer_sessions/s1")
    assert response.status_code == 200
    body = response.json()
    assert body["effects"] == []
    assert body["customerSession"]["total"] == 10


def test_unknown_session_is_404(integration: Api) -> None:
    response = integration.get("/v2/customer_sessions/nope")
    assert response.status_code == 404
    assert response.json()["message"]


def test_closing_counts_the_sale_on_the_profile(integration: Api) -> None:
    put_session(integration, "s1", profileId="p", cartItems=[item(price=30, quantity=2)])
    body = put_session(integration, "s1", state="closed").json()
    assert body["customerSession"]["state"] == "closed"
    assert body["event"]["type"] == "talon_session_closed"
    assert body["customerProfile"]["closedSessions"] == 1
    assert body["customerProfile"]["totalSales"] == 60


def test_session_created_closed_counts_at_once(integration: Api) -> None:
    body = put_session(integration, "s1", profileId="p", state="closed", cartItems=[item()]).json()
    assert body["event"]["type"] == "talon_session_created"
    assert body["customerProfile"]["closedSessions"] == 1
    assert body["customerProfile"]["totalSales"] == 10


def test_closed_session_cannot_be_modified(integration: Api) -> None:
    put_session(integration, "s1", profileId="p", state="closed", cartItems=[item()])
    response = put_session(integration, "s1", cartItems=[item(price=1)])
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/customerSession/cartItems"
    assert integration.get("/v2/customer_sessions/s1").json()["customerSession"]["total"] == 10


def test_repeating_a_close_changes_nothing(integration: Api) -> None:
    put_session(integration, "s1", profileId="p", state="closed", cartItems=[item()])
    again = put_session(integration, "s1", state="closed", cartItems=[item()])
    assert again.status_code == 200
    body = again.json()
    assert body["customerSession"]["updateCount"] == 1
    assert body["customerProfile"]["closedSessions"] == 1


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (["closed"], "open"),
        (["closed"], "partially_returned"),
        (["open"], "partially_returned"),
        (["cancelled"], "open"),
        (["cancelled"], "closed"),
        (["closed", "cancelled"], "closed"),
    ],
)
def test_refused_transitions_say_which(integration: Api, path: list[str], target: str) -> None:
    put_session(integration, "s1", profileId="p", cartItems=[item()])
    for state in path:
        assert put_session(integration, "s1", state=state).status_code == 200
    before = integration.get("/v2/customer_sessions/s1").json()["customerSession"]
    response = put_session(integration, "s1", state=target)
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["source"]["pointer"] == "/customerSession/state"
    assert target in error["details"]
    assert integration.get("/v2/customer_sessions/s1").json()["customerSession"] == before


def test_new_session_cannot_start_cancelled(integration: Api) -> None:
    response = put_session(integration, "s1", profileId="p", state="cancelled")
    assert response.status_code == 400
    assert integration.get("/v2/customer_sessions/s1").status_code == 404


def test_revoking_a_closed_session_takes_back_the_sale(integration: Api) -> None:
    put_session(integration, "s1", profileId="p", state="closed", cartItems=[item(price=7)])
    body = put_session(integration, "s1", state="cancelled").json()
    assert body["event"]["type"] == "talon_session_revoked"
    assert body["customerProfile"]["closedSessions"] == 0
    assert body["customerProfile"]["totalSales"] == 0


def test_cancelling_an_open_session(integration: Api) -> None:
    put_session(integration, "s1", profileId="p", cartItems=[item()])
    body = put_session(integration, "s1", state="cancelled").json()
    assert body["event"]["type"] == "talon_session_cancelled"
    assert body["customerProfile"]["totalSales"] == 0


def test_additional_costs_add_to_the_total(integration: Api, mgmt: Api) -> None:
    for name, kind in (("shipping", "session"), ("packaging", "item")):
        response = mgmt.post(
            "/v1/additional_costs", json={"name": name, "title": name, "type": kind}
        )
        assert response.status_code == 201, response.text
    session = put_session(
        integration,
        "s1",
        additionalCosts={"shipping": {"price": 4.5}},
        cartItems=[item(price=10, quantity=2, additionalCosts={"packaging": {"price": 0.25}})],
    ).json()["customerSession"]
    assert session["cartItemTotal"] == 20
    assert session["additionalCostTotal"] == 5
    assert session["total"] == 25


def test_undefined_additional_cost_is_refused(integration: Api) -> None:
    response = put_session(integration, "s1", additionalCosts={"shipping": {"price": 1}})
    assert response.status_code == 400
    assert (
        response.json()["errors"][0]["source"]["pointer"]
        == "/customerSession/additionalCosts/shipping"
    )
    assert integration.get("/v2/customer_sessions/s1").status_code == 404


def test_anonymous_session_has_no_profile(integration: Api) -> None:
    body = put_session(integration, "s1", profileId="", state="closed", cartItems=[item()]).json()
    assert body["customerSession"]["firstSession"] is True
    assert "customerProfile" not in body


def test_second_session_of_a_profile_is_not_the_first(integration: Api) -> None:
    put_session(integration, "s1", profileId="p")
    body = put_session(integration, "s2", profileId="p").json()
    assert body["customerSession"]["firstSession"] is False


def test_dry_run_stores_nothing(integration: Api, mgmt: Api, application: dict[str, Any]) -> None:
    response = integration.put(
        "/v2/customer_sessions/s1?dry=true",
        json={
            "customerSession": {"profileId": "ghost", "state": "closed", "cartItems": [item()]},
            "responseContent": ALL,
        },
    )
    assert response.status_code == 200
    assert response.json()["customerProfile"]["closedSessions"] == 1
    assert integration.get("/v2/customer_sessions/s1").status_code == 404
    events = mgmt.get(f"/v1/applications/{application['id']}/events/no_total").json()
    assert events["data"] == []
    profile = integration.get("/v1/customer_profiles/ghost/inventory?profile=true")
    assert profile.status_code == 404


def test_dry_update_leaves_the_stored_session_alone(integration: Api) -> None:
    put_session(integration, "s1", profileId="p", cartItems=[item()])
    integration.put(
        "/v2/customer_sessions/s1?dry=true",
        json={"customerSession": {"state": "closed", "cartItems": [item(price=99)]}},
    )
    stored = integration.get("/v2/customer_sessions/s1").json()["customerSession"]
    assert stored["state"] == "open" and stored["total"] == 10 and stored["updateCount"] == 1


def test_now_requires_dry(integration: Api) -> None:
    response = integration.put(
        "/v2/customer_sessions/s1?now=2099-01-01T00:00:00Z", json={"customerSession": {}}
    )
    assert response.status_code == 400
    assert integration.get("/v2/customer_sessions/s1").status_code == 404


def test_evaluable_campaign_ids_require_dry(integration: Api) -> None:
    response = put_session(integration, "s1", evaluableCampaignIds=[1])
    assert response.status_code == 400
    assert (
        response.json()["errors"][0]["source"]["pointer"] == "/customerSession/evaluableCampaignIds"
    )


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        (
            {"cartItems": [{"sku": "a", "price": "abc", "quantity": 1}]},
            "/customerSession/cartItems/0/price",
        ),
        (
            {"cartItems": [{"sku": "a", "price": -1, "quantity": 1}]},
            "/customerSession/cartItems/0/price",
        ),
        (
            {"cartItems": [{"sku": "a", "price": 1, "quantity": 0}]},
            "/customerSession/cartItems/0/quantity",
        ),
        (
            {"cartItems": [{"sku": "", "price": 1, "quantity": 1}]},
            "/customerSession/cartItems/0/sku",
        ),
        ({"cartItems": [{"price": 1, "quantity": 1}]}, "/customerSession/cartItems/0/sku"),
        (
            {"cartItems": [{"sku": "a", "price": 1, "quantity": 1}] * 1001},
            "/customerSession/cartItems",
        ),
        (
            {"cartItems": [{"sku": "a", "price": 1, "quantity": 5001}] * 2},
            "/customerSession/cartItems",
        ),
        ({"identifiers": ["1", "2", "3", "4", "5", "6"]}, "/customerSession/identifiers"),
        ({"referralCode": "x" * 101}, "/customerSession/referralCode"),
        ({"state": "lost"}, "/customerSession/state"),
        ({"attributes": {"unknownAttribute": 1}}, "/customerSession/attributes/unknownAttribute"),
        (
            {"cartItems": [{"sku": "a", "price": 1, "quantity": 1, "attributes": {"nope": 1}}]},
            "/customerSession/cartItems/0/attributes/nope",
        ),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    integration: Api, fields: dict[str, Any], pointer: str
) -> None:
    put_session(integration, "s1", profileId="p", cartItems=[item()])
    before = integration.get("/v2/customer_sessions/s1").json()
    response = put_session(integration, "s1", **fields)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"]
    assert pointer in [error["source"]["pointer"] for error in body["errors"]]
    assert integration.get("/v2/customer_sessions/s1").json() == before


def test_invalid_json_is_a_400(integration: Api) -> None:
    response = integration.put(
        "/v2/customer_sessions/s1",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"]


def test_nan_price_is_refused(integration: Api) -> None:
    response = integration.put(
        "/v2/customer_sessions/s1",
        content=b'{"customerSession": {"cartItems": [{"sku": "a", "quantity": 1, "price": NaN}]}}',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert integration.get("/v2/customer_sessions/s1").status_code == 404


def test_typed_session_attributes_are_checked(integration: Api, mgmt: Api) -> None:
    created = mgmt.post(
        "/v1/attributes",
        json={
            "entity": "CustomerSession",
            "name": "ShippingCity",
            "title": "Shipping city",
            "type": "string",
        },
    )
    assert created.status_code == 201, created.text
    ok = put_session(integration, "s1", attributes={"ShippingCity": "Berlin"})
    assert ok.json()["customerSession"]["attributes"] == {"ShippingCity": "Berlin"}
    wrong = put_session(integration, "s1", attributes={"ShippingCity": 12})
    assert wrong.status_code == 400
    assert (
        wrong.json()["errors"][0]["source"]["pointer"] == "/customerSession/attributes/ShippingCity"
    )
