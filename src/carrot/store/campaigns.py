"""Queries over campaigns, rulesets, evaluation groups and custom effects: the application
row lock every change takes, the revision it bumps, positions in the evaluation tree, and
the one read the engine needs (`load_evaluation_setup`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Row

from carrot.domain.campaign import (
    ActiveCampaign,
    Binding,
    Campaign,
    CampaignQuery,
    CampaignState,
    CampaignType,
    CustomEffect,
    CustomEffectParam,
    EvaluationGroup,
    EvaluationMode,
    EvaluationScope,
    EvaluationSetup,
    LimitConfig,
    Rule,
    Ruleset,
)
from carrot.domain.errors import NotFound
from carrot.store import tables
from carrot.store.prepared import Prepared

ROOT_GROUP_NAME = "default"

# --- the application row: lock and revision --------------------------------------------


def lock_application(conn: Connection, account_id: int, application_id: int) -> Row[Any]:
    """The application row, locked until the transaction ends (PostgreSQL; SQLite's writer
    lock is already held); 404 when the account has no such application."""
    applications = tables.applications
    row = conn.execute(
        sa.select(applications)
        .where(applications.c.id == application_id, applications.c.account_id == account_id)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"Application {application_id} not found.")
    return row


def bump_revisions(conn: Connection, application_ids: Iterable[int]) -> None:
    """Marks the applications' campaigns as changed, so every process reloads them. Rows
    are updated in id order, so two transactions never wait on each other in a cycle."""
    applications = tables.applications
    for application_id in sorted(set(application_ids)):
        conn.execute(
            applications.update()
            .where(applications.c.id == application_id)
            .values(revision=applications.c.revision + 1)
        )


_REVISION = Prepared(
    sa.select(tables.applications.c.revision).where(
        tables.applications.c.id == sa.bindparam("application_id")
    )
)


def current_revision(conn: Connection, application_id: int) -> int:
    """The application's revision (0 when there is no such application). Every Integration
    API call asks, so the statement is built once."""
    revision = _REVISION.scalar(conn, {"application_id": application_id})
    return int(revision or 0)


def account_application_ids(conn: Connection, account_id: int) -> list[int]:
    applications = tables.applications
    return list(
        conn.execute(
            sa.select(applications.c.id).where(applications.c.account_id == account_id)
        ).scalars()
    )


# --- the evaluation tree ---------------------------------------------------------------


def root_group_id(conn: Connection, application_id: int) -> int | None:
    groups = tables.campaign_evaluation_groups
    found = conn.execute(
        sa.select(groups.c.id).where(
            groups.c.application_id == application_id, groups.c.parent_id.is_(None)
        )
    ).scalar()
    return None if found is None else int(found)


def ensure_root_group(conn: Connection, application_id: int, now: datetime) -> int:
    """The application's root group, created (with its campaign set) on first need. The
    caller holds the application's row lock, so two requests never create two roots."""
    existing = root_group_id(conn, application_id)
    if existing is not None:
        return existing
    groups = tables.campaign_evaluation_groups
    root: int = conn.execute(
        groups.insert()
        .values(
            application_id=application_id,
            parent_id=None,
            position=0,
            created=now,
            name=ROOT_GROUP_NAME,
            description="",
            evaluation_mode=EvaluationMode.STACKABLE.value,
            evaluation_scope=EvaluationScope.SESSION.value,
            locked=False,
        )
        .returning(groups.c.id)
    ).scalar_one()
    conn.execute(
        tables.campaign_sets.insert().values(application_id=application_id, version=1, updated=now)
    )
    return root


def campaign_set_row(conn: Connection, application_id: int) -> Row[Any] | None:
    sets = tables.campaign_sets
    return conn.execute(sa.select(sets).where(sets.c.application_id == application_id)).first()


def bump_campaign_set(conn: Connection, application_id: int, now: datetime) -> None:
    """Every change to the evaluation tree makes a new version of the campaign set."""
    sets = tables.campaign_sets
    conn.execute(
        sets.update()
        .where(sets.c.application_id == application_id)
        .values(version=sets.c.version + 1, updated=now)
    )


