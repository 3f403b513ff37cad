"""Campaigns of an application: create, read, list, update (including which ruleset is
active), delete, and copy into other applications. Every change bumps the application's
revision in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection, Row

from carrot.domain.campaign import Campaign, CampaignQuery, CampaignState, CampaignType
from carrot.domain.errors import BadRequest, NotFound, Problem
from carrot.service.applications import _duplicate_limits
from carrot.service.attributes import attribute_problems, invalid, json_pointer
from carrot.service.clock import utcnow
from carrot.service.keys import ManagementCaller, load_application
from carrot.service.rulesets import NewRulesetInput, save_ruleset
from carrot.store import campaigns as store
from carrot.store import tables
from carrot.store.db import Database


@dataclass(frozen=True)
class CampaignSettings:
    """NewCampaign / UpdateCampaign as carrot keeps them. A None marks a field left out:
    `state`, `type`, `evaluation_group_id` and `active_ruleset_id` then keep their current
    value on update (enabled, advanced, the root group, none on create); `limits` left out
    on create takes the application's default limits, on update it means no limits."""

    name: str
    description: str = ""
    start_time: datetime | None = None
    end_time: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    state: str | None = None
    type: str | None = None
    tags: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    limits: list[dict[str, Any]] | None = None
    coupon_settings: dict[str, Any] | None = None
    referral_settings: dict[str, Any] | None = None
    linked_store_ids: list[int] = field(default_factory=list)
    campaign_groups: list[int] = field(default_factory=list)
    evaluation_group_id: int | None = None
    active_ruleset_id: int | None = None


@dataclass(frozen=True)
class CampaignCopy:
    """CampaignCopy: what to change in the copies; None keeps the original's value."""

    application_ids: list[int]
    name: str | None = None
    description: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    tags: list[str] | None = None
    evaluation_group_id: int | None = None


# --- use cases -------------------------------------------------------------------------


def create_campaign(
    db: Database, caller: ManagementCaller, application_id: int, settings: CampaignSettings
) -> Campaign:
    caller.check_application(application_id)
    with db.write() as conn:
        application = store.lock_application(conn, caller.account_id, application_id)
        now = utcnow()
        root = store.ensure_root_group(conn, application_id, now)
        group_id = settings.evaluation_group_id or root
        problems = _settings_problems(conn, caller.account_id, application_id, settings)
        problems.extend(_group_problems(conn, application_id, group_id))
        if settings.active_ruleset_id is not None:
            problems.append(
                _bad("A new campaign has no rulesets to activate yet.", "/activeRulesetId")
            )
        if problems:
            raise invalid(problems)
        limits = application.limits if settings.limits is None else settings.limits
        campaign_id = conn.execute(
            tables.campaigns.insert()
            .values(
                application_id=application_id,
                evaluation_group_id=group_id,
                position=store.next_position(conn, group_id),
                created=now,
                updated=now,
                user_id=caller.key_id,
                state=settings.state or CampaignState.ENABLED.value,
                type=settings.type or CampaignType.ADVANCED.value,
                active_ruleset_id=None,
                **_columns(settings, limits),
            )
            .returning(tables.campaigns.c.id)
        ).scalar_one()
        _tree_changed(conn, application_id, now)
        return store.campaign_from_row(_campaign_row(conn, application_id, campaign_id))


def list_campaigns(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    query: CampaignQuery,
    *,
    sort: str,
    page_size: int,
    skip: int,
) -> tuple[int, list[Campaign]]:
    caller.check_application(application_id)
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
        return store.list_campaigns(
            conn, application_id, query, utcnow(), sort=sort, page_size=page_size, skip=skip
        )


def get_campaign(
    db: Database, caller: ManagementCaller, application_id: int, campaign_id: int
) -> Campaign:
    caller.check_application(application_id)
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
        return store.campaign_from_row(_campaign_row(conn, application_id, campaign_id))


