"""JSON columns round-trip what JSON can hold, on both databases: orjson writes them, and the
plain `json` module takes over for what orjson refuses (integers beyond 64 bits)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from carrot.store import tables
from carrot.store.db import Database


def test_json_columns_round_trip_big_integers_decimals_and_unicode(db: Database) -> None:
    document = {
        "big": 2**70,
        "negative": -(2**65),
        "money": Decimal("19.99"),
        "whole": Decimal("20"),
        "text": "Grüße, 東京 🥕",
        "nested": [{"a": None, "b": True}, []],
    }
    now = datetime.now(UTC)
    with db.write() as conn:
        conn.execute(tables.accounts.insert().values(id=77, name="json", created=now))
        conn.execute(
            tables.customer_profiles.insert().values(
                account_id=77,
                sandbox=False,
                integration_id="p",
                created=now,
                updated=now,
                attributes=document,
                total_sales=Decimal(0),
            )
        )
    with db.read() as conn:
        read = conn.execute(sa.select(tables.customer_profiles.c.attributes)).scalar_one()
    assert read == {
        "big": 2**70,
        "negative": -(2**65),
        "money": 19.99,
        "whole": 20,
        "text": "Grüße, 東京 🥕",
        "nested": [{"a": None, "b": True}, []],
    }
