"""Customer profiles, custom events, the inventory and erasing a customer."""

from __future__ import annotations

from typing import Any

from tests.api.integration.test_sessions import item, put_session
from tests.conftest import Api


def define(mgmt: Api, **attribute: Any) -> None:
    response = mgmt.post("/v1/attributes", json={"title": attribute["name"], **attribute})
    assert response.status_code == 201, response.text


def test_profile_update_sets_attributes_and_creates_the_profile(
    integration: Api, mgmt: Api
) -> None:
    define(mgmt, entity="CustomerProfile", name="Tier", type="string")
    define(mgmt, entity="CustomerProfile", name="Age", type="number")
    response = integration.put(
        "/v2/customer_profiles/alice",
        json={"attributes": {"Tier": "gold"}, "responseContent": ["customerProfile"]},
    )
    assert response.status_code == 200, response.text
    assert response.json()["customerProfile"]["attributes"] == {"Tier": "gold"}
    merged = integration.put(
        "/v2/customer_profiles/alice",
        json={"attributes": {"Age": 41}, "responseContent": ["customerProfile"]},
    ).json()["customerProfile"]
    assert merged["attributes"] == {"Tier": "gold", "Age": 41}


def test_profile_update_with_rule_engine_records_an_event(integration: Api) -> None:
    first = integration.put(
        "/v2/customer_profiles/bob?runRuleEngine=true", json={"responseContent": ["event"]}
    ).json()
    assert first["event"]["type"] == "talon_profile_created"
    second = integration.put(
        "/v2/customer_profiles/bob?runRuleEngine=true", json={"responseContent": ["event"]}
    ).json()
    assert second["event"]["type"] == "talon_profile_updated"
    plain = integration.put("/v2/customer_profiles/bob", json={"responseContent": ["event"]}).json()
    assert "event" not in plain


def test_profile_attribute_errors_name_the_attribute(integration: Api, mgmt: Api) -> None:
    define(mgmt, entity="CustomerProfile", name="Age", type="number")
    response = integration.put("/v2/customer_profiles/alice", json={"attributes": {"Age": "old"}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/attributes/Age"
    assert integration.get("/v1/customer_profiles/alice/inventory").status_code == 404


def test_bulk_profile_update_is_all_or_nothing(integration: Api, mgmt: Api) -> None:
    define(mgmt, entity="CustomerProfile", name="Age", type="number")
    bad = integration.put(
        "/v2/customer_profiles",
        json={
            "customerProfiles": [
                {"integrationId": "a", "attributes": {"Age": 1}},
                {"integrationId": "b", "attributes": {"Age": "x"}},
            ]
        },
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["source"]["pointer"] == "/customerProfiles/1/attributes/Age"
    assert integration.get("/v1/customer_profiles/a/inventory").status_code == 404
    silent = integration.put(
        "/v2/customer_profiles",
        json={"customerProfiles": [{"integrationId": "a", "attributes": {"Age": 1}}]},
    )
    assert silent.status_code == 204 and silent.content == b""
    loud = integration.put(
        "/v2/customer_profiles?silent=no",
        json={"customerProfiles": [{"integrationId": "b", "attributes": {"Age": 2}}]},
    )
    assert loud.status_code == 200
    assert loud.json()["integrationStates"][0]["customerProfile"]["attributes"] == {"Age": 2}


def test_bulk_profile_update_takes_at_most_1000(integration: Api) -> None:
    profiles = [{"integrationId": f"p{i}"} for i in range(1001)]
    response = integration.put("/v2/customer_profiles", json={"customerProfiles": profiles})
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"] == "/customerProfiles"


def test_custom_event_is_recorded_with_checked_attributes(
    integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    define(mgmt, entity="Event", eventType="viewed_product", name="sku", type="string")
    response = integration.post(
        "/v2/events?silent=no",
        json={
            "profileId": "alice",
            "type": "viewed_product",
            "attributes": {"sku": "X1"},
            "responseContent": ["customerProfile", "event"],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["event"]["type"] == "viewed_product"
    assert body["event"]["attributes"] == {"sku": "X1"}
    assert body["customerProfile"]["integrationId"] == "alice"
    silent = integration.post(
        "/v2/events",
        json={"profileId": "alice", "type": "viewed_product", "attributes": {"sku": "X2"}},
    )
    assert silent.status_code == 204
    listed = mgmt.get(
        f"/v1/applications/{application['id']}/events/no_total?type=viewed_product"
    ).json()
    assert [e["attributes"]["sku"] for e in listed["data"]] == ["X2", "X1"]


def test_event_errors(integration: Api, mgmt: Api) -> None:
    define(mgmt, entity="Event", eventType="viewed_product", name="sku", type="string")
    cases = [
        ({"profileId": "a", "type": "talon_session_closed"}, "/type"),
        ({"profileId": "a", "type": "never_defined"}, "/type"),
        ({"type": "viewed_product"}, "/profileId"),
        ({"profileId": "a", "type": "viewed_product", "attributes": {"sku": 5}}, "/attributes/sku"),
        (
            {"profileId": "a", "type": "viewed_product", "attributes": {"other": 5}},
            "/attributes/other",
        ),
    ]
    for body, pointer in cases:
        response = integration.post("/v2/events?silent=no", json=body)
        assert response.status_code == 400, body
        assert response.json()["errors"][0]["source"]["pointer"] == pointer, body


def test_inventory_shows_the_profile_with_its_aggregates(integration: Api) -> None:
    put_session(integration, "s1", profileId="p", state="closed", cartItems=[item(price=12.5)])
    body = integration.get("/v1/customer_profiles/p/inventory?profile=true").json()
    assert body["profile"]["closedSessions"] == 1
    assert body["profile"]["totalSales"] == 12.5
    assert body["coupons"] == [] and body["referrals"] == []
    assert "profile" not in integration.get("/v1/customer_profiles/p/inventory").json()


def test_deleting_customer_data_removes_everything_of_the_profile(
    client: Any, integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    from tests.conftest import create_application, create_integration_key

    other_app = create_application(mgmt)
    other = Api(client, f"ApiKey-v1 {create_integration_key(mgmt, other_app['id'])}")
    put_session(integration, "s1", profileId="gone", state="closed", cartItems=[item()])
    put_session(other, "s9", profileId="gone", cartItems=[item()])
    put_session(integration, "s2", profileId="stays", cartItems=[item()])
    assert integration.delete("/v1/customer_data/gone").status_code == 204
    assert integration.get("/v2/customer_sessions/s1").status_code == 404
    assert other.get("/v2/customer_sessions/s9").status_code == 404
    assert integration.get("/v1/customer_profiles/gone/inventory").status_code == 404
    events = mgmt.get(f"/v1/applications/{application['id']}/events/no_total?profile=gone").json()
    assert events["data"] == []
    assert integration.get("/v2/customer_sessions/s2").status_code == 200
    assert integration.delete("/v1/customer_data/gone").status_code == 404
