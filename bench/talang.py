"""Talang benchmark: compile time per expression, and evaluation time of three typical
rule conditions next to hand-written Python computing the same thing.

    .venv/bin/python bench/talang.py

Results and how to read them: bench/README.md (section "Talang").
"""

from __future__ import annotations

import platform
import sys
import time
import timeit
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from carrot.talang import compile_expr, parse_text

CATEGORIES = ("shoes", "socks", "shirts", "hats", "bags")


def make_scope() -> dict[str, Any]:
    items = [
        {
            "SKU": f"SKU-{n:03d}",
            "Name": f"Item {n}",
            "Category": CATEGORIES[n % len(CATEGORIES)],
            "Price": Decimal(f"{5 + n % 17}.{n % 100:02d}"),
            "Quantity": 1 + n % 4,
        }
        for n in range(50)
    ]
    return {
        "Session": {
            "Total": Decimal("149.90"),
            "CouponCodes": ["WELCOME", "FREESHIP", "SUMMER10"],
            "CartItems": items,
        },
        "Profile": {"Attributes": {"Tier": "gold"}},
    }


HUNDRED = Decimal(100)
ZERO = Decimal(0)


def total_over_100(scope: dict[str, Any]) -> bool:
    return bool(scope["Session"]["Total"] > HUNDRED)


def has_summer_code(scope: dict[str, Any]) -> bool:
    return "SUMMER10" in scope["Session"]["CouponCodes"]


def shoes_total(scope: dict[str, Any]) -> Decimal:
    items = scope["Session"]["CartItems"]
    return sum(
        (item["Price"] * item["Quantity"] for item in items if item["Category"] == "shoes"), ZERO
    )


CASES: list[tuple[str, str, Callable[[dict[str, Any]], Any]]] = [
    ("(a) Session.Total > 100", "(> (. Session Total) 100)", total_over_100),
    (
        "(b) code in Session.CouponCodes",
        '(exists (. Session CouponCodes) Code (= (. Code) "SUMMER10"))',
        has_summer_code,
    ),
    (
        "(c) sum price*qty of 50 items by category",
        "(sum (filter (. Session CartItems) ((Item) (= (. Item Category) shoes)))"
        " ((Item) (* (. Item Price) (. Item Quantity))))",
        shoes_total,
    ),
]

COMPILE_ONLY = [
    (
        "a typical rule (and of 4 conditions)",
        "(and (> (. Session Total) 100) (= (. Profile Attributes Tier) gold)"
        ' (exists (. Session CouponCodes) c (= (. c) "SUMMER10"))'
        " (>= (count (filter (. Session CartItems) i (= (. i Category) shoes))) 2))",
    ),
]


def side_by_side(
    first: Callable[[], Any], second: Callable[[], Any], rounds: int = 200, batch: float = 0.002
) -> tuple[float, float]:
    """Seconds per call of each, the best of `rounds` batches of about `batch` seconds
    timed alternately, so that both see the same machine load. Short batches, many of
    them: on a machine shared with other work most batches are slowed down, the best of
    each side is one that was not."""
    timers = [timeit.Timer(first), timeit.Timer(second)]
    slowest = max(timer.timeit(100) / 100 for timer in timers)
    number = max(1, round(batch / slowest))
    best = [float("inf"), float("inf")]
    for _ in range(rounds):
        for index, timer in enumerate(timers):
            best[index] = min(best[index], timer.timeit(number) / number)
    return best[0], best[1]


def compile_time(expr: Any) -> float:
    timer = timeit.Timer(lambda: compile_expr(expr))
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=5, number=number)) / number


def main() -> int:
    scope = make_scope()
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    rows = []
    for label, text, hand_written in CASES:
        print(f"measuring {label} …", flush=True)
        expr = parse_text(text)
        compiled = compile_expr(expr)
        expected = hand_written(scope)
        actual = compiled.evaluate(scope)
        if actual != expected:
            print(f"  MISMATCH: talang gives {actual!r}, Python gives {expected!r}")
            return 1
        talang, python = side_by_side(
            lambda compiled=compiled: compiled.evaluate(scope),
            lambda fn=hand_written: fn(scope),
        )
        rows.append((label, compile_time(expr), talang, python))
    for label, text in COMPILE_ONLY:
        print(f"measuring compile time of {label} …", flush=True)
        expr = parse_text(text)
        compiled = compile_expr(expr)
        compiled.evaluate(scope)
        rows.append((label, compile_time(expr), None, None))

    print()
    header = f"{'case':44} {'compile':>10} {'talang':>10} {'python':>10} {'ratio':>7}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for label, compiling, talang, python in rows:
        if talang is None or python is None:
            print(f"{label:44} {compiling * 1e6:8.1f}µs {'':>10} {'':>10} {'':>7}")
            continue
        ratio = talang / python
        worst = max(worst, ratio)
        print(
            f"{label:44} {compiling * 1e6:8.1f}µs {talang * 1e6:8.2f}µs"
            f" {python * 1e6:8.2f}µs {ratio:6.2f}×"
        )
    print()
    print(f"worst evaluation ratio: {worst:.2f}× (target: within 2×)")
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    status = main()
    print(f"done in {time.perf_counter() - started:.1f}s")
    sys.exit(status)
