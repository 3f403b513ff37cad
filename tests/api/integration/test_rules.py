"""Campaign rules through the real API: effects on session updates, events and profile
updates; explanations; rollbacks on cancel, revoke, reopen and returns; freshness."""

from __future__ import annotations

from typing import Any

from tests.api.integration.test_sessions import item, put_session
from tests.conftest import Api

SESSION_TOTAL = [".", "Session", "Total"]
TEN_PERCENT_OVER_50 = {
    "title": "10% over 50",
    "condition": ["and", [">", SESSION_TOTAL, 50]],
    "effects": [["setDiscount", "10% off", ["*", SESSION_TOTAL, 0.1]]],
}
PER_ITEM_ONE_OFF = {
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


def campaign(
    mgmt: Api, application: dict[str, Any], *rules: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    base = f"/v1/applications/{application['id']}/campaigns"
    created = mgmt.post(base, json={"name": fields.pop("name", "sale"), **fields})
    assert created.status_code == 201, created.text
    ruleset = mgmt.post(
        f"{base}/{created.json()['id']}/rulesets", json={"rules": list(rules), "activate": True}
    )
    assert ruleset.status_code == 201, ruleset.text
    result: dict[str, Any] = created.json()
    return result


def discounts(body: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(e["effectType"], e["props"].get("value")) for e in body["effects"]]


def test_session_update_answers_the_effects_of_running_campaigns(
    integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    created = campaign(mgmt, application, TEN_PERCENT_OVER_50)
    body = put_session(integration, "s1", profileId="p", cartItems=[item("a", 33.33, 2)]).json()
    assert discounts(body) == [("setDiscount", 6.67)]
    effect = body["effects"][0]
    assert effect["campaignId"] == created["id"]
    assert effect["ruleName"] == "10% over 50" and effect["ruleIndex"] == 0
    assert [c["id"] for c in body["triggeredCampaigns"]] == [created["id"]]
    assert body["event"]["effects"] == body["effects"]


def test_rule_failure_reasons_explain_the_values(
    integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    created = campaign(mgmt, application, TEN_PERCENT_OVER_50)
    body = put_session(integration, "s1", profileId="p", cartItems=[item("a", 20, 2)]).json()
    assert body["effects"] == [] and body["triggeredCampaigns"] == []
    [reason] = body["ruleFailureReasons"]
    assert reason["campaignID"] == created["id"] and reason["ruleName"] == "10% over 50"
    assert reason["conditionIndex"] == 0
    assert reason["details"] == "Session.Total is 40; the condition needs > 50"


def test_closed_session_keeps_its_effects_and_revoking_rolls_them_back(
    integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    campaign(mgmt, application, TEN_PERCENT_OVER_50)
    closed = put_session(
        integration, "s1", profileId="p", state="closed", cartItems=[item("a", 100)]
    ).json()
    assert discounts(closed) == [("setDiscount", 10)]
    assert discounts(integration.get("/v2/customer_sessions/s1").json()) == [("setDiscount", 10)]
    revoked = put_session(integration, "s1", state="cancelled").json()
    assert [(e["effectType"], e["props"]["value"]) for e in revoked["effects"]] == [
        ("rollbackDiscount", 10)
    ]
    assert revoked["effects"][0]["props"]["name"] == "10% off"
    assert integration.get("/v2/customer_sessions/s1").json()["effects"] == []


def test_reopen_rolls_back_what_the_close_gave(
    integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    campaign(mgmt, application, TEN_PERCENT_OVER_50)
    put_session(integration, "s1", profileId="p", state="closed", cartItems=[item("a", 100)])
    reopened = integration.put("/v2/customer_sessions/s1/reopen").json()
    assert [(e["effectType"], e["props"]["value"]) for e in reopened["effects"]] == [
        ("rollbackDiscount", 10)
    ]
    again = put_session(integration, "s1", state="closed").json()
    assert discounts(again) == [("setDiscount", 10)]


def test_returns_roll_back_the_discounts_of_returned_units(
    integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    campaign(mgmt, application, PER_ITEM_ONE_OFF)
    put_session(
        integration,
        "s1",
        profileId="p",
        state="closed",
        cartItems=[item("a", 10, 3), item("b", 5, 1)],
    )
    body = integration.post(
        "/v2/customer_sessions/s1/returns",
        json={"return": {"returnedCartItems": [{"position": 0, "quantity": 2}]}},
    ).json()
    assert [
        (e["effectType"], e["props"]["value"], e["props"]["cartItemPosition"])
        for e in body["effects"]
    ] == [("rollbackDiscount", 2, 0)]
    in_force = integration.get("/v2/customer_sessions/s1").json()["effects"]
    assert [(e["props"]["position"], e["props"]["value"]) for e in in_force] == [(0, 1), (1, 1)]


def test_dry_run_with_evaluable_campaign_ids_simulates_a_disabled_campaign(
    integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    draft = campaign(mgmt, application, TEN_PERCENT_OVER_50, state="disabled")
    body = {
        "customerSession": {"cartItems": [item("a", 100)], "evaluableCampaignIds": [draft["id"]]}
    }
    live = put_session(integration, "s1", cartItems=[item("a", 100)]).json()
    assert live["effects"] == []
    dry = integration.put("/v2/customer_sessions/s1?dry=true", json=body).json()
    assert discounts(dry) == [("setDiscount", 10)]
    assert integration.get("/v2/customer_sessions/s1").json()["effects"] == []


def test_campaign_changes_are_seen_by_the_next_request(
    integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    created = campaign(mgmt, application, TEN_PERCENT_OVER_50)
    assert discounts(put_session(integration, "s1", cartItems=[item("a", 100)]).json()) == [
        ("setDiscount", 10)
    ]
    url = f"/v1/applications/{application['id']}/campaigns/{created['id']}"
    current = mgmt.get(url).json()
    updated = mgmt.put(
        url,
        json={
            **{k: current[k] for k in ("name", "description", "tags", "features")},
            "state": "disabled",
        },
    )
    assert updated.status_code == 200, updated.text
    assert put_session(integration, "s1", cartItems=[item("a", 101)]).json()["effects"] == []


def test_events_run_rules_on_the_event(
    integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    assert (
        mgmt.post(
            "/v1/attributes",
            json={
                "entity": "Event",
                "eventType": "viewed_product",
                "name": "sku",
                "title": "SKU",
                "type": "string",
            },
        ).status_code
        == 201
    )
    notify = {
        "title": "viewed",
        "condition": [
            "and",
            ["=", [".", "Event", "Type"], "viewed_product"],
            ["=", [".", "Event", "Attributes", "sku"], "X1"],
        ],
        "effects": [["showNotification", "info", "Like it?", "It is on sale"]],
    }
    campaign(mgmt, application, notify)
    body = integration.post(
        "/v2/events?silent=no",
        json={"profileId": "p", "type": "viewed_product", "attributes": {"sku": "X1"}},
    ).json()
    assert [e["effectType"] for e in body["effects"]] == ["showNotification"]
    other = integration.post(
        "/v2/events?silent=no",
        json={"profileId": "p", "type": "viewed_product", "attributes": {"sku": "X2"}},
    ).json()
    assert other["effects"] == []


def test_update_attribute_is_stored_unless_dry(
    integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    assert (
        mgmt.post(
            "/v1/attributes",
            json={"entity": "CustomerProfile", "name": "Tier", "title": "Tier", "type": "string"},
        ).status_code
        == 201
    )
    promote = {
        "title": "big spender",
        "condition": ["and", [">", SESSION_TOTAL, 100]],
        "effects": [["updateAttribute", "Profile.Attributes.Tier", "gold"]],
    }
    campaign(mgmt, application, promote)
    integration.put(
        "/v2/customer_sessions/dry?dry=true",
        json={"customerSession": {"profileId": "p", "cartItems": [item("a", 150)]}},
    )
    assert integration.get("/v1/customer_profiles/p/inventory?profile=true").status_code == 404
    body = put_session(integration, "s1", profileId="p", cartItems=[item("a", 150)]).json()
    assert [e["effectType"] for e in body["effects"]] == ["updateAttribute"]
    profile = integration.get("/v1/customer_profiles/p/inventory?profile=true").json()["profile"]
    assert profile["attributes"] == {"Tier": "gold"}


def test_update_attribute_of_an_undefined_attribute_is_dropped_and_explained(
    integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    campaign(
        mgmt,
        application,
        {
            "title": "r",
            "condition": ["and"],
            "effects": [["updateAttribute", "Profile.Attributes.Nope", 1]],
        },
    )
    body = put_session(integration, "s1", profileId="p", cartItems=[item("a", 1)]).json()
    assert body["effects"] == []
    assert "Nope" in body["ruleFailureReasons"][0]["details"]


def test_profile_update_with_rule_engine_runs_rules(
    integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    welcome = {
        "title": "welcome",
        "condition": ["and", ["=", [".", "Event", "Type"], "talon_profile_created"]],
        "effects": [["showNotification", "info", "Welcome", "Glad to have you"]],
    }
    campaign(mgmt, application, welcome)
    first = integration.put("/v2/customer_profiles/new?runRuleEngine=true", json={}).json()
    assert [e["effectType"] for e in first["effects"]] == ["showNotification"]
    second = integration.put("/v2/customer_profiles/new?runRuleEngine=true", json={}).json()
    assert second["effects"] == []


def test_rule_that_does_not_compile_is_refused_at_save_time(
    mgmt: Api, application: dict[str, Any]
) -> None:
    base = f"/v1/applications/{application['id']}/campaigns"
    created = mgmt.post(base, json={"name": "broken"}).json()
    bad = {"title": "r", "condition": ["and", [">", SESSION_TOTAL, "many"]], "effects": []}
    response = mgmt.post(
        f"{base}/{created['id']}/rulesets", json={"rules": [bad], "activate": True}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"]["pointer"].startswith("/rules/0/condition/1")
