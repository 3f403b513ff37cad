"""The one place carrot reads the wall clock, so tests and dry runs can say what "now" is."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
