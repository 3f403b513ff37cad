"""Setting up promotions on the live servers and reading them back, for the limit tests: an
application's settings, campaigns with budgets and rules, coupons, counters as the Management
API shows them, `carrot check-ledgers`, and many clients released at the same instant.

Money is read with `Decimal` (`parse_float=Decimal`), so sums are exact."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from typing import Any, TypeVar

import httpx

from tests.concurrency.parallel import RoundRobin
from tests.live import LiveServer, carrot_command, server_environment

CLIENTS = 64  # concurrent client threads
CALL_TIMEOUT = 60.0  # one HTTP call
BATCH_TIMEOUT = 600.0  # every call of one parallel batch, together
LEDGER_CHECK_TIMEOUT = 300.0

DISCOUNT_TYPES = (
    "setDiscount",
    "setDiscountPerItem",
    "setDiscountPerAdditionalCost",
    "setDiscountPerAdditionalCostPerItem",
)
IN_FORCE_STATES = ("closed", "partially_returned")

T = TypeVar("T")


# Reading answers ---------------------------------------------------------------------------


def body(response: httpx.Response) -> Any:
    """The JSON answer with every number that has a fraction or exponent as a Decimal."""
    return json.loads(response.text, parse_float=Decimal)


def ok(response: httpx.Response, what: str) -> Any:
    assert response.status_code in (200, 201), (
        f"{what}: expected 200/201, got {response.status_code}: {response.text[:2000]}"
    )
    return body(response) if response.content else None


def effects_of(response: httpx.Response, what: str) -> list[dict[str, Any]]:
    effects: list[dict[str, Any]] = ok(response, what)["effects"]
    return effects


def money(value: Any) -> Decimal:
    return Decimal(str(value))


def coupon_verdicts(effects: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    """The acceptCoupon / rejectCoupon effects about `code`."""
    return [
        e
        for e in effects
        if e["effectType"] in ("acceptCoupon", "rejectCoupon") and e["props"].get("value") == code
    ]


def discounts(effects: list[dict[str, Any]], campaign_id: int | None = None) -> list[Decimal]:
    """The values of the discount effects (of one campaign, when named)."""
    return [
        money(e["props"]["value"])
        for e in effects
        if e["effectType"] in DISCOUNT_TYPES
        and (campaign_id is None or e["campaignId"] == campaign_id)
    ]


# Parallel clients ----------------------------------------------------------------------------


@contextmanager
def round_robin(live_server: LiveServer) -> Iterator[RoundRobin]:
    """One Integration API client per server process, shared by all threads (httpx pools up to
    100 connections per client, more than there are threads)."""
    with ExitStack() as stack:
        clients = [
            stack.enter_context(
                httpx.Client(
                    base_url=url,
                    headers={"Authorization": f"ApiKey-v1 {live_server.integration_key}"},
                    timeout=CALL_TIMEOUT,
                    limits=httpx.Limits(max_connections=CLIENTS + 8),
                )
            )
            for url in live_server.urls
        ]
        yield RoundRobin(clients)


def at_once(count: int, call: Callable[[int], T], workers: int = CLIENTS) -> list[T]:
    """call(0) … call(count - 1) on `workers` threads that all start at the same instant (a gate
    opens once every call is queued); results in call order. Every HTTP call is bounded by
    CALL_TIMEOUT, the whole batch by BATCH_TIMEOUT."""
    gate = threading.Event()

    def gated(i: int) -> T:
        if not gate.wait(BATCH_TIMEOUT):
            raise TimeoutError("the start gate never opened")
        return call(i)

    deadline = time.monotonic() + BATCH_TIMEOUT
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(gated, i) for i in range(count)]
        gate.set()
        try:
            return [f.result(timeout=max(0.0, deadline - time.monotonic())) for f in futures]
        finally:
            for future in futures:
                future.cancel()


def put_session(
    client: httpx.Client, session_id: str, response_content: tuple[str, ...] = (), **fields: Any
) -> httpx.Response:
    body_ = {"customerSession": fields, "responseContent": list(response_content)}
    return client.put(f"/v2/customer_sessions/{session_id}", json=body_)


def cart(*lines: tuple[str, Any, int]) -> list[dict[str, Any]]:
    return [
        {"sku": sku, "price": str(price), "quantity": quantity} for sku, price, quantity in lines
    ]


# Management API ----------------------------------------------------------------------------


class Promotions:
    """The Management API of the test's application, for setting up and reading counters."""

    def __init__(self, live_server: LiveServer) -> None:
        self.live_server = live_server
        self.app = f"/v1/applications/{live_server.application_id}"

    @contextmanager
    def _management(self) -> Iterator[httpx.Client]:
        with self.live_server.management() as management:
            yield management

    def update_application(self, **settings: Any) -> dict[str, Any]:
        """PUT the application with its current settings and `settings` changed (a full
        update: name, timezone and currency are required)."""
        with self._management() as management:
            current = ok(management.get(self.app), "GET application")
            wanted = {
                key: current[key]
                for key in (
                    "name",
                    "description",
                    "timezone",
                    "currency",
                    "caseSensitivity",
                    "attributes",
                    "limits",
                    "defaultDiscountScope",
                    "enableCascadingDiscounts",
                    "enableFlattenedCartItems",
                    "enablePartialDiscounts",
                )
                if key in current
            }
            updated: dict[str, Any] = ok(
                management.put(self.app, json=_plain({**wanted, **settings})), "PUT application"
            )
        for key, value in settings.items():
            assert updated[key] == value, f"application {key}: expected {value}, got {updated[key]}"
        return updated

    def campaign(
        self,
        name: str,
        rules: list[dict[str, Any]],
        limits: list[dict[str, Any]] = (),  # type: ignore[assignment]
        features: list[str] = (),  # type: ignore[assignment]
    ) -> int:
        """A running campaign with `limits` and an active ruleset of `rules`; its id."""
        with self._management() as management:
            created = ok(
                management.post(
                    f"{self.app}/campaigns",
                    json={"name": name, "limits": list(limits), "features": list(features)},
                ),
                f"create campaign {name}",
            )
            campaign_id: int = created["id"]
            ok(
                management.post(
                    f"{self.app}/campaigns/{campaign_id}/rulesets",
                    json={"rules": rules, "activate": True},
                ),
                f"ruleset of campaign {name}",
            )
        return campaign_id

    def coupons(self, campaign_id: int, count: int, **fields: Any) -> list[dict[str, Any]]:
        """`count` new coupons of the campaign (NewCoupons `fields`), as created."""
        with self._management() as management:
            made = ok(
                management.post(
                    f"{self.app}/campaigns/{campaign_id}/coupons",
                    params={"silent": "no"},
                    json=_plain({"numberOfCoupons": count, **fields}),
                ),
                "create coupons",
            )
        coupons: list[dict[str, Any]] = made["data"]
        assert len(coupons) == count, f"expected {count} coupons, got {len(coupons)}"
        return coupons

    def coupon(self, campaign_id: int, value: str) -> dict[str, Any]:
        with self._management() as management:
            listed = ok(
                management.get(
                    f"{self.app}/campaigns/{campaign_id}/coupons/no_total",
                    params={"value": value, "pageSize": 1000},
                ),
                "list coupons",
            )
        found = [c for c in listed["data"] if c["value"] == value]
        assert len(found) == 1, f"expected one coupon {value!r}, the list holds {listed['data']}"
        coupon: dict[str, Any] = found[0]
        return coupon

    def referral(self, campaign_id: int, code: str) -> dict[str, Any]:
        with self._management() as management:
            listed = ok(
                management.get(
                    f"{self.app}/campaigns/{campaign_id}/referrals/no_total",
                    params={"pageSize": 1000},
                ),
                "list referrals",
            )
        found = [r for r in listed["data"] if r["code"] == code]
        assert len(found) == 1, f"expected one referral {code!r}, the list holds {listed['data']}"
        referral: dict[str, Any] = found[0]
        return referral

    def event_type(self, name: str) -> None:
        """Define the custom event type `name` (an Event attribute of that type defines it)."""
        with self._management() as management:
            ok(
                management.post(
                    "/v1/attributes",
                    json={
                        "entity": "Event",
                        "eventType": name,
                        "name": "note",
                        "title": "Note",
                        "type": "string",
                    },
                ),
                f"define event type {name}",
            )

    def budgets(self, campaign_id: int) -> dict[str, dict[str, Any]]:
        """The campaign's `budgets`, by action."""
        with self._management() as management:
            campaign = ok(management.get(f"{self.app}/campaigns/{campaign_id}"), "GET campaign")
        budgets = {b["action"]: b for b in campaign.get("budgets", [])}
        assert len(budgets) == len(campaign.get("budgets", [])), campaign.get("budgets")
        return budgets

    def budget_counter(self, campaign_id: int, action: str) -> Decimal:
        budgets = self.budgets(campaign_id)
        assert action in budgets, (
            f"campaign {campaign_id}: expected a {action} entry in budgets, got {budgets}"
        )
        return money(budgets[action]["counter"])


