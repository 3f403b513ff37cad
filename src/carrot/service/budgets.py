"""What campaign answers show of their budgets: for each LimitConfig, its limit and what the
current period has used — campaign-wide, or summed over every entity for per-entity limits."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from carrot.domain.campaign import Campaign, LimitConfig
from carrot.engine.budgets import period_key
from carrot.store import ledger, tables
from carrot.store.db import Database


@dataclass(frozen=True)
class Budget:
    """Talon.One's CampaignBudget: an action, its limit and what it has used."""

    action: str
    limit: Decimal
    counter: Decimal


def campaign_budgets(
    db: Database, application_id: int, campaigns: Sequence[Campaign], now: datetime
) -> dict[int, list[Budget]]:
    """Each campaign's budgets as they stand `now` (one query for all the campaigns)."""
    limited = [campaign for campaign in campaigns if campaign.limits]
    if not limited:
        return {campaign.id: [] for campaign in campaigns}
    with db.read() as conn:
        apps = tables.applications
        timezone = conn.execute(
            sa.select(apps.c.timezone).where(apps.c.id == application_id)
        ).scalar_one()
        periods = {period_key(limit.period, now, timezone) for c in limited for limit in c.limits}
        counters = ledger.budget_counters_of(
            conn, application_id, [c.id for c in limited], sorted(periods)
        )
    used: dict[tuple[int, str, str, tuple[str, ...]], Decimal] = {}
    for key, counter in counters:
        names = tuple(sorted(pair[0] for pair in json.loads(key.entity_key or "[]")))
        slot = (key.campaign_id, key.action, key.period_key, names)
        used[slot] = used.get(slot, Decimal(0)) + counter
    return {
        campaign.id: [
            Budget(
                limit.action,
                limit.limit,
                used.get(_slot(campaign.id, limit, now, timezone), Decimal(0)),
            )
            for limit in campaign.limits
        ]
        for campaign in campaigns
    }


def _slot(
    campaign_id: int, limit: LimitConfig, now: datetime, timezone: str
) -> tuple[int, str, str, tuple[str, ...]]:
    names = tuple(sorted(set(limit.entities)))
    return (campaign_id, limit.action, period_key(limit.period, now, timezone), names)
