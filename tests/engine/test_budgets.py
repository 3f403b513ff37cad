"""Budget counters: which ones a call names, their periods in the application's timezone, and
the capping of discounts at what they have left."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from carrot.domain.campaign import LimitConfig
from carrot.engine.budgets import budget_keys, entity_key, period_key
from carrot.engine.redemption import BudgetKey
from carrot.engine.scope import CallContext
from tests.engine.support import NOW, app, book, campaign, item, rule, session


def limit(action: str, amount: str, period: str | None = None, *entities: str) -> LimitConfig:
    return LimitConfig(action, Decimal(amount), period, tuple(entities))


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (None, ""),
        ("daily", "2026-11-27"),
        ("weekly", "2026-W48"),
        ("monthly", "2026-11"),
        ("yearly", "2026"),
    ],
)
def test_periods_are_calendar_periods_in_the_application_timezone(
    period: str | None, expected: str
) -> None:
    # 23:30 UTC on Thursday 26 November is already Friday the 27th in Berlin.
    late = datetime(2026, 11, 26, 23, 30, tzinfo=UTC)
    assert period_key(period, late, "Europe/Berlin") == expected


def test_new_year_falls_in_the_timezone_not_in_utc() -> None:
    late = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert period_key("yearly", late, "UTC") == "2026"
    assert period_key("yearly", late, "Europe/Berlin") == "2027"
    assert period_key("monthly", late, "America/New_York") == "2026-12"
    # ISO weeks: 1 January 2027 (Friday) belongs to week 53 of 2026.
    assert period_key("weekly", late, "Europe/Berlin") == "2026-W53"


def test_entity_key_does_not_depend_on_the_order_entities_are_listed() -> None:
    assert entity_key([("Profile", "p1"), ("Coupon", "7")]) == entity_key(
        [("Coupon", "7"), ("Profile", "p1")]
    )
    assert entity_key([]) == ""


def test_budget_keys_name_one_counter_per_identifier_and_skip_missing_entities() -> None:
    limits = (
        limit("setDiscount", "100"),
        limit("setDiscount", "10", "daily", "Profile"),
        limit("setDiscountEffect", "1", None, "Identifier"),
        limit("setDiscount", "50", None, "Store"),
    )
    the_book = book(campaign(1, rule("r", None, ["setDiscount", "x", 1]), limits=limits))
    the_session = session(item("a", "10")).with_changes(identifiers=["d1", "d2"])
    keys = budget_keys(CallContext(app(), NOW, the_session), the_book)
    assert keys == {
        BudgetKey(1, "setDiscount"),
        BudgetKey(1, "setDiscount", entity_key([("Profile", "p1")]), "2026-06-01"),
        BudgetKey(1, "setDiscountEffect", entity_key([("Identifier", "d1")])),
        BudgetKey(1, "setDiscountEffect", entity_key([("Identifier", "d2")])),
    }