def next_position(conn: Connection, group_id: int) -> int:
    """The position after the last campaign or subgroup of the group."""
    campaigns, groups = tables.campaigns, tables.campaign_evaluation_groups
    last_campaign = sa.select(sa.func.max(campaigns.c.position)).where(
        campaigns.c.evaluation_group_id == group_id
    )
    last_group = sa.select(sa.func.max(groups.c.position)).where(groups.c.parent_id == group_id)
    last = [
        value
        for value in conn.execute(
            sa.select(last_campaign.scalar_subquery(), last_group.scalar_subquery())
        ).one()
        if value is not None
    ]
    return max(last) + 1 if last else 0


def group_rows(conn: Connection, application_id: int) -> list[Row[Any]]:
    groups = tables.campaign_evaluation_groups
    return list(
        conn.execute(
            sa.select(groups).where(groups.c.application_id == application_id).order_by(groups.c.id)
        )
    )


def group_row(conn: Connection, application_id: int, group_id: int) -> Row[Any] | None:
    groups = tables.campaign_evaluation_groups
    return conn.execute(
        sa.select(groups).where(groups.c.id == group_id, groups.c.application_id == application_id)
    ).first()


def campaign_places(conn: Connection, application_id: int) -> list[Row[Any]]:
    """(id, evaluation_group_id, position) of every campaign of the application."""
    campaigns = tables.campaigns
    return list(
        conn.execute(
            sa.select(campaigns.c.id, campaigns.c.evaluation_group_id, campaigns.c.position)
            .where(campaigns.c.application_id == application_id)
            .order_by(campaigns.c.id)
        )
    )


def group_from_row(row: Any) -> EvaluationGroup:
    return EvaluationGroup(
        id=row.id,
        parent_id=row.parent_id,
        name=row.name,
        mode=EvaluationMode(row.evaluation_mode),
        scope=EvaluationScope(row.evaluation_scope),
        position=row.position,
        locked=row.locked,
        description=row.description,
    )


# --- campaigns -------------------------------------------------------------------------


SORTS = {
    "created": (tables.campaigns.c.created, tables.campaigns.c.id),
    "-created": (tables.campaigns.c.created.desc(), tables.campaigns.c.id.desc()),
    "name": (tables.campaigns.c.name, tables.campaigns.c.id),
    "-name": (tables.campaigns.c.name.desc(), tables.campaigns.c.id.desc()),
}


def list_campaigns(
    conn: Connection,
    application_id: int,
    query: CampaignQuery,
    now: datetime,
    *,
    sort: str,
    page_size: int,
    skip: int,
) -> tuple[int, list[Campaign]]:
    campaigns = tables.campaigns
    where = [campaigns.c.application_id == application_id]
    if query.frontend_state is not None:
        where.append(_in_frontend_state(query.frontend_state, now))
    if query.name:
        where.append(sa.func.lower(campaigns.c.name).contains(query.name.lower(), autoescape=True))
    if query.tags:
        where.append(_holds_any(conn, campaigns.c.tags, query.tags))
    if query.created_before is not None:
        where.append(campaigns.c.created < query.created_before)
    if query.created_after is not None:
        where.append(campaigns.c.created > query.created_after)
    if query.campaign_group_id is not None:
        where.append(_holds_any(conn, campaigns.c.campaign_groups, (query.campaign_group_id,)))
    if query.store_id is not None:
        where.append(_holds_any(conn, campaigns.c.linked_store_ids, (query.store_id,)))
    if query.template_id is not None:
        # carrot has no campaign templates, so no campaign was created from one.
        where.append(sa.false())
    total = conn.execute(
        sa.select(sa.func.count()).select_from(campaigns).where(*where)
    ).scalar_one()
    rows = conn.execute(
        sa.select(campaigns).where(*where).order_by(*SORTS[sort]).limit(page_size).offset(skip)
    )
    return total, [campaign_from_row(row) for row in rows]


