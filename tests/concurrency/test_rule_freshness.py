"""A campaign, settings or additional-cost change made through one server process is seen by
the very next request to another: every process compares the application's revision with the
one its compiled rules (and the settings cached with them) were built from."""

from __future__ import annotations

import pytest

from tests.live import LiveServer

pytestmark = pytest.mark.slow

TOTAL = [".", "Session", "Total"]


def ruleset(percent: int) -> dict[str, object]:
    rule = {
        "title": f"{percent}% off",
        "condition": ["and", [">", TOTAL, 10]],
        "effects": [["setDiscount", f"{percent}% off", ["*", TOTAL, percent / 100]]],
    }
    return {"rules": [rule], "activate": True}


def discounts(live_server: LiveServer, url: str, session_id: str) -> list[float]:
    body = {"customerSession": {"cartItems": [{"sku": "a", "price": 100, "quantity": 1}]}}
    with live_server.integration(url) as integration:
        response = integration.put(f"/v2/customer_sessions/{session_id}", json=body)
    assert response.status_code == 200, response.text
    return [effect["props"]["value"] for effect in response.json()["effects"]]


def test_a_campaign_change_through_one_process_is_seen_by_the_next_request_to_another(
    live_server: LiveServer,
) -> None:
    first, second = live_server.urls[0], live_server.urls[1]
    base = f"/v1/applications/{live_server.application_id}/campaigns"
    with live_server.management(first) as management:
        campaign = management.post(base, json={"name": "sale"}).json()
        assert (
            management.post(f"{base}/{campaign['id']}/rulesets", json=ruleset(10)).status_code
            == 201
        )
    # Both processes compile the 10% version.
    assert discounts(live_server, first, "s1") == [10]
    assert discounts(live_server, second, "s2") == [10]

    with live_server.management(first) as management:
        assert (
            management.post(f"{base}/{campaign['id']}/rulesets", json=ruleset(20)).status_code
            == 201
        )
    assert discounts(live_server, second, "s3") == [20]

    with live_server.management(second) as management:
        current = management.get(f"{base}/{campaign['id']}").json()
        disabled = {"name": current["name"], "state": "disabled"}
        assert management.put(f"{base}/{campaign['id']}", json=disabled).status_code == 200
    assert discounts(live_server, first, "s4") == []


def test_a_settings_change_through_one_process_is_seen_by_the_next_request_to_another(
    live_server: LiveServer,
) -> None:
    first, second = live_server.urls[0], live_server.urls[1]
    application = f"/v1/applications/{live_server.application_id}"
    third_off = {
        "title": "a third off",
        "condition": ["and", [">", TOTAL, 10]],
        "effects": [["setDiscount", "a third off", ["/", TOTAL, 3]]],
    }
    with live_server.management(first) as management:
        campaign = management.post(f"{application}/campaigns", json={"name": "sale"}).json()
        rulesets = f"{application}/campaigns/{campaign['id']}/rulesets"
        response = management.post(rulesets, json={"rules": [third_off], "activate": True})
        assert response.status_code == 201, response.text
    assert discounts(live_server, second, "s1") == [33.33]

    with live_server.management(first) as management:
        yen = {"name": live_server.application["name"], "currency": "JPY", "timezone": "UTC"}
        assert management.put(application, json=yen).status_code == 200
    assert discounts(live_server, second, "s2") == [33]


def test_an_additional_cost_defined_through_one_process_is_accepted_by_the_next_request_to_another(
    live_server: LiveServer,
) -> None:
    first, second = live_server.urls[0], live_server.urls[1]
    shipped = {"customerSession": {"additionalCosts": {"shipping": {"price": 5}}}}
    assert discounts(live_server, second, "s1") == []
    with live_server.integration(second) as integration:
        refused = integration.put("/v2/customer_sessions/s2", json=shipped)
    assert refused.status_code == 400, refused.text

    with live_server.management(first) as management:
        cost = {"name": "shipping", "title": "Shipping", "type": "session"}
        assert management.post("/v1/additional_costs", json=cost).status_code == 201
    with live_server.integration(second) as integration:
        accepted = integration.put("/v2/customer_sessions/s2", json=shipped)
    assert accepted.status_code == 200, accepted.text
