"""Customer profile use cases: update one (optionally through the rule engine), update many,
read the inventory, and erase a customer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from carrot.domain.errors import BadRequest, NotFound, Problem
from carrot.domain.profile import CustomerProfile
from carrot.service.attributes import check_attributes
from carrot.service.customers import (
    DryRun,
    Evaluation,
    IntegrationState,
    evaluation_time,
    finish,
    require_dry_for_staging,
)
from carrot.service.events import Occurrence, record_profile_event
from carrot.service.keys import IntegrationCaller
from carrot.store import customers as store
from carrot.store.db import Database, retried

PROFILE_CREATED = "talon_profile_created"
PROFILE_UPDATED = "talon_profile_updated"


@retried
def update_customer_profile(
    db: Database,
    caller: IntegrationCaller,
    integration_id: str,
    attributes: dict[str, Any] | None,
    *,
    run_rule_engine: bool = False,
    dry: bool = False,
    only: list[int] | None = None,
    explain: bool = False,
) -> IntegrationState:
    """Set attributes on the profile, creating it on first mention. With runRuleEngine the
    call records talon_profile_created/updated, runs the rules (`Event.Type` is that event's
    type) and counts as the customer's activity."""
    require_dry_for_staging(caller, dry)
    when = evaluation_time(caller, dry, None)
    try:
        with db.write() as conn:
            checked = check_attributes(
                conn,
                caller.account_id,
                caller.application_id,
                "CustomerProfile",
                attributes or {},
                "/attributes",
            )
            profile, created = store.lock_or_create_profile(
                conn, caller.account_id, caller.sandbox, integration_id, when
            )
            profile = replace(profile, attributes={**profile.attributes, **checked}, updated=when)
            if not run_rule_engine:
                store.save_profile(conn, profile)
                return finish(conn, dry, IntegrationState(Evaluation(), profile=profile))  # type: ignore[no-any-return]
            event_type = PROFILE_CREATED if created else PROFILE_UPDATED
            occurred = Occurrence(event_type, checked, when)
            result = record_profile_event(conn, caller, profile, occurred, only, explain)
            return finish(conn, dry, result)  # type: ignore[no-any-return]
    except DryRun as dry_run:
        return dry_run.result  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ProfileAttributes:
    integration_id: str
    attributes: dict[str, Any]


@retried
def update_customer_profiles(
    db: Database, caller: IntegrationCaller, updates: list[ProfileAttributes]
) -> list[CustomerProfile]:
    """Up to 1000 profiles in one transaction, all or nothing; never runs rules."""
    require_dry_for_staging(caller, False)
    when = evaluation_time(caller, False, None)
    with db.write() as conn:
        checked = _checked_all(conn, caller, updates)
        result = []
        # Lock in a fixed order so two bulk updates naming the same profiles cannot deadlock.
        for update in sorted(checked, key=lambda u: u.integration_id):
            profile, _ = store.lock_or_create_profile(
                conn, caller.account_id, caller.sandbox, update.integration_id, when
            )
            profile = replace(
                profile, attributes={**profile.attributes, **update.attributes}, updated=when
            )
            store.save_profile(conn, profile)
            result.append(profile)
    order = {update.integration_id: i for i, update in enumerate(updates)}
    return sorted(result, key=lambda p: order[p.integration_id])


def _checked_all(
    conn: sa.Connection, caller: IntegrationCaller, updates: list[ProfileAttributes]
) -> list[ProfileAttributes]:
    problems: list[Problem] = []
    checked = []
    for index, update in enumerate(updates):
        try:
            attributes = check_attributes(
                conn,
                caller.account_id,
                caller.application_id,
                "CustomerProfile",
                update.attributes,
                f"/customerProfiles/{index}/attributes",
            )
        except BadRequest as error:
            problems.extend(error.problems)
            continue
        checked.append(ProfileAttributes(update.integration_id, attributes))
    if problems:
        raise BadRequest(problems[0].details, problems)
    merged: dict[str, ProfileAttributes] = {}
    for update in checked:
        previous = merged.get(update.integration_id)
        attributes = {**(previous.attributes if previous else {}), **update.attributes}
        merged[update.integration_id] = ProfileAttributes(update.integration_id, attributes)
    return list(merged.values())


def get_profile(db: Database, caller: IntegrationCaller, integration_id: str) -> CustomerProfile:
    with db.read() as conn:
        profile = store.find_profile(conn, caller.account_id, caller.sandbox, integration_id)
    if profile is None:
        raise NotFound(f"Customer profile '{integration_id}' not found.")
    return profile


@retried
def delete_customer_data(db: Database, caller: IntegrationCaller, integration_id: str) -> None:
    """Erase the profile with its sessions and events in every application of the environment."""
    require_dry_for_staging(caller, False)
    with db.write() as conn:
        profile = store.find_profile(conn, caller.account_id, caller.sandbox, integration_id)
        if profile is None:
            raise NotFound(f"Customer profile '{integration_id}' not found.")
        # Sessions before the profile: the same order as session updates, so no deadlock.
        store.lock_profile_sessions(conn, profile.id)
        store.delete_profile_everywhere(conn, profile.id)