def _plain(document: Any) -> Any:
    """Decimals as JSON numbers (httpx's encoder knows no Decimal)."""
    return json.loads(json.dumps(document, default=lambda d: float(d) if d % 1 else int(d)))


# Rules -------------------------------------------------------------------------------------

COUPON_VALID = ["and", ["couponValid"]]
ALWAYS = ["and"]


def rule(title: str, condition: list[Any], *effects: list[Any]) -> dict[str, Any]:
    return {"title": title, "condition": condition, "effects": list(effects)}


def set_discount(name: str, value: Any) -> list[Any]:
    return ["setDiscount", name, value]


def per_item_discount(name: str, per_unit: Any) -> list[Any]:
    """`per_unit` off each unit of every cart item line (the engine multiplies a line's
    discount by its quantity)."""
    return [
        "map",
        [".", "Session", "CartItems"],
        [["Item"], ["setDiscountPerItem", name, [".", "Item"], per_unit]],
    ]


def limit(action: str, amount: Any, *entities: str) -> dict[str, Any]:
    return {"action": action, "limit": amount, "entities": list(entities)}


# carrot check-ledgers ----------------------------------------------------------------------


def check_ledgers(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`carrot check-ledgers` as an operator runs it, against the servers' database."""
    return subprocess.run(
        carrot_command("check-ledgers", *args),
        env=server_environment(database_url),
        capture_output=True,
        text=True,
        timeout=LEDGER_CHECK_TIMEOUT,
        check=False,
    )


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""
