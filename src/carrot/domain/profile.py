"""Customer profiles: the shop's customer as carrot knows them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class CustomerProfile:
    id: int
    account_id: int
    integration_id: str
    sandbox: bool
    created: datetime
    updated: datetime
    attributes: dict[str, Any] = field(default_factory=dict)
    closed_sessions: int = 0
    total_sales: Decimal = Decimal(0)
    last_activity: datetime | None = None


@dataclass(frozen=True)
class Event:
    id: int
    application_id: int
    type: str
    created: datetime
    profile_integration_id: str = ""
    session_integration_id: str = ""
    store_integration_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    effects: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    profile_id: int | None = None
    session_id: int | None = None
