"""Benchmark of session closes: closes per second when every close draws on one shared budget
row (a campaign-wide setDiscount limit) against the same closes without a budget, both in one
run, on two `carrot serve` processes sharing a PostgreSQL database.

Two applications are set up alike: one campaign whose rule gives 1 off every session. In one
the campaign has a setDiscount limit far above what the run spends, so every close passes its
guarded update on the same counter row and writes a ledger row; in the other it has no limit.
Each round opens SESSIONS sessions per variant (not timed), then closes them all at once from
CLIENTS threads spread round robin over the processes (timed); the variants alternate within
each round, so machine load falls on both alike. The table shows the median round.

Run: .venv/bin/python bench/closes.py [--quick] [--clients N] [--sessions N] [--rounds N]
                                      [--database-url postgresql://…]
The database URL names a PostgreSQL server; a fresh database is made beside it and dropped at
the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.live import (
    create_application,
    mint_management_key,
    running_servers,
)

from carrot.config import normalise_database_url
from carrot.store.db import Database

PROCESSES = 2
CALL_TIMEOUT = 60.0
BUDGET = 10**12  # never reached: every close passes the guard
VARIANTS = ("no budget", "one shared budget")

T = TypeVar("T")


@dataclass
class Variant:
    name: str
    clients: list[httpx.Client]
    campaign_id: int
    application_id: int


@dataclass
class Round:
    variant: str
    closes: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.closes / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


@contextmanager
def fresh_postgres(base_url: str) -> Iterator[str]:
    name = f"carrot_bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def in_parallel(count: int, workers: int, call: Callable[[int], T]) -> list[T]:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(call, range(count), timeout=CALL_TIMEOUT * 10))


def checked(response: httpx.Response, what: str) -> Any:
    if response.status_code not in (200, 201):
        raise SystemExit(f"{what}: {response.status_code} {response.text[:1000]}")
    return json.loads(response.text, parse_float=Decimal) if response.content else None


def set_up(
    management: httpx.Client, urls: list[str], stack: ExitStack, variant: str, clients: int
) -> Variant:
    application, key = create_application(management)
    app = f"/v1/applications/{application['id']}"
    shared_budget = variant == VARIANTS[1]
    limits = [{"action": "setDiscount", "limit": BUDGET, "entities": []}] if shared_budget else []
    campaign = checked(
        management.post(f"{app}/campaigns", json={"name": variant, "limits": limits}),
        "create campaign",
    )
    rule = {"title": "1 off", "condition": ["and"], "effects": [["setDiscount", "1 off", 1]]}
    checked(
        management.post(
            f"{app}/campaigns/{campaign['id']}/rulesets", json={"rules": [rule], "activate": True}
        ),
        "create ruleset",
    )
    integration = [
        stack.enter_context(
            httpx.Client(
                base_url=url,
                headers={"Authorization": f"ApiKey-v1 {key}"},
                timeout=CALL_TIMEOUT,
                limits=httpx.Limits(max_connections=clients + 8),
            )
        )
        for url in urls
    ]
    return Variant(variant, integration, campaign["id"], application["id"])


def put_session(client: httpx.Client, session_id: str, **fields: Any) -> httpx.Response:
    return client.put(
        f"/v2/customer_sessions/{session_id}",
        json={"customerSession": fields, "responseContent": []},
    )


def run_round(variant: Variant, number: int, sessions: int, clients: int) -> Round:
    ids = [f"r{number}-{i}" for i in range(sessions)]
    pick = variant.clients

    def open_one(i: int) -> None:
        checked(
            put_session(
                pick[i % len(pick)],
                ids[i],
                profileId=f"customer-{i}",
                cartItems=[{"sku": "tea", "price": "20", "quantity": 1}],
            ),
            "open",
        )

    in_parallel(sessions, clients, open_one)

    def close_one(i: int) -> float:
        started = time.perf_counter()
        answer = checked(put_session(pick[(i + 1) % len(pick)], ids[i], state="closed"), "close")
        took = time.perf_counter() - started
        given = [e for e in answer["effects"] if e["effectType"] == "setDiscount"]
        if len(given) != 1 or given[0]["props"]["value"] != 1:
            raise SystemExit(f"close {ids[i]} of {variant.name}: expected 1 off, got {given}")
        return took

    started = time.perf_counter()
    latencies = in_parallel(sessions, clients, close_one)
    return Round(variant.name, sessions, time.perf_counter() - started, latencies)


def budget_counter(management: httpx.Client, variant: Variant) -> Any:
    campaign = checked(
        management.get(
            f"/v1/applications/{variant.application_id}/campaigns/{variant.campaign_id}"
        ),
        "GET campaign",
    )
    return {b["action"]: b["counter"] for b in campaign.get("budgets", [])}.get("setDiscount")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 100 closes per variant")
    parser.add_argument("--clients", type=int, default=32, help="client threads (default 32)")
    parser.add_argument("--sessions", type=int, default=500, help="closes per variant per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "CARROT_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1/postgres"
        ),
    )
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.rounds = 100, 1

    base = normalise_database_url(args.database_url)
    print(
        f"{PROCESSES} carrot serve processes on PostgreSQL, {args.clients} client threads, "
        f"{args.rounds} round(s) of {args.sessions} closes per variant",
        flush=True,
    )
    rounds: list[Round] = []
    with fresh_postgres(base) as url, tempfile.TemporaryDirectory() as logs:
        db = Database(url)
        db.upgrade()
        db.dispose()
        with running_servers(url, Path(logs), PROCESSES) as servers, ExitStack() as stack:
            urls = [server.url for server in servers]
            management = stack.enter_context(
                httpx.Client(
                    base_url=urls[0],
                    headers={"Authorization": f"ManagementKey-v1 {mint_management_key(url)}"},
                    timeout=CALL_TIMEOUT,
                )
            )
            variants = [set_up(management, urls, stack, name, args.clients) for name in VARIANTS]
            for number in range(args.rounds):
                order = variants if number % 2 == 0 else variants[::-1]
                for variant in order:
                    print(f"round {number + 1}/{args.rounds}: {variant.name} …", end="", flush=True)
                    done = run_round(variant, number, args.sessions, args.clients)
                    rounds.append(done)
                    print(
                        f" {done.closes} closes in {done.seconds:.2f} s, {done.rate:,.0f}/s",
                        flush=True,
                    )
            counted = budget_counter(management, variants[1])
            expected = args.rounds * args.sessions
            print(f"budget counter after the run: {counted} (expected {expected})", flush=True)
            if counted is None or Decimal(str(counted)) != expected:
                raise SystemExit("the budget counter does not match the closes")

    print()
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load}")
    header = f"{'variant':<20}{'closes/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'rounds (closes/s)':>30}"
    print(header)
    print("-" * len(header))
    medians = {}
    for name in VARIANTS:
        mine = [r for r in rounds if r.variant == name]
        middle = sorted(mine, key=lambda r: r.rate)[len(mine) // 2]
        medians[name] = statistics.median(r.rate for r in mine)
        each = ", ".join(f"{r.rate:,.0f}" for r in mine)
        print(
            f"{name:<20}{medians[name]:>10,.0f}{middle.percentile(0.5):>10.1f}"
            f"{middle.percentile(0.95):>10.1f}{each:>30}"
        )
    ratio = medians[VARIANTS[1]] / medians[VARIANTS[0]]
    print(f"ratio (shared budget / no budget): {ratio:.2f}")


if __name__ == "__main__":
    main()
