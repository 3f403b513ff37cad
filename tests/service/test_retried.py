"""Use cases PostgreSQL rolls back to break a deadlock start over instead of answering 500:
`store.db.retried`, with a real deadlock between two transactions on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from carrot.domain.errors import Conflict
from carrot.store import tables
from carrot.store.db import WRITE_ATTEMPTS, Database, retried


class _DriverError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _aborted(sqlstate: str) -> sa.exc.OperationalError:
    return sa.exc.OperationalError("UPDATE …", {}, _DriverError(sqlstate))


def test_a_deadlock_victim_runs_again_and_answers_what_the_last_attempt_gave() -> None:
    calls: list[int] = []

    @retried
    def use_case(value: int) -> int:
        calls.append(value)
        if len(calls) < 3:
            raise _aborted("40P01")
        return value * 2

    assert use_case(21) == 42
    assert calls == [21, 21, 21]


def test_a_call_rolled_back_every_time_answers_409_not_500() -> None:
    calls = []

    @retried
    def use_case() -> None:
        calls.append(1)
        raise _aborted("40001")

    with pytest.raises(Conflict, match="nothing was stored"):
        use_case()
    assert len(calls) == WRITE_ATTEMPTS


def test_other_database_errors_are_not_retried() -> None:
    calls = []

    @retried
    def use_case() -> None:
        calls.append(1)
        raise _aborted("53300")  # too many connections: not a rolled-back transaction

    with pytest.raises(sa.exc.OperationalError):
        use_case()
    assert calls == [1]


def test_two_transactions_locking_in_opposite_orders_both_finish(
    db: Database, application: dict[str, Any]
) -> None:
    """A real deadlock: each transaction updates one row, waits until the other has too, then
    updates the other's row. PostgreSQL aborts one; `retried` runs it again and both land."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time: transactions never deadlock")
    apps = tables.applications
    app_id = application["id"]
    with db.write() as conn:
        other_id = conn.execute(
            sa.insert(apps)
            .from_select(
                [c.name for c in apps.columns if c.name != "id"],
                sa.select(*[c for c in apps.columns if c.name != "id"]).where(apps.c.id == app_id),
            )
            .returning(apps.c.id)
        ).scalar_one()
    both_hold_one = threading.Barrier(2, timeout=30)
    attempts = {"first": 0, "second": 0}
    errors: list[BaseException] = []

    def bump(conn: sa.Connection, row: int) -> None:
        conn.execute(sa.update(apps).where(apps.c.id == row).values(revision=apps.c.revision + 1))

    @retried
    def transfer(name: str, first: int, second: int) -> None:
        attempts[name] += 1
        with db.write() as conn:
            bump(conn, first)
            if attempts[name] == 1:
                both_hold_one.wait()
            bump(conn, second)

    def run(name: str, first: int, second: int) -> None:
        try:
            transfer(name, first, second)
        except BaseException as error:  # reported to the test thread
            errors.append(error)

    with db.read() as conn:
        before = dict(conn.execute(sa.select(apps.c.id, apps.c.revision)).all())
    threads = [
        threading.Thread(target=run, args=("first", app_id, other_id)),
        threading.Thread(target=run, args=("second", other_id, app_id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [], f"both transfers should finish; they raised {errors!r}"
    assert sorted(attempts.values()) == [1, 2], (
        f"one transaction should be the deadlock's victim and run twice; attempts {attempts}"
    )
    with db.read() as conn:
        after = dict(conn.execute(sa.select(apps.c.id, apps.c.revision)).all())
    assert after[app_id] == before[app_id] + 2
    assert after[other_id] == before[other_id] + 2
