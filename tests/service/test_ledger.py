"""The guarded counter updates of store/ledger.py on the real database: a take that would pass
its limit changes nothing, give-backs never go below zero, merged takes of one counter, and —
on PostgreSQL — a transaction that waited for another's take sees its result."""

from __future__ import annotations

import threading
import time
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from carrot.engine.redemption import BudgetKey, Take
from carrot.store import ledger, tables
from carrot.store.db import Database
from tests.api.integration.promotions import campaign_with
from tests.conftest import Api

KEY_ACTION = "setDiscount"


@pytest.fixture
def key(mgmt: Api, application: dict[str, Any]) -> BudgetKey:
    campaign = campaign_with(mgmt, application)
    return BudgetKey(campaign["id"], KEY_ACTION, "", "")


def take(key: BudgetKey, amount: str, limit: str | None = "25") -> Take:
    return Take(key, Decimal(amount), None if limit is None else Decimal(limit), key.campaign_id)


def used(db: Database, application: dict[str, Any], key: BudgetKey) -> Decimal:
    with db.read() as conn:
        return ledger.used_budgets(conn, application["id"], [key]).get(key, Decimal(0))


def test_takes_up_to_the_limit_and_refuses_beyond(
    db: Database, application: dict[str, Any], key: BudgetKey
) -> None:
    app_id = application["id"]
    with db.write() as conn:
        first = ledger.consume(conn, app_id, [take(key, "10.10"), take(key, "4.90")])
        refused = ledger.consume(conn, app_id, [take(key, "10.01")])
        last = ledger.consume(conn, app_id, [take(key, "10.00")])

    assert first is not None and [e.amount for e in first] == [Decimal("15.00")]
    assert refused is None
    assert last is not None
    assert used(db, application, key) == Decimal("25.00")


def test_unlimited_takes_are_counted(
    db: Database, application: dict[str, Any], key: BudgetKey
) -> None:
    with db.write() as conn:
        assert ledger.consume(conn, application["id"], [take(key, "1e6", None)]) is not None

    assert used(db, application, key) == Decimal(1_000_000)


def test_give_back_returns_what_was_held_and_never_goes_below_zero(
    db: Database, application: dict[str, Any], key: BudgetKey
) -> None:
    app_id = application["id"]
    with db.write() as conn:
        [entry] = ledger.consume(conn, app_id, [take(key, "7.5")]) or []
        given = ledger.give_back(conn, [entry])
        again = ledger.give_back(conn, [entry])

    assert [e.amount for e in given] == [Decimal("-7.5")]
    assert again == []
    assert used(db, application, key) == 0


def test_a_take_that_waited_for_another_sees_its_result(
    db: Database, application: dict[str, Any], key: BudgetKey
) -> None:
    if db.is_sqlite:
        pytest.skip("SQLite runs one writer at a time: nothing waits inside an update")
    app_id = application["id"]
    with db.write() as conn:
        ledger.budget_counter_ids(conn, app_id, [key])
    results: list[Any] = []
    started = threading.Event()

    def second() -> None:
        started.wait()
        with db.write() as conn:
            results.append(ledger.consume(conn, app_id, [take(key, "20")]))

    thread = threading.Thread(target=second)
    with db.write() as conn:
        assert ledger.consume(conn, app_id, [take(key, "20")]) is not None
        thread.start()
        started.set()
        time.sleep(0.3)  # the second update now waits for this transaction's row lock
    thread.join()

    assert results == [None]
    assert used(db, application, key) == 20


def test_budget_counters_are_made_once(
    db: Database, application: dict[str, Any], key: BudgetKey
) -> None:
    with db.write() as conn:
        first = ledger.budget_counter_ids(conn, application["id"], [key])
        again = ledger.budget_counter_ids(conn, application["id"], [key, key])
        count = conn.execute(
            sa.select(sa.func.count()).select_from(tables.budget_counters)
        ).scalar_one()

    assert first == again and count == 1
