"""Benchmark of the rule engine and of PUT /v2/customer_sessions with campaigns running.

(a) The engine alone, in process: running campaigns 10 / 100 / 1000 (1-3 realistic rules each)
    x carts of 1 / 20 / 200 lines; plus 1000 campaigns of which 990 are event-specific (only 10
    can apply to a session update).
(b) Through HTTP on SQLite: `carrot serve` with 100 campaigns against a bare FastAPI endpoint
    that only validates the same IntegrationRequest and echoes it, same client, same run.

Run: .venv/bin/python bench/engine.py [--quick] [--skip-engine | --skip-http]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from carrot.domain.profile import CustomerProfile
from carrot.domain.session import CartItem, CustomerSession, SessionState
from carrot.engine.evaluate import CampaignRules, CampaignView, GroupNode, RuleBook, evaluate
from carrot.engine.rules import compile_ruleset
from carrot.engine.scope import ApplicationView, CallContext, EventView

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CATEGORIES = ["Tea", "Kitchen", "Books", "Garden", "Toys"]
TOTAL = [".", "Session", "Total"]
ITEMS = [".", "Session", "CartItems"]


def worst_case_rules(index: int) -> list[dict[str, Any]]:
    """1-3 rules that all fire on the benchmark's carts: every campaign gives effects."""
    category = CATEGORIES[index % len(CATEGORIES)]
    in_category = ["filter", ITEMS, [["Item"], ["=", [".", "Item", "Category"], category]]]
    threshold = 50 + (index % 7) * 25
    rules: list[dict[str, Any]] = [
        {
            "title": f"{5 + index % 10}% over {threshold}",
            "condition": ["and", [">", TOTAL, threshold]],
            "effects": [["setDiscount", "percent off", ["*", TOTAL, (5 + index % 10) / 100]]],
        }
    ]
    if index % 3 != 0:
        rules.append(
            {
                "title": f"2 off each {category}",
                "condition": ["and", [">=", ["count", in_category], 2]],
                "effects": [
                    [
                        "map",
                        in_category,
                        [["Item"], ["setDiscountPerItem", "2 off", [".", "Item"], 2]],
                    ]
                ],
            }
        )
    if index % 3 == 2:
        rules.append(
            {
                "title": "almost free shipping",
                "condition": ["and", [">", TOTAL, threshold + 100]],
                "effects": [["showNotification", "info", "Free shipping", "You get it"]],
                "failureEffects": [["showNotification", "info", "Almost", "Spend a little more"]],
            }
        )
    return rules


def rules_for(index: int) -> list[dict[str, Any]]:
    """A realistic mix: a shop runs many campaigns, and one cart qualifies for a few of them.
    Thresholds spread from 50 to 3000; category promotions for one customer segment in five;
    product promotions on one SKU of a large catalogue; first-order campaigns."""
    kind = index % 10
    category = CATEGORIES[index % len(CATEGORIES)]
    in_category = ["filter", ITEMS, [["Item"], ["=", [".", "Item", "Category"], category]]]
    if kind < 4:
        threshold = 50 + (index * 173) % 2950
        return [
            {
                "title": f"{5 + index % 10}% over {threshold}",
                "condition": ["and", [">", TOTAL, threshold]],
                "effects": [["setDiscount", "percent off", ["*", TOTAL, (5 + index % 10) / 100]]],
                # One threshold campaign in ten nudges the customers below it.
                "failureEffects": (
                    [["showNotification", "info", "Almost", "Spend a little more"]]
                    if index % 40 == 0
                    else []
                ),
            }
        ]
    if kind < 7:
        segment = ["=", [".", "Profile", "Attributes", "Segment"], f"segment-{index % 5}"]
        return [
            {
                "title": f"segment {index % 5}: 2 off each {category}",
                "condition": ["and", segment, [">=", ["count", in_category], 3]],
                "effects": [
                    [
                        "map",
                        in_category,
                        [["Item"], ["setDiscountPerItem", "2 off", [".", "Item"], 2]],
                    ]
                ],
            }
        ]
    if kind < 9:
        sku = f"SKU-{(index * 37) % 1000}"
        has_sku = ["exists", ITEMS, [["Item"], ["=", [".", "Item", "SKU"], sku]]]
        return [
            {
                "title": f"10% off {sku}",
                "condition": ["and", has_sku],
                "effects": [
                    [
                        "map",
                        ["filter", ITEMS, [["Item"], ["=", [".", "Item", "SKU"], sku]]],
                        [
                            ["Item"],
                            [
                                "setDiscountPerItem",
                                "10%",
                                [".", "Item"],
                                ["*", [".", "Item", "Price"], 0.1],
                            ],
                        ],
                    ]
                ],
            }
        ]
    return [
        {
            "title": "first order: free shipping",
            "condition": ["and", [".", "Session", "IsFirstSession"], [">", TOTAL, 30]],
            "effects": [["setDiscountPerAdditionalCost", "Free shipping", "shipping", 4.9]],
        },
        {
            "title": "first order: welcome",
            "condition": ["and", [".", "Session", "IsFirstSession"]],
            "effects": [["showNotification", "info", "Welcome", "Thanks for your first order"]],
        },
    ]