def update_campaign(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    settings: CampaignSettings,
) -> Campaign:
    """A full update of what describes the campaign (see CampaignSettings for what a field
    left out means). Naming another of the campaign's rulesets in `activeRulesetId`
    switches the version its rules are evaluated from."""
    caller.check_application(application_id)
    with db.write() as conn:
        store.lock_application(conn, caller.account_id, application_id)
        current = _campaign_row(conn, application_id, campaign_id)
        now = utcnow()
        group_id = settings.evaluation_group_id or current.evaluation_group_id
        problems = _settings_problems(conn, caller.account_id, application_id, settings)
        problems.extend(_group_problems(conn, application_id, group_id))
        problems.extend(_ruleset_problems(conn, campaign_id, settings.active_ruleset_id))
        if problems:
            raise invalid(problems)
        values = _columns(settings, settings.limits or [])
        if settings.state is not None:
            values["state"] = settings.state
        if settings.type is not None:
            values["type"] = settings.type
        if group_id != current.evaluation_group_id:
            values["evaluation_group_id"] = group_id
            values["position"] = store.next_position(conn, group_id)
            store.bump_campaign_set(conn, application_id, now)
        if settings.active_ruleset_id not in (None, current.active_ruleset_id):
            values["active_ruleset_id"] = settings.active_ruleset_id
            _mark_activated(conn, settings.active_ruleset_id, now)
        conn.execute(
            tables.campaigns.update()
            .where(tables.campaigns.c.id == campaign_id)
            .values(updated=now, **values)
        )
        store.bump_revisions(conn, [application_id])
        return store.campaign_from_row(_campaign_row(conn, application_id, campaign_id))


def delete_campaign(
    db: Database, caller: ManagementCaller, application_id: int, campaign_id: int
) -> None:
    """Deletes the campaign and, through the foreign key, every ruleset of it."""
    caller.check_application(application_id)
    with db.write() as conn:
        store.lock_application(conn, caller.account_id, application_id)
        _campaign_row(conn, application_id, campaign_id)
        conn.execute(tables.campaigns.delete().where(tables.campaigns.c.id == campaign_id))
        _tree_changed(conn, application_id, utcnow())


def copy_campaign(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    copy: CampaignCopy,
) -> list[Campaign]:
    """One copy of the campaign, with its active ruleset, in each named application. Copies
    start disabled, so none runs before someone looks at it where it landed."""
    caller.check_application(application_id)
    for target in copy.application_ids:
        caller.check_application(target)
    with db.write() as conn:
        _refuse_unknown_targets(conn, caller.account_id, copy.application_ids)
        for locked in sorted({application_id, *copy.application_ids}):
            store.lock_application(conn, caller.account_id, locked)
        source = _campaign_row(conn, application_id, campaign_id)
        ruleset = None
        if source.active_ruleset_id is not None:
            ruleset = store.ruleset_row(conn, campaign_id, source.active_ruleset_id)
        return [
            _copy_into(conn, caller, source, ruleset, copy, index, target)
            for index, target in enumerate(copy.application_ids)
        ]


# --- checks ----------------------------------------------------------------------------


def _settings_problems(
    conn: Connection, account_id: int, application_id: int, settings: CampaignSettings
) -> list[Problem]:
    problems = _schedule_problems(settings.start_time, settings.end_time)
    if settings.limits is not None:
        problems.extend(_duplicate_limits(settings.limits))
    _, attribute_errors = attribute_problems(
        conn, account_id, application_id, "Campaign", settings.attributes, "/attributes"
    )
    problems.extend(attribute_errors)
    return problems


def _schedule_problems(start: datetime | None, end: datetime | None) -> list[Problem]:
    if start is not None and end is not None and start > end:
        return [_bad("The campaign's startTime lies after its endTime.", "/startTime")]
    return []


def _group_problems(conn: Connection, application_id: int, group_id: int) -> list[Problem]:
    if store.group_row(conn, application_id, group_id) is None:
        return [
            _bad(
                f"Campaign evaluation group {group_id} does not exist in application "
                f"{application_id}.",
                "/evaluationGroupId",
            )
        ]
    return []


def _ruleset_problems(conn: Connection, campaign_id: int, ruleset_id: int | None) -> list[Problem]:
    if ruleset_id is not None and store.ruleset_row(conn, campaign_id, ruleset_id) is None:
        return [
            _bad(
                f"Ruleset {ruleset_id} is not a ruleset of campaign {campaign_id}.",
                "/activeRulesetId",
            )
        ]
    return []


def _refuse_unknown_targets(conn: Connection, account_id: int, targets: list[int]) -> None:
    problems = unknown_application_problems(conn, account_id, targets)
    if problems:
        raise invalid(problems)


def unknown_application_problems(
    conn: Connection, account_id: int, application_ids: list[int]
) -> list[Problem]:
    """One problem, pointing into `applicationIds`, per id the account has no application
    for."""
    known = set(store.account_application_ids(conn, account_id))
    return [
        Problem(
            title="Unknown application",
            details=f"Application {application_id} not found.",
            pointer=json_pointer("applicationIds", index),
        )
        for index, application_id in enumerate(application_ids)
        if application_id not in known
    ]