def _in_frontend_state(state: str, now: datetime) -> sa.ColumnElement[bool]:
    campaigns = tables.campaigns
    enabled = campaigns.c.state == CampaignState.ENABLED.value
    scheduled = sa.and_(campaigns.c.start_time.is_not(None), campaigns.c.start_time > now)
    expired = sa.and_(campaigns.c.end_time.is_not(None), campaigns.c.end_time <= now)
    if state == "scheduled":
        return sa.and_(enabled, scheduled)
    if state == "expired":
        return sa.and_(enabled, sa.not_(scheduled), expired)
    if state == "running":
        return sa.and_(enabled, sa.not_(scheduled), sa.not_(expired))
    return campaigns.c.state == state


def _holds_any(
    conn: Connection, column: sa.Column[Any], values: tuple[str | int, ...]
) -> sa.ColumnElement[bool]:
    """The JSON list in `column` holds at least one of the values."""
    if conn.dialect.name == "postgresql":
        return sa.or_(
            *(column.op("@>")(sa.cast(sa.literal(json.dumps([value])), JSONB)) for value in values)
        )
    element = sa.func.json_each(column).table_valued("value")
    return sa.exists(sa.select(1).select_from(element).where(element.c.value.in_(values)))


def campaign_row(conn: Connection, application_id: int, campaign_id: int) -> Row[Any] | None:
    campaigns = tables.campaigns
    return conn.execute(
        sa.select(campaigns).where(
            campaigns.c.id == campaign_id, campaigns.c.application_id == application_id
        )
    ).first()


def campaign_from_row(row: Any) -> Campaign:
    return Campaign(
        id=row.id,
        application_id=row.application_id,
        name=row.name,
        state=CampaignState(row.state),
        type=CampaignType(row.type),
        evaluation_group_id=row.evaluation_group_id,
        position=row.position,
        created=row.created,
        updated=row.updated,
        user_id=row.user_id,
        description=row.description,
        start_time=row.start_time,
        end_time=row.end_time,
        attributes=row.attributes,
        tags=tuple(row.tags),
        features=tuple(row.features),
        limits=tuple(limit_from_document(limit) for limit in row.limits),
        linked_store_ids=tuple(row.linked_store_ids),
        campaign_groups=tuple(row.campaign_groups),
        coupon_settings=row.coupon_settings,
        referral_settings=row.referral_settings,
        active_ruleset_id=row.active_ruleset_id,
    )


def limit_from_document(document: dict[str, Any]) -> LimitConfig:
    return LimitConfig(
        action=document["action"],
        limit=_decimal(document["limit"]),
        period=document.get("period"),
        entities=tuple(document["entities"]),
    )


def _decimal(value: int | float) -> Decimal:
    # repr() is the shortest text that reads back as the same float.
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


# --- rulesets --------------------------------------------------------------------------


def ruleset_row(conn: Connection, campaign_id: int, ruleset_id: int) -> Row[Any] | None:
    rulesets = tables.rulesets
    return conn.execute(
        sa.select(rulesets).where(
            rulesets.c.id == ruleset_id, rulesets.c.campaign_id == campaign_id
        )
    ).first()


def ruleset_from_row(row: Any) -> Ruleset:
    return _ruleset(row, row.id, row.campaign_id, row.created, row.user_id)


def _ruleset(
    row: Any, ruleset_id: int, campaign_id: int, created: datetime, user_id: int
) -> Ruleset:
    return Ruleset(
        id=ruleset_id,
        campaign_id=campaign_id,
        created=created,
        user_id=user_id,
        rules=tuple(rule_from_document(rule) for rule in row.rules),
        bindings=tuple(binding_from_document(binding) for binding in row.bindings),
        strikethrough_rules=tuple(rule_from_document(rule) for rule in row.strikethrough_rules),
        rb_version=row.rb_version,
        activated_at=row.activated_at,
    )


def rule_from_document(document: dict[str, Any]) -> Rule:
    return Rule(
        title=document["title"],
        condition=document["condition"],
        effects=tuple(document["effects"]),
        failure_effects=tuple(document.get("failureEffects") or ()),
        bindings=tuple(binding_from_document(binding) for binding in document["bindings"]),
        description=document.get("description", ""),
        id=document.get("id"),
        parent_id=document.get("parentId"),
    )


