"""Many clients at once against real server processes on one database: no update is lost, a
new profile or session is created once, and a profile's sales add up, whichever process and
thread each call lands on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from carrot.store import tables
from carrot.store.db import Database
from tests.concurrency.parallel import integration_clients, put_session, run_in_parallel
from tests.live import LiveServer

pytestmark = pytest.mark.slow


def listed(live_server: LiveServer, what: str, **params: Any) -> list[dict[str, Any]]:
    with live_server.management() as management:
        response = management.get(
            f"/v1/applications/{live_server.application_id}/{what}",
            params={"pageSize": 1000, **params},
        )
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def event_types(live_server: LiveServer, session_id: str) -> list[str]:
    return [e["type"] for e in listed(live_server, "events/no_total", session=session_id)]


def statuses(responses: list[httpx.Response]) -> set[int]:
    return {response.status_code for response in responses}


def test_parallel_updates_of_one_session_are_all_kept(live_server: LiveServer) -> None:
    updates = 100
    with integration_clients(live_server) as clients:
        assert put_session(clients[0], "cart", profileId="pat").status_code == 200

        def update(i: int) -> httpx.Response:
            return put_session(
                clients[i],
                "cart",
                identifiers=[f"device-{i}"],
                cartItems=[{"sku": f"sku-{i}", "price": i, "quantity": 1}],
            )

        responses = run_in_parallel(updates, update)
        assert statuses(responses) == {200}, [r.text for r in responses if r.status_code != 200]
        final = clients[0].get("/v2/customer_sessions/cart").json()["customerSession"]

    assert final["updateCount"] == 1 + updates
    assert sorted(r.json()["customerSession"]["updateCount"] for r in responses) == list(
        range(2, updates + 2)
    ), "every acknowledged update saw its own predecessor"
    # The last writer's cart and identifiers arrived together: no update was torn.
    last = int(final["identifiers"][0].removeprefix("device-"))
    assert [item["sku"] for item in final["cartItems"]] == [f"sku-{last}"]
    assert final["total"] == last
    types = event_types(live_server, "cart")
    assert types.count("talon_session_updated") == updates
    assert types.count("talon_session_created") == 1


def test_parallel_first_calls_create_one_session_and_one_profile(
    live_server: LiveServer, db: Database
) -> None:
    calls = 48
    with integration_clients(live_server) as clients:
        responses = run_in_parallel(
            calls,
            lambda i: put_session(
                clients[i],
                "new-cart",
                profileId="new-customer",
                cartItems=[{"sku": "tea", "price": 3, "quantity": 1 + i % 3}],
            ),
        )
    assert statuses(responses) == {200}, [r.text for r in responses if r.status_code != 200]
    profile_ids = {r.json()["customerProfile"]["id"] for r in responses}
    session_ids = {r.json()["customerSession"]["id"] for r in responses}
    assert len(profile_ids) == 1 and len(session_ids) == 1

    sessions = listed(live_server, "sessions", integrationId="new-cart")
    assert [s["id"] for s in sessions] == list(session_ids)
    types = event_types(live_server, "new-cart")
    assert types.count("talon_session_created") == 1
    assert types.count("talon_session_updated") == calls - 1
    with db.read() as conn:
        profiles = conn.execute(
            sa.select(sa.func.count()).where(
                tables.customer_profiles.c.integration_id == "new-customer"
            )
        ).scalar_one()
    assert profiles == 1


def test_parallel_first_sessions_of_a_new_profile_mark_exactly_one_as_first(
    live_server: LiveServer,
) -> None:
    carts = 24
    with integration_clients(live_server) as clients:
        responses = run_in_parallel(
            carts, lambda i: put_session(clients[i], f"cart-{i}", profileId="newcomer")
        )
    assert statuses(responses) == {200}
    sessions = [r.json()["customerSession"] for r in responses]
    assert sum(s["firstSession"] for s in sessions) == 1
    assert len({r.json()["customerProfile"]["id"] for r in responses}) == 1


def test_parallel_closes_of_one_profiles_sessions_add_up_to_its_sales(
    live_server: LiveServer,
) -> None:
    carts = 60
    prices = [Decimal(i) + Decimal("0.25") for i in range(carts)]
    with integration_clients(live_server) as clients:
        opened = run_in_parallel(
            carts,
            lambda i: put_session(
                clients[i],
                f"order-{i}",
                profileId="loyal",
                cartItems=[{"sku": "box", "price": str(prices[i]), "quantity": 2}],
            ),
        )
        assert statuses(opened) == {200}
        # Each close lands on another process than the one that opened the session.
        closed = run_in_parallel(
            carts, lambda i: put_session(clients[i + 1], f"order-{i}", state="closed")
        )
        assert statuses(closed) == {200}, [r.text for r in closed if r.status_code != 200]
        profile = put_session(clients[0], "probe", profileId="loyal").json()["customerProfile"]

    assert profile["closedSessions"] == carts
    assert Decimal(str(profile["totalSales"])) == sum(2 * price for price in prices)
    assert {s["state"] for s in listed(live_server, "sessions", profile="loyal")} == {
        "closed",
        "open",
    }


def test_parallel_returns_never_return_more_than_was_bought(live_server: LiveServer) -> None:
    bought, attempts = 40, 56
    with integration_clients(live_server) as clients:
        created = put_session(
            clients[0],
            "order",
            profileId="returner",
            cartItems=[{"sku": "mug", "price": 5, "quantity": bought}],
            state="closed",
        )
        assert created.status_code == 200

        def return_one(i: int) -> httpx.Response:
            body = {"return": {"returnedCartItems": [{"position": 0, "quantity": 1}]}}
            return clients[i].post("/v2/customer_sessions/order/returns", json=body)

        responses = run_in_parallel(attempts, return_one)
        final = put_session(clients[0], "probe", profileId="returner").json()["customerProfile"]
        session = clients[0].get("/v2/customer_sessions/order").json()["customerSession"]

    codes = [r.status_code for r in responses]
    assert codes.count(200) == bought and codes.count(400) == attempts - bought
    assert session["cartItems"][0]["returnedQuantity"] == bought
    assert session["state"] == "partially_returned"
    assert final["totalSales"] == 0 and final["closedSessions"] == 1
