"""The busiest Integration API calls (session updates, events, profile updates) find a key this
process has seen in its memory and have it confirmed by their own write transaction. A key
deleted or expired since (by another process, here straight in the database) is refused on
the very next call, which stores nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from carrot.api.auth import integration_call
from carrot.domain.errors import Unauthorized
from carrot.store import tables
from carrot.store.db import Database
from tests.api.integration.test_profiles_and_events import define
from tests.conftest import Api

BUSY_CALLS = ["session", "event", "profile"]


@pytest.fixture(autouse=True)
def viewed_event(mgmt: Api) -> None:
    """Events must be of a defined type."""
    define(mgmt, entity="Event", eventType="viewed", name="sku", type="string")


def _send(api: Api, call: str, n: int) -> Any:
    """One busy call; an event is answered 204 (silent by default)."""
    if call == "session":
        return api.put(f"/v2/customer_sessions/s{n}", json={"customerSession": {"profileId": "p"}})
    if call == "event":
        return api.post("/v2/events", json={"profileId": f"p{n}", "type": "viewed"})
    return api.put(f"/v2/customer_profiles/p{n}", json={"attributes": {}})


def _accepted(response: Any) -> bool:
    return response.status_code in (200, 204)


def _stored(db: Database) -> tuple[int, int, int]:
    with db.read() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (tables.customer_sessions, tables.events, tables.customer_profiles)
        )


# What another process may do to a key: delete it, or let it expire.
KEY_CHANGES = {
    "deleted": tables.api_keys.delete(),
    "expired": tables.api_keys.update().values(expires=datetime.now(UTC) - timedelta(hours=1)),
}


@pytest.mark.parametrize("change", KEY_CHANGES)
@pytest.mark.parametrize("call", BUSY_CALLS)
def test_a_key_deleted_or_expired_since_is_refused_by_the_next_call(
    integration: Api, db: Database, call: str, change: str
) -> None:
    assert _accepted(_send(integration, call, 1))
    stored = _stored(db)
    with db.write() as conn:
        conn.execute(KEY_CHANGES[change])
    refused = _send(integration, call, 2)
    assert refused.status_code == 401, refused.text
    assert _stored(db) == stored


def test_a_known_key_is_still_accepted_while_it_stands(integration: Api, db: Database) -> None:
    for n in range(3):
        for call in BUSY_CALLS:
            assert _accepted(_send(integration, call, n))
    assert _stored(db)[0] == 3


def test_a_call_that_wrote_nothing_is_confirmed_before_it_answers(
    integration: Api, db: Database
) -> None:
    key = integration.headers["Authorization"].split(" ", 1)[1]
    assert asyncio.run(integration_call(db, key, lambda caller: caller.application_id)) > 0
    with db.write() as conn:
        conn.execute(tables.api_keys.delete())
    with pytest.raises(Unauthorized):
        asyncio.run(integration_call(db, key, lambda caller: caller.application_id))
