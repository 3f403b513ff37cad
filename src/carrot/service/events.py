"""Custom events: one occurrence of a customer action the shop defines (`viewed_product`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from carrot.domain.errors import bad_request
from carrot.domain.profile import CustomerProfile, Event
from carrot.engine.scope import EventView
from carrot.service.attributes import check_attributes
from carrot.service.customers import (
    DryRun,
    Evaluation,
    IntegrationState,
    evaluation_time,
    finish,
    require_dry_for_staging,
)
from carrot.service.evaluation import Applied, RulesRun, apply_attribute_updates, run_rules
from carrot.service.keys import IntegrationCaller
from carrot.service.redemption import (
    evaluate_and_take,
    store_created_coupons,
    store_created_referrals,
    store_reservations,
)
from carrot.store import customers as store
from carrot.store import ledger, tables
from carrot.store.db import Database, retried

RESERVED_PREFIX = "talon_"
# talon_profile_created / _updated: what a profile update through the rules records.
PROFILE_EVENTS = "talon_profile_"


@retried
def track_event(
    db: Database,
    caller: IntegrationCaller,
    *,
    profile_id: str,
    event_type: str,
    attributes: dict[str, Any] | None,
    store_integration_id: str | None = None,
    dry: bool = False,
    only: list[int] | None = None,
    explain: bool = False,
) -> IntegrationState:
    """Record a custom event and run the rules on it (they read `Event.Type` and
    `Event.Attributes`); answers with their effects."""
    require_dry_for_staging(caller, dry)
    when = evaluation_time(caller, dry, None)
    if event_type.startswith(RESERVED_PREFIX):
        raise bad_request(
            f"Event types starting with '{RESERVED_PREFIX}' are built in and cannot be sent.",
            "/type",
        )
    if not profile_id:
        raise bad_request("profileId is required: every event belongs to a customer.", "/profileId")
    try:
        with db.write() as conn:
            _require_event_type(conn, caller.account_id, event_type)
            checked = check_attributes(
                conn,
                caller.account_id,
                caller.application_id,
                "Event",
                attributes or {},
                "/attributes",
                event_type=event_type,
            )
            profile, _ = store.lock_or_create_profile(
                conn, caller.account_id, caller.sandbox, profile_id, when
            )
            occurred = Occurrence(event_type, checked, when, store_integration_id)
            result = record_profile_event(conn, caller, profile, occurred, only, explain)
            return finish(conn, dry, result)  # type: ignore[no-any-return]
    except DryRun as dry_run:
        return dry_run.result  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Occurrence:
    """An event about to be recorded for a profile."""

    type: str
    attributes: dict[str, Any]
    when: datetime
    store_integration_id: str | None = None


def record_profile_event(
    conn: sa.Connection,
    caller: IntegrationCaller,
    profile: CustomerProfile,
    occurred: Occurrence,
    only: list[int] | None,
    explain: bool,
) -> IntegrationState:
    """Run the rules on an event of a profile (a custom event, or talon_profile_created /
    _updated), store what they change and the event with its effects, and mark the profile's
    activity."""

    def run_once() -> tuple[RulesRun, Applied]:
        run = run_rules(
            conn,
            caller,
            occurred.when,
            profile=profile,
            event=EventView(occurred.type, occurred.attributes),
            only=only,
            explain=explain,
        )
        return run, apply_attribute_updates(conn, caller, run, None, profile)

    taken = evaluate_and_take(
        conn,
        caller.application_id,
        run_once,
        lambda result: result[0].outcome.takes,
        consuming=True,
    )
    run, applied = taken.result
    assert applied.profile is not None
    profile = replace(applied.profile, last_activity=occurred.when, updated=occurred.when)
    store.save_profile(conn, profile)
    event = store.insert_event(
        conn,
        Event(
            id=0,
            application_id=caller.application_id,
            type=occurred.type,
            created=occurred.when,
            profile_id=profile.id,
            profile_integration_id=profile.integration_id,
            store_integration_id=occurred.store_integration_id,
            attributes=occurred.attributes,
            effects=applied.effects,
        ),
    )
    reason = ledger.PROFILE if occurred.type.startswith(PROFILE_EVENTS) else ledger.EVENT
    origin = ledger.Origin(reason, occurred.when, None, event.id)
    ledger.record(conn, caller.application_id, taken.entries, origin)
    outcome = run.outcome
    store_reservations(conn, caller.application_id, outcome.reservations, occurred.when)
    evaluation = Evaluation(
        effects=applied.effects,
        triggered_campaigns=run.triggered,
        rule_failure_reasons=applied.failures,
        created_coupons=store_created_coupons(
            conn, caller.application_id, outcome.created_coupons, occurred.when
        ),
        created_referrals=store_created_referrals(
            conn, caller.application_id, outcome.created_referrals, occurred.when
        ),
    )
    return IntegrationState(evaluation, profile=profile, event=event)


def _require_event_type(conn: sa.Connection, account_id: int, event_type: str) -> None:
    known = conn.execute(
        sa.select(tables.event_types.c.id).where(
            tables.event_types.c.account_id == account_id,
            tables.event_types.c.name == event_type,
        )
    ).first()
    if known is None:
        raise bad_request(
            f"Event type '{event_type}' is not defined; define it by creating an Event "
            "attribute with this eventType (POST /v1/attributes).",
            "/type",
        )
