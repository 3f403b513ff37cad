"""Talang benchmark: compile time per expression, and evaluation time of three typical
rule conditions next to hand-written Python computing the same thing.

    .venv/bin/python bench/talang.py

Both sides evaluate the very same scope object. Its `Session.CouponCodes` is a `TextList`,
as the engine declares a session's codes: a list of exact strs, checked once when it is
made, over which Talang's membership test is a C-level `in`, as the hand-written one is.
Row (b*) times the same test over a plain list of the same codes (Talang must check each
item's type on the way; the hand-written `in` is the same); it is shown for information and
is not one of the three targets.

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

from carrot.talang import TextList, compile_expr, parse_text

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
            # Declared once as exact strs, as the engine builds it (see the docstring).
            "CouponCodes": TextList(["WELCOME", "FREESHIP", "SUMMER10"]),
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

# (b) again over a plain list of the same codes: for information, not a target.
PLAIN_LIST_CASE = ("(b*) the same over a plain list", CASES[1][1], has_summer_code)


def plain_list_scope(scope: dict[str, Any]) -> dict[str, Any]:
    session = scope["Session"]
    return {**scope, "Session": {**session, "CouponCodes": list(session["CouponCodes"])}}


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
    rows: list[tuple[str, float, float | None, float | None]] = []
    timed = [(case, scope) for case in CASES] + [(PLAIN_LIST_CASE, plain_list_scope(scope))]
    for (label, text, hand_written), case_scope in timed:
        print(f"measuring {label} …", flush=True)
        expr = parse_text(text)
        compiled = compile_expr(expr)
        expected = hand_written(case_scope)
        actual = compiled.evaluate(case_scope)
        if actual != expected:
            print(f"  MISMATCH: talang gives {actual!r}, Python gives {expected!r}")
            return 1
        talang, python = side_by_side(
            lambda compiled=compiled, case_scope=case_scope: compiled.evaluate(case_scope),
            lambda fn=hand_written, case_scope=case_scope: fn(case_scope),
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
    for label, compiling, talang_time, python_time in rows:
        if talang_time is None or python_time is None:
            print(f"{label:44} {compiling * 1e6:8.1f}µs {'':>10} {'':>10} {'':>7}")
            continue
        ratio = talang_time / python_time
        if not label.startswith("(b*)"):
            worst = max(worst, ratio)
        print(
            f"{label:44} {compiling * 1e6:8.1f}µs {talang_time * 1e6:8.2f}µs"
            f" {python_time * 1e6:8.2f}µs {ratio:6.2f}×"
        )
    print()
    print(f"worst evaluation ratio of (a)-(c): {worst:.2f}× (target: within 2×)")
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    status = main()
    print(f"done in {time.perf_counter() - started:.1f}s")
    sys.exit(status)