def event_rules(index: int) -> list[dict[str, Any]]:
    return [
        {
            "title": "viewed",
            "condition": ["and", ["=", [".", "Event", "Type"], f"viewed_{index}"], [">", TOTAL, 1]],
            "effects": [["setDiscount", "viewer", 1]],
        }
    ]


def book(campaigns: int, event_specific: int = 0, worst: bool = False) -> RuleBook:
    elements = []
    for index in range(campaigns):
        if index < event_specific:
            rules = event_rules(index)
        else:
            rules = worst_case_rules(index) if worst else rules_for(index)
        ruleset = compile_ruleset(index + 1, rules, [])
        elements.append(CampaignRules(CampaignView(index + 1, f"campaign {index}"), ruleset))
    return RuleBook(1, GroupNode(1, "root", elements=tuple(elements)))


def cart(lines: int) -> CustomerSession:
    items = [
        CartItem(
            sku=f"SKU-{i}",
            quantity=1 + i % 3,
            price=Decimal(f"{5 + (i * 7) % 40}.{i % 100:02d}"),
            category=CATEGORIES[i % len(CATEGORIES)],
        )
        for i in range(lines)
    ]
    return CustomerSession(
        id=1,
        application_id=1,
        integration_id="bench",
        profile_integration_id="p",
        first_session=False,
        state=SessionState.OPEN,
        created=NOW,
        updated=NOW,
        cart_items=items,
        additional_costs={"shipping": Decimal("4.90")},
    )


def median_ms(fn: Any, budget_s: float, min_runs: int = 5) -> float:
    times = []
    started = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - started < budget_s:
        begin = time.perf_counter()
        fn()
        times.append(time.perf_counter() - begin)
        if len(times) >= 2000:
            break
    return statistics.median(times) * 1000


def bench_engine(quick: bool) -> list[dict[str, Any]]:
    application = ApplicationView(1, "EUR", 2, "UTC", additional_cost_ids={"shipping": 1})
    budget = 0.3 if quick else 1.5
    results = []
    cases = [(c, lines, 0, False) for c in (10, 100, 1000) for lines in (1, 20, 200)]
    cases += [(1000, 20, 990, False), (100, 20, 0, True)]
    # A customer of segment 2 on a repeat order: the mix's conditions decide for themselves.
    profile = CustomerProfile(1, 1, "p", False, NOW, NOW, attributes={"Segment": "segment-2"})
    for step, (campaigns, lines, event_specific, worst) in enumerate(cases, start=1):
        the_book = book(campaigns, event_specific, worst)
        context = CallContext(
            application, NOW, cart(lines), profile, EventView("talon_session_updated")
        )
        ms = median_ms(lambda: evaluate(context, the_book), budget)  # noqa: B023
        effects = len(evaluate(context, the_book).effects)
        label = f"{campaigns} campaigns"
        if event_specific:
            label += f" ({campaigns - event_specific} can apply)"
        if worst:
            label += " (all fire)"
        results.append(
            {"case": label, "lines": lines, "median_ms": round(ms, 3), "effects": effects}
        )
        print(
            f"[{step}/{len(cases)}] engine {label:>32} x {lines:>3} lines: "
            f"{ms:8.3f} ms median ({effects} effects)",
            flush=True,
        )
    return results


# HTTP ---------------------------------------------------------------------------------------