def _bad(details: str, pointer: str) -> Problem:
    return Problem(title="Invalid value", details=details, pointer=pointer)


# --- writing ---------------------------------------------------------------------------


def _copy_into(
    conn: Connection,
    caller: ManagementCaller,
    source: Row[Any],
    ruleset: Row[Any] | None,
    copy: CampaignCopy,
    index: int,
    target: int,
) -> Campaign:
    now = utcnow()
    root = store.ensure_root_group(conn, target, now)
    group_id = copy.evaluation_group_id or root
    start = copy.start_time or source.start_time
    end = copy.end_time or source.end_time
    problems = _schedule_problems(start, end)
    if copy.evaluation_group_id is not None:
        problems.extend(_group_problems(conn, target, group_id))
    _, attribute_errors = attribute_problems(
        conn, caller.account_id, target, "Campaign", source.attributes, "/attributes"
    )
    problems.extend(_in_target(attribute_errors, index, target))
    if problems:
        raise invalid(problems)
    campaign_id = conn.execute(
        tables.campaigns.insert()
        .values(
            application_id=target,
            evaluation_group_id=group_id,
            position=store.next_position(conn, group_id),
            created=now,
            updated=now,
            user_id=caller.key_id,
            name=copy.name or source.name,
            description=source.description if copy.description is None else copy.description,
            start_time=start,
            end_time=end,
            attributes=source.attributes,
            state=CampaignState.DISABLED.value,
            type=source.type,
            tags=source.tags if copy.tags is None else copy.tags,
            features=source.features,
            limits=source.limits,
            coupon_settings=source.coupon_settings,
            referral_settings=source.referral_settings,
            linked_store_ids=source.linked_store_ids,
            campaign_groups=source.campaign_groups,
            active_ruleset_id=None,
        )
        .returning(tables.campaigns.c.id)
    ).scalar_one()
    if ruleset is not None:
        _copy_ruleset(conn, caller, ruleset, index, target, campaign_id)
    _tree_changed(conn, target, now)
    return store.campaign_from_row(_campaign_row(conn, target, campaign_id))


def _copy_ruleset(
    conn: Connection,
    caller: ManagementCaller,
    ruleset: Row[Any],
    index: int,
    target: int,
    campaign_id: int,
) -> None:
    new = NewRulesetInput(
        rules=ruleset.rules,
        bindings=ruleset.bindings,
        strikethrough_rules=ruleset.strikethrough_rules,
        rb_version=ruleset.rb_version,
        activate=True,
    )
    try:
        save_ruleset(conn, caller, target, campaign_id, new)
    except BadRequest as refused:
        # The rules may use what the target application lacks (attributes, custom effects).
        raise invalid(_in_target(refused.problems, index, target)) from None


def _in_target(problems: list[Problem], index: int, target: int) -> list[Problem]:
    """Problems of the copied campaign, pointed at the application that refused it."""
    return [
        Problem(
            title=problem.title,
            details=f"In application {target}, the copied campaign's {problem.pointer}: "
            f"{problem.details}",
            pointer=json_pointer("applicationIds", index),
        )
        for problem in problems
    ]


def _columns(settings: CampaignSettings, limits: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": settings.name,
        "description": settings.description,
        "start_time": settings.start_time,
        "end_time": settings.end_time,
        "attributes": settings.attributes,
        "tags": settings.tags,
        "features": list(dict.fromkeys(settings.features)),
        "limits": limits,
        "coupon_settings": settings.coupon_settings,
        "referral_settings": settings.referral_settings,
        "linked_store_ids": settings.linked_store_ids,
        "campaign_groups": settings.campaign_groups,
    }


def _mark_activated(conn: Connection, ruleset_id: int, now: datetime) -> None:
    rulesets = tables.rulesets
    conn.execute(rulesets.update().where(rulesets.c.id == ruleset_id).values(activated_at=now))


def _tree_changed(conn: Connection, application_id: int, now: datetime) -> None:
    """A campaign joined or left the evaluation tree: a new campaign set version, a new
    revision."""
    store.bump_campaign_set(conn, application_id, now)
    store.bump_revisions(conn, [application_id])


def _campaign_row(conn: Connection, application_id: int, campaign_id: int) -> Row[Any]:
    row = store.campaign_row(conn, application_id, campaign_id)
    if row is None:
        raise NotFound(f"Campaign {campaign_id} not found in application {application_id}.")
    return row