def binding_from_document(document: dict[str, Any]) -> Binding:
    min_value, max_value = document.get("minValue"), document.get("maxValue")
    return Binding(
        name=document["name"],
        expression=document["expression"],
        type=document.get("type"),
        value_type=document.get("valueType"),
        min_value=None if min_value is None else _decimal(min_value),
        max_value=None if max_value is None else _decimal(max_value),
        attribute_id=document.get("attributeId"),
        description=document.get("description", ""),
    )


# --- custom effects --------------------------------------------------------------------


def custom_effect_from_row(row: Any) -> CustomEffect:
    return CustomEffect(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        title=row.title,
        payload=row.payload,
        created=row.created,
        modified=row.modified,
        created_by=row.created_by,
        modified_by=row.modified_by,
        params=tuple(param_from_document(param) for param in row.params),
        is_per_item=row.is_per_item,
        enabled=row.enabled,
        application_ids=tuple(row.application_ids),
        description=row.description,
    )


def param_from_document(document: dict[str, Any]) -> CustomEffectParam:
    return CustomEffectParam(
        type=document["type"],
        title=document["title"],
        key=document.get("key"),
        description=document.get("description", ""),
        ui=document.get("ui", {}),
        picklist_id=document.get("picklistId"),
        restricted_by_picklist=document.get("restrictedByPicklist"),
    )


# --- what the engine reads -------------------------------------------------------------


def load_evaluation_setup(conn: Connection, application_id: int) -> EvaluationSetup:
    """The application's evaluation tree, its campaigns that are not archived (disabled ones
    too: whether a campaign runs depends on the clock) each with its active ruleset, and the
    enabled custom effects that apply to it. The revision is read first: under PostgreSQL's
    read committed, later reads may see newer data than the revision says, never older, so a
    cache keyed by the revision at worst reloads once more than needed."""
    applications = tables.applications
    application = conn.execute(
        sa.select(applications.c.account_id, applications.c.revision).where(
            applications.c.id == application_id
        )
    ).first()
    if application is None:
        return EvaluationSetup(application_id, 0, (), (), ())
    groups = tuple(group_from_row(row) for row in group_rows(conn, application_id))
    return EvaluationSetup(
        application_id=application_id,
        revision=application.revision,
        groups=groups,
        campaigns=_active_campaigns(conn, application_id),
        custom_effects=tuple(
            effect
            for effect in _enabled_custom_effects(conn, application.account_id)
            if effect.applies_to(application_id)
        ),
    )


def _active_campaigns(conn: Connection, application_id: int) -> tuple[ActiveCampaign, ...]:
    campaigns, rulesets = tables.campaigns, tables.rulesets
    ruleset_columns = [
        rulesets.c.id.label("ruleset_id"),
        rulesets.c.created.label("ruleset_created"),
        rulesets.c.user_id.label("ruleset_user_id"),
        rulesets.c.rules,
        rulesets.c.bindings,
        rulesets.c.strikethrough_rules,
        rulesets.c.rb_version,
        rulesets.c.activated_at,
    ]
    rows = conn.execute(
        sa.select(campaigns, *ruleset_columns)
        .outerjoin(
            rulesets,
            sa.and_(
                rulesets.c.id == campaigns.c.active_ruleset_id,
                rulesets.c.campaign_id == campaigns.c.id,
            ),
        )
        .where(
            campaigns.c.application_id == application_id,
            campaigns.c.state != CampaignState.ARCHIVED.value,
        )
        .order_by(campaigns.c.evaluation_group_id, campaigns.c.position, campaigns.c.id)
    )
    return tuple(
        ActiveCampaign(campaign=campaign_from_row(row), ruleset=_joined_ruleset(row))
        for row in rows
    )


def _joined_ruleset(row: Any) -> Ruleset | None:
    if row.ruleset_id is None:
        return None
    return _ruleset(row, row.ruleset_id, row.id, row.ruleset_created, row.ruleset_user_id)


def _enabled_custom_effects(conn: Connection, account_id: int) -> list[CustomEffect]:
    effects = tables.custom_effects
    rows = conn.execute(
        sa.select(effects)
        .where(effects.c.account_id == account_id, effects.c.enabled.is_(True))
        .order_by(effects.c.id)
    )
    return [custom_effect_from_row(row) for row in rows]
