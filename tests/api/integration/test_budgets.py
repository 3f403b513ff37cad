"""Campaign budgets (LimitConfig) through the real API and database: money and count
budgets consumed when sessions close, never overspent; partial discounts; per-entity
counters; calendar periods; events consuming at once; returns, cancels and reopens giving back
exactly; and what campaign answers show."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from carrot.engine.redemption import BudgetKey, Take
from carrot.store import ledger
from carrot.store.db import Database
from tests.api.integration.promotions import (
    budget_counters,
    campaign_with,
    cancel,
    close,
    differences,
    discount,
    discounts,
    effects_of,
    ledger_rows,
    rule,
    session,
)
from tests.api.integration.test_profiles_and_events import define
from tests.conftest import Api, create_application, create_integration_key

ALWAYS_TEN = rule("ten off", [], discount(10))


def limit(action: str, amount: float, *entities: str, period: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {"action": action, "limit": amount, "entities": list(entities)}
    if period is not None:
        document["period"] = period
    return document


def partial_application(client: TestClient, mgmt: Api) -> tuple[dict[str, Any], Api]:
    application = create_application(mgmt, enablePartialDiscounts=True)
    key = create_integration_key(mgmt, application["id"])
    return application, Api(client, f"ApiKey-v1 {key}")


def test_money_budget_is_consumed_at_close_and_never_overspent(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign_with(mgmt, application, ALWAYS_TEN, limits=[limit("setDiscount", 25)])

    opened = [discounts(session(integration, f"open-{i}")) for i in range(4)]
    given = [discounts(close(integration, f"s{i}")) for i in range(3)]

    assert opened == [[10]] * 4
    assert given == [[10], [10], []]
    assert budget_counters(db) == {("setDiscount", "", ""): Decimal(20)}
    assert differences(db) == []


def test_a_dropped_discount_says_why(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign_with(mgmt, application, ALWAYS_TEN, limits=[limit("setDiscount", 5)])

    body = session(integration, "s1", cartItems=[{"sku": "a", "price": 100, "quantity": 1}])

    assert discounts(body) == []
    [reason] = body["ruleFailureReasons"]
    assert "budget" in reason["details"].lower() or "limit" in reason["details"].lower()


def test_with_partial_discounts_the_last_discount_gives_what_is_left(
    client: TestClient, db: Database, mgmt: Api
) -> None:
    application, integration = partial_application(client, mgmt)
    campaign_with(mgmt, application, ALWAYS_TEN, limits=[limit("setDiscount", 25)])

    close(integration, "s1")
    close(integration, "s2")
    third = close(integration, "s3")
    fourth = close(integration, "s4")

    [capped] = effects_of(third, "setDiscount")
    assert capped["props"]["value"] == 5 and capped["props"]["desiredValue"] == 10
    assert discounts(fourth) == []
    assert budget_counters(db) == {("setDiscount", "", ""): Decimal(25)}


def test_per_profile_count_budget_counts_each_profile_and_spares_anonymous_sessions(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    limits = [limit("setDiscountEffect", 1, "Profile")]
    campaign_with(mgmt, application, ALWAYS_TEN, limits=limits)

    first = close(integration, "s1", profileId="alice")
    again = close(integration, "s2", profileId="alice")
    other = close(integration, "s3", profileId="bob")
    anonymous = close(integration, "s4")

    assert [discounts(b) for b in (first, again, other, anonymous)] == [[10], [], [10], [10]]
    assert budget_counters(db) == {
        ("setDiscountEffect", '[["Profile","alice"]]', ""): Decimal(1),
        ("setDiscountEffect", '[["Profile","bob"]]', ""): Decimal(1),
    }


def test_identifier_budget_needs_room_for_every_identifier(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign_with(mgmt, application, ALWAYS_TEN, limits=[limit("setDiscount", 10, "Identifier")])

    first = close(integration, "s1", identifiers=["device-1", "card-9"])
    shared = close(integration, "s2", identifiers=["device-2", "card-9"])
    fresh = close(integration, "s3", identifiers=["device-3"])

    assert [discounts(b) for b in (first, shared, fresh)] == [[10], [], [10]]
    assert sorted(key[1] for key in budget_counters(db)) == [
        '[["Identifier","card-9"]]',
        '[["Identifier","device-1"]]',
        '[["Identifier","device-3"]]',
    ]


def test_store_budget_counts_per_store(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign_with(mgmt, application, ALWAYS_TEN, limits=[limit("setDiscountEffect", 1, "Store")])

    given = [
        discounts(close(integration, f"s{i}", storeIntegrationId=store))
        for i, store in enumerate(["north", "north", "south"])
    ]

    assert given == [[10], [], [10]]


def test_daily_budget_starts_again_the_next_day(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign_with(mgmt, application, ALWAYS_TEN, limits=[limit("setDiscount", 10, period="daily")])
    close(integration, "s1")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()

    today = session(integration, "s2")
    dry = integration.put(
        "/v2/customer_sessions/s3",
        params={"dry": "true", "now": tomorrow},
        json={"customerSession": {"cartItems": [{"sku": "a", "price": 100, "quantity": 1}]}},
    )

    assert discounts(today) == []
    assert dry.status_code == 200, dry.text
    assert discounts(dry.json()) == [10]
    [(_, _, period)] = budget_counters(db)
    assert period == datetime.now(UTC).strftime("%Y-%m-%d")


def test_periods_follow_the_applications_timezone(
    client: TestClient, db: Database, mgmt: Api
) -> None:
    application = create_application(mgmt, timezone="Pacific/Kiritimati")  # UTC+14
    integration = Api(client, f"ApiKey-v1 {create_integration_key(mgmt, application['id'])}")
    for period in ("daily", "weekly", "monthly", "yearly"):
        limits = [limit("setDiscount", 100, period=period)]
        campaign_with(mgmt, application, ALWAYS_TEN, name=period, limits=limits)

    close(integration, "s1")

    local = datetime.now(UTC) + timedelta(hours=14)
    year, week, _ = local.isocalendar()
    assert sorted(period for _, _, period in budget_counters(db)) == sorted(
        [
            local.strftime("%Y-%m-%d"),
            f"{year}-W{week:02d}",
            local.strftime("%Y-%m"),
            str(local.year),
        ]
    )


def test_campaign_answers_show_each_budget_with_what_it_used(
    mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    limits = [limit("setDiscount", 25), limit("setDiscountEffect", 5, "Profile")]
    campaign = campaign_with(mgmt, application, ALWAYS_TEN, limits=limits)
    close(integration, "s1", profileId="alice")
    close(integration, "s2", profileId="bob")

    url = f"/v1/applications/{application['id']}/campaigns"
    shown = mgmt.get(f"{url}/{campaign['id']}").json()
    listed = mgmt.get(url).json()["data"]

    assert shown["budgets"] == [
        {"action": "setDiscount", "limit": 25, "counter": 20},
        {"action": "setDiscountEffect", "limit": 5, "counter": 2},
    ]
    assert listed[0]["budgets"] == shown["budgets"]


def test_events_consume_at_once(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    define(mgmt, entity="Event", eventType="signed_up", name="source", type="string")
    reward = rule("welcome", [["=", [".", "Event", "Type"], "signed_up"]], ["createCoupon"])
    campaign_with(mgmt, application, reward, limits=[limit("createCoupon", 1)])

    def event(profile: str) -> dict[str, Any]:
        body = {"profileId": profile, "type": "signed_up", "attributes": {}}
        response = integration.post("/v2/events", params={"silent": "no"}, json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    first, second = event("alice"), event("bob")

    assert len(first["createdCoupons"]) == 1 and second["createdCoupons"] == []
    assert [(row.kind, row.reason, row.session_id) for row in ledger_rows(db)] == [
        ("budget", "event", None)
    ]


def test_a_return_gives_back_the_money_of_the_returned_items(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    per_item = rule(
        "5 off each",
        [],
        [
            "map",
            [".", "Session", "CartItems"],
            [["Item"], ["setDiscountPerItem", "5 off", [".", "Item"], 5]],
        ],
    )
    campaign_with(
        mgmt,
        application,
        per_item,
        limits=[limit("setDiscount", 100), limit("setDiscountEffect", 10)],
    )
    items = [{"sku": "a", "price": 20, "quantity": 1}, {"sku": "b", "price": 20, "quantity": 1}]
    close(integration, "s1", cartItems=items)
    assert budget_counters(db)[("setDiscount", "", "")] == 10

    returned = integration.post(
        "/v2/customer_sessions/s1/returns",
        json={"return": {"returnedCartItems": [{"position": 0}]}},
    )

    assert returned.status_code == 200, returned.text
    counters = budget_counters(db)
    assert counters[("setDiscount", "", "")] == 5
    assert counters[("setDiscountEffect", "", "")] == 2
    cancel(integration, "s1")
    assert set(budget_counters(db).values()) == {Decimal(0)}
    assert [row.reason for row in ledger_rows(db)] == [
        "close",
        "close",
        "return",
        "cancel",
        "cancel",
    ]
    assert differences(db) == []


def test_reopen_gives_back_and_the_next_close_takes_again(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    campaign_with(mgmt, application, ALWAYS_TEN, limits=[limit("setDiscount", 10)])
    close(integration, "s1")
    assert discounts(close(integration, "s2")) == []

    reopened = integration.put("/v2/customer_sessions/s1/reopen")

    assert reopened.status_code == 200, reopened.text
    assert budget_counters(db)[("setDiscount", "", "")] == 0
    assert discounts(close(integration, "s3")) == [10]
    assert discounts(close(integration, "s1")) == []
    assert differences(db) == []


def test_a_close_that_loses_the_race_answers_what_it_really_got(
    db: Database, mgmt: Api, integration: Api, application: dict[str, Any]
) -> None:
    """Another transaction takes the whole budget while this close evaluates: the close's
    guarded update finds no room, it evaluates again and answers without the discount."""
    campaign = campaign_with(mgmt, application, ALWAYS_TEN, limits=[limit("setDiscount", 10)])
    assert discounts(session(integration, "s1")) == [10]
    key = BudgetKey(campaign["id"], "setDiscount", "", "")
    answers: list[dict[str, Any]] = []
    closing = threading.Thread(target=lambda: answers.append(close(integration, "s1")))

    with db.write() as conn:
        entries = ledger.consume(
            conn, application["id"], [Take(key, Decimal(10), Decimal(10), key.campaign_id)]
        )
        assert entries is not None
        origin = ledger.Origin(ledger.EVENT, datetime.now(UTC))
        ledger.record(conn, application["id"], entries, origin)
        closing.start()
        time.sleep(0.5)  # the close evaluates and waits for this transaction
    closing.join()

    [answer] = answers
    assert discounts(answer) == []
    assert budget_counters(db) == {("setDiscount", "", ""): Decimal(10)}
    assert differences(db) == []
