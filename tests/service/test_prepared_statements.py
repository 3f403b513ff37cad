"""A `Prepared` statement reads and writes exactly what the same statement does through
SQLAlchemy's `Connection.execute`: dates, money, JSON and booleans, bound values the
statement carries itself (a LIMIT), RETURNING, and nothing found. On SQLite it runs through
the driver; on PostgreSQL through SQLAlchemy, and the same assertions hold."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa

from carrot.store import tables
from carrot.store.db import Database
from carrot.store.prepared import Prepared

profiles = tables.customer_profiles
WHEN = datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
BY_NAME = sa.select(profiles).where(profiles.c.integration_id == sa.bindparam("name"))
INSERT = Prepared(
    profiles.insert().returning(profiles.c.id, profiles.c.created, profiles.c.total_sales),
    ("account_id", "sandbox", "integration_id", "created", "updated", "attributes",
     "total_sales", "last_activity"),
)  # fmt: skip
SAVE = Prepared(
    profiles.update().where(profiles.c.id == sa.bindparam("profile_id")),
    ("attributes", "total_sales", "last_activity"),
)
FIRST_TWO_IDS = Prepared(sa.select(profiles.c.id).order_by(profiles.c.id).limit(2))


def _new_profile(name: str) -> dict[str, object]:
    return {
        "account_id": 5,
        "sandbox": False,
        "integration_id": name,
        "created": WHEN,
        "updated": WHEN,
        "attributes": {"Segment": "gold", "Points": Decimal("12.5"), "Tags": ["a", "ü"]},
        "total_sales": Decimal("1234.56"),
        "last_activity": None,
    }


def test_prepared_rows_equal_sqlalchemys(db: Database) -> None:
    with db.write() as conn:
        conn.execute(tables.accounts.insert().values(id=5, name="prepared", created=WHEN))
        inserted = INSERT.first(conn, _new_profile("ann"))
        assert inserted.created == WHEN
        assert inserted.total_sales == Decimal("1234.56")
        INSERT.first(conn, _new_profile("bob"))
        INSERT.first(conn, _new_profile("cid"))
        SAVE.run(
            conn,
            {
                "profile_id": inserted.id,
                "attributes": {"Segment": "silver"},
                "total_sales": Decimal("0.10"),
                "last_activity": WHEN,
            },
        )
    with db.write() as conn:
        for name in ("ann", "bob"):
            expected = conn.execute(BY_NAME, {"name": name}).one()
            row = Prepared(BY_NAME).first(conn, {"name": name})
            assert tuple(row) == tuple(expected)
            assert row._fields == tuple(expected._fields)
        ann = Prepared(BY_NAME).first(conn, {"name": "ann"})
        assert ann.attributes == {"Segment": "silver"}
        assert ann.total_sales == Decimal("0.10")
        assert ann.last_activity == WHEN
        assert ann.sandbox is False
        assert Prepared(BY_NAME).first(conn, {"name": "nobody"}) is None
        assert Prepared(BY_NAME).all(conn, {"name": "nobody"}) == []
        assert [row.id for row in FIRST_TWO_IDS.all(conn, {})] == [inserted.id, inserted.id + 1]
        assert FIRST_TWO_IDS.scalar(conn, {}) == inserted.id


def test_a_lookup_sees_what_was_committed_and_takes_no_write_lock(db: Database) -> None:
    with db.write() as conn:
        conn.execute(tables.accounts.insert().values(id=5, name="prepared", created=WHEN))
        INSERT.first(conn, _new_profile("ann"))
    with db.write() as writer:
        # A writer holds SQLite's write lock; a lookup reads the last committed state beside it.
        SAVE.run(
            writer,
            {
                "profile_id": Prepared(BY_NAME).first(writer, {"name": "ann"}).id,
                "attributes": {},
                "total_sales": Decimal(1),
                "last_activity": None,
            },
        )
        with db.lookup() as conn:
            assert Prepared(BY_NAME).first(conn, {"name": "ann"}).total_sales == Decimal("1234.56")


def test_each_engine_writes_json_its_own_way(db: Database) -> None:
    """A statement first run on another engine (one with SQLAlchemy's plain JSON serializer,
    which refuses Decimals) still writes carrot's JSON on carrot's engine."""
    insert = Prepared(INSERT.statement, INSERT.column_keys)
    plain = sa.create_engine("sqlite://")
    tables.metadata.create_all(plain)
    with plain.begin() as conn:
        conn.execute(tables.accounts.insert().values(id=5, name="plain", created=WHEN))
        insert.first(conn, {**_new_profile("ann"), "attributes": {"Segment": "gold"}})
    with db.write() as conn:
        conn.execute(tables.accounts.insert().values(id=5, name="prepared", created=WHEN))
        insert.first(conn, _new_profile("ann"))
        stored = Prepared(BY_NAME).first(conn, {"name": "ann"})
    assert stored.attributes == {"Segment": "gold", "Points": 12.5, "Tags": ["a", "ü"]}
