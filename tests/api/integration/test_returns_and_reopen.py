"""POST /v2/customer_sessions/{id}/returns and PUT /v2/customer_sessions/{id}/reopen."""

from __future__ import annotations

from typing import Any

from tests.api.integration.test_sessions import item, put_session
from tests.conftest import Api


def closed_session(api: Api, session_id: str = "s1") -> None:
    response = put_session(
        api,
        session_id,
        profileId="p",
        state="closed",
        cartItems=[item("a", 10, 3), item("b", 5, 1)],
    )
    assert response.status_code == 200, response.text


def return_items(api: Api, session_id: str, items: list[dict[str, Any]], **kwargs: Any):
    body = {
        "return": {"returnedCartItems": items},
        "responseContent": ["customerSession", "customerProfile", "event", "previousReturns"],
    }
    return api.post(f"/v2/customer_sessions/{session_id}/returns", json=body, **kwargs)


def test_partial_return_adjusts_items_state_and_profile(integration: Api) -> None:
    closed_session(integration)
    response = return_items(integration, "s1", [{"position": 0, "quantity": 2}])
    assert response.status_code == 200, response.text
    body = response.json()
    session = body["customerSession"]
    assert session["state"] == "partially_returned"
    first = session["cartItems"][0]
    assert (first["returnedQuantity"], first["remainingQuantity"]) == (2, 1)
    assert body["customerProfile"]["totalSales"] == 15
    assert body["customerProfile"]["closedSessions"] == 1
    assert body["event"]["type"] == "talon_session_partially_returned"
    assert body["return"]["returnedCartItems"] == [{"position": 0, "quantity": 2}]
    assert body["previousReturns"] == []


def test_second_return_lists_the_first(integration: Api) -> None:
    closed_session(integration)
    first = return_items(integration, "s1", [{"position": 1}]).json()
    second = return_items(integration, "s1", [{"position": 0, "quantity": 1}]).json()
    assert [r["id"] for r in second["previousReturns"]] == [first["return"]["id"]]
    assert second["customerProfile"]["totalSales"] == 20


def test_returning_more_than_remains_is_refused(integration: Api) -> None:
    closed_session(integration)
    response = return_items(integration, "s1", [{"position": 0, "quantity": 4}])
    assert response.status_code == 400
    assert (
        response.json()["errors"][0]["source"]["pointer"] == "/return/returnedCartItems/0/quantity"
    )
    assert (
        integration.get("/v2/customer_sessions/s1").json()["customerSession"]["state"] == "closed"
    )


def test_unknown_position_is_refused(integration: Api) -> None:
    closed_session(integration)
    response = return_items(integration, "s1", [{"position": 7}])
    assert response.status_code == 400
    assert (
        response.json()["errors"][0]["source"]["pointer"] == "/return/returnedCartItems/0/position"
    )


def test_open_session_accepts_no_returns(integration: Api) -> None:
    put_session(integration, "s1", profileId="p", cartItems=[item()])
    assert return_items(integration, "s1", [{"position": 0}]).status_code == 400


def test_idempotency_key_makes_a_retried_return_a_no_op(integration: Api) -> None:
    closed_session(integration)
    headers = {"Idempotency-Key": "return-1"}
    first = return_items(integration, "s1", [{"position": 0, "quantity": 1}], headers=headers)
    retry = return_items(integration, "s1", [{"position": 0, "quantity": 1}], headers=headers)
    assert first.status_code == retry.status_code == 200
    assert retry.json()["return"]["id"] == first.json()["return"]["id"]
    session = integration.get("/v2/customer_sessions/s1").json()["customerSession"]
    assert session["cartItems"][0]["returnedQuantity"] == 1
    assert retry.json()["customerProfile"]["totalSales"] == 25


def test_cancelling_a_partially_returned_session_takes_back_what_remained(integration: Api) -> None:
    closed_session(integration)
    return_items(integration, "s1", [{"position": 0, "quantity": 1}])
    body = put_session(integration, "s1", state="cancelled").json()
    assert body["event"]["type"] == "talon_session_revoked"
    assert body["customerProfile"]["totalSales"] == 0
    assert body["customerProfile"]["closedSessions"] == 0


def test_reopen_moves_closed_to_open_and_takes_back_the_sale(
    integration: Api, mgmt: Api, application: dict[str, Any]
) -> None:
    closed_session(integration)
    response = integration.put("/v2/customer_sessions/s1/reopen")
    assert response.status_code == 200, response.text
    assert response.json() == {"effects": []}
    session = integration.get("/v2/customer_sessions/s1").json()["customerSession"]
    assert session["state"] == "open"
    profile = integration.get("/v1/customer_profiles/p/inventory?profile=true").json()["profile"]
    assert (profile["closedSessions"], profile["totalSales"]) == (0, 0)
    events = mgmt.get(
        f"/v1/applications/{application['id']}/events/no_total?type=talon_session_reopened"
    )
    assert len(events.json()["data"]) == 1
    closed = put_session(integration, "s1", state="closed").json()
    assert closed["customerProfile"]["totalSales"] == 35


def test_only_closed_sessions_reopen(integration: Api) -> None:
    put_session(integration, "s1", profileId="p")
    assert integration.put("/v2/customer_sessions/s1/reopen").status_code == 400
    assert integration.put("/v2/customer_sessions/none/reopen").status_code == 404