BARE_APP = """
from fastapi import Body, FastAPI
from carrot.api.integration.models import IntegrationRequest

app = FastAPI()

@app.put("/v2/customer_sessions/{session_id}")
def echo(session_id: str, body: IntegrationRequest = Body()) -> dict:
    return {"customerSession": body.customer_session.model_dump(mode="json", by_alias=True), "effects": []}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/openapi.json", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start")


def start(command: list[str], env: dict[str, str], cwd: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """CPU time (user + system) the process has used so far; Linux only, else 0."""
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    server: subprocess.Popen[bytes], url: str, headers: dict[str, str], seconds: float, clients: int
) -> tuple[float, float]:
    """Requests per second that the clients get, and the server's CPU milliseconds per request
    (which other load on the machine disturbs far less than throughput)."""
    cpu = cpu_seconds(server)
    requests, elapsed = load(url, headers, seconds, clients, 20)
    return requests / elapsed, (cpu_seconds(server) - cpu) * 1000 / max(requests, 1)


def load(
    url: str, headers: dict[str, str], seconds: float, clients: int, lines: int
) -> tuple[int, float]:
    """How many requests `clients` threads, each creating new 20-line sessions, get done in
    about `seconds`, and how long exactly that took."""
    items = [
        {
            "sku": f"SKU-{i}",
            "price": 5 + (i * 7) % 40,
            "quantity": 1 + i % 3,
            "category": CATEGORIES[i % 5],
        }
        for i in range(lines)
    ]
    done = [0] * clients
    stop = time.monotonic() + seconds

    def client(number: int) -> None:
        with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
            n = 0
            while time.monotonic() < stop:
                body = {"customerSession": {"profileId": f"p{number}", "cartItems": items}}
                response = http.put(
                    f"/v2/customer_sessions/b{number}-{n}-{time.monotonic_ns()}", json=body
                )
                response.raise_for_status()
                n += 1
            done[number] = n

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    begin = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done), time.monotonic() - begin


def bench_http(quick: bool) -> dict[str, Any]:
    """Bare endpoint and carrot, measured alternately in several short rounds: a shared VM's
    speed drifts within seconds, so the two sides of one round are compared, and the median
    round is reported."""
    seconds = 3.0 if quick else 6.0
    rounds = 3 if quick else 5
    clients = 8
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "CARROT_DATABASE_URL": f"sqlite:///{work}/bench.db"}
        key = subprocess.run(
            [sys.executable, "-m", "carrot", "management-key", "create", "--name", "bench"],
            env=env, cwd=work, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        port, bare_port = free_port(), free_port()
        carrot = start([sys.executable, "-m", "carrot", "serve", "--port", str(port)], env, work)
        Path(work, "bare_app.py").write_text(BARE_APP)
        bare = start(
            [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(bare_port), "--log-level", "warning"],
            env, work,
        )  # fmt: skip
        measured: list[tuple[float, float, float, float]] = []
        try:
            url, bare_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
            wait_until_up(url)
            wait_until_up(bare_url)
            integration_key = setup_campaigns(url, key, 100)
            headers = {"Authorization": f"ApiKey-v1 {integration_key}"}
            print("[http] warming up", flush=True)
            load(url, headers, 1.0, clients, 20)
            load(bare_url, headers, 1.0, clients, 20)
            for number in range(1, rounds + 1):
                bare_rps, bare_cpu = measure(bare, bare_url, headers, seconds, clients)
                carrot_rps, carrot_cpu = measure(carrot, url, headers, seconds, clients)
                measured.append((bare_rps, carrot_rps, bare_cpu, carrot_cpu))
                print(
                    f"[http] round {number}/{rounds} ({clients} clients, {seconds:.0f} s each): "
                    f"bare {bare_rps:.0f} req/s, carrot with 100 campaigns {carrot_rps:.0f} req/s "
                    f"({carrot_rps / bare_rps:.0%}); server CPU per request: bare "
                    f"{bare_cpu:.2f} ms, carrot {carrot_cpu:.2f} ms",
                    flush=True,
                )
        finally:
            for process in (carrot, bare):
                process.terminate()
                process.wait(10)
    ratios = sorted(carrot_rps / bare_rps for bare_rps, carrot_rps, _, _ in measured)
    ratio = statistics.median(ratios)
    bare_cpu = statistics.median(m[2] for m in measured)
    carrot_cpu = statistics.median(m[3] for m in measured)
    print(
        f"[http] median of {rounds} rounds: carrot {ratio:.0%} of bare's throughput "
        f"(rounds {ratios[0]:.0%}-{ratios[-1]:.0%}); server CPU per request: bare "
        f"{bare_cpu:.2f} ms, carrot {carrot_cpu:.2f} ms ({bare_cpu / max(carrot_cpu, 1e-9):.0%})",
        flush=True,
    )
    return {
        "bare_rps": round(statistics.median(m[0] for m in measured), 1),
        "carrot_rps": round(statistics.median(m[1] for m in measured), 1),
        "ratio": round(ratio, 3),
        "ratio_range": [round(ratios[0], 3), round(ratios[-1], 3)],
        "bare_cpu_ms": round(bare_cpu, 3),
        "carrot_cpu_ms": round(carrot_cpu, 3),
    }


def setup_campaigns(url: str, management_key: str, count: int) -> str:
    headers = {"Authorization": f"ManagementKey-v1 {management_key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        app = http.post(
            "/v1/applications", json={"name": "bench", "currency": "EUR", "timezone": "UTC"}
        ).json()
        http.post(
            "/v1/additional_costs",
            json={"name": "shipping", "title": "Shipping", "type": "session"},
        )
        key = http.post(
            f"/v1/applications/{app['id']}/api_keys",
            json={"title": "bench", "expires": "2099-01-01T00:00:00Z"},
        ).json()["key"]
        for index in range(count):
            campaign = http.post(
                f"/v1/applications/{app['id']}/campaigns", json={"name": f"campaign {index}"}
            ).json()
            response = http.post(
                f"/v1/applications/{app['id']}/campaigns/{campaign['id']}/rulesets",
                json={"rules": rules_for(index), "activate": True},
            )
            response.raise_for_status()
            if (index + 1) % 25 == 0:
                print(f"[http] created {index + 1}/{count} campaigns", flush=True)
    return str(key)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="shorter runs (a smoke test)")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-engine", action="store_true", help="only the HTTP comparison")
    args = parser.parse_args()
    engine = None if args.skip_engine else bench_engine(args.quick)
    http = None if args.skip_http else bench_http(args.quick)
    print(json.dumps({"engine": engine, "http": http}, indent=2))


if __name__ == "__main__":
    main()
