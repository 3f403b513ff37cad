"""Checking the ledgers: every coupon, referral and budget counter recomputed from its ledger
rows, and every coupon's reservationCounter from its reservations (`carrot check-ledgers`)."""

from __future__ import annotations

from collections.abc import Callable

from carrot.store import ledger
from carrot.store.db import Database
from carrot.store.ledger import Difference


def ledger_size(db: Database, application_id: int | None = None) -> int:
    """How many ledger rows a check reads (for a progress bar)."""
    with db.read() as conn:
        return ledger.ledger_size(conn, application_id)


def check_ledgers(
    db: Database,
    application_id: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> list[Difference]:
    """Each counter that differs from the sum of its ledger rows, then each coupon whose
    reservationCounter differs from its number of reservations, from one snapshot."""
    with db.read() as conn:
        return [
            *ledger.ledger_differences(conn, application_id, on_progress),
            *ledger.reservation_differences(conn, application_id),
        ]
