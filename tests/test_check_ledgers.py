"""`carrot check-ledgers` on the test database: every counter recomputed from its ledger,
each difference printed, the closing `N differences` line, and the exit status."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from carrot.cli import app
from carrot.store import tables
from carrot.store.db import Database
from tests.api.integration.promotions import (
    COUPON_VALID,
    campaign_with,
    cancel,
    close,
    coupons_of,
    discount,
    rule,
)
from tests.conftest import Api

RUNNER = CliRunner()


@pytest.fixture
def check_ledgers(database_url: str) -> Any:
    def run(*args: Any) -> Any:
        env = {"CARROT_DATABASE_URL": database_url}
        return RUNNER.invoke(app, ["check-ledgers", *map(str, args)], env=env)

    return run


@pytest.fixture
def history(mgmt: Api, integration: Api, application: dict[str, Any]) -> dict[str, Any]:
    """Closes, a cancel and a reopen over a coupon with a discount limit and a budget."""
    limits = [{"action": "setDiscount", "limit": 1000, "entities": ["Profile"]}]
    campaign = campaign_with(
        mgmt, application, rule("coupon", [COUPON_VALID], discount(10)), limits=limits
    )
    [coupon] = coupons_of(mgmt, application, campaign, usageLimit=0, discountLimit=100)
    for index in range(4):
        close(integration, f"s{index}", profileId=f"p{index % 2}", couponCodes=[coupon["value"]])
    cancel(integration, "s1")
    assert integration.put("/v2/customer_sessions/s2/reopen").status_code == 200
    return coupon


def only_difference(result: Any) -> str:
    """The one difference line of a check that found exactly one (exit status 1)."""
    assert result.exit_code == 1, result.output
    *differences, last = result.stdout.splitlines()
    assert last == "1 differences"
    [difference] = differences
    return str(difference)


def test_agreeing_counters_make_zero_differences(
    check_ledgers: Any, history: dict[str, Any], application: dict[str, Any]
) -> None:
    everything = check_ledgers()
    one = check_ledgers("--application-id", application["id"])

    assert everything.exit_code == 0, everything.output
    assert everything.stdout == "0 differences\n"
    assert one.exit_code == 0 and one.stdout == "0 differences\n"


def test_a_corrupted_counter_is_one_difference(
    check_ledgers: Any, db: Database, history: dict[str, Any]
) -> None:
    coupons = tables.coupons
    with db.write() as conn:
        conn.execute(coupons.update().where(coupons.c.id == history["id"]).values(usage_counter=7))

    difference = only_difference(check_ledgers())

    assert f"couponUsage counter {history['id']} ({history['value']})" in difference
    assert "is 7, its ledger adds up to 2" in difference


def test_a_corrupted_budget_is_named_by_its_key(
    check_ledgers: Any, db: Database, history: dict[str, Any]
) -> None:
    budgets = tables.budget_counters
    with db.write() as conn:
        first = conn.execute(sa.select(sa.func.min(budgets.c.id))).scalar_one()
        conn.execute(budgets.update().where(budgets.c.id == first).values(counter=999))

    result = check_ledgers()

    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "1 differences"
    assert "setDiscount" in result.stdout and '[["Profile","p' in result.stdout


def test_a_corrupted_reservation_counter_is_one_difference(
    check_ledgers: Any, db: Database, integration: Api, history: dict[str, Any]
) -> None:
    url = f"/v1/coupon_reservations/{history['value']}"
    reserved = integration.post(url, json={"integrationIDs": ["p0", "p1", "p2"]})
    assert reserved.status_code == 200, reserved.text
    assert integration.delete(url, json={"integrationIDs": ["p2"]}).status_code == 204
    assert check_ledgers().stdout == "0 differences\n"
    coupons = tables.coupons
    with db.write() as conn:
        conn.execute(
            coupons.update().where(coupons.c.id == history["id"]).values(reservation_counter=5)
        )

    difference = only_difference(check_ledgers())

    assert f"couponReservations counter {history['id']} ({history['value']})" in difference
    assert "is 5, it has 2 reservations" in difference
