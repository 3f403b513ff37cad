"""Applications and their Integration API keys: create, read, update, delete, with every
check a management key and the account's attribute definitions impose."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from carrot.domain.errors import Conflict, Forbidden, NotFound, Problem, bad_request
from carrot.domain.money import is_currency
from carrot.service.attributes import attribute_problems, invalid
from carrot.service.clock import utcnow
from carrot.service.keys import ManagementCaller, hash_key, load_application, new_secret
from carrot.store import tables
from carrot.store.campaigns import ensure_root_group
from carrot.store.db import Database


@dataclass(frozen=True)
class ApplicationSettings:
    """Everything a marketer sets on an application (NewApplication / UpdateApplication).
    `limits` holds LimitConfig documents as they are stored and sent."""

    name: str
    timezone: str
    currency: str
    description: str = ""
    case_sensitivity: str = "sensitive"
    attributes: dict[str, Any] = field(default_factory=dict)
    limits: list[dict[str, Any]] = field(default_factory=list)
    default_discount_scope: str = "sessionTotal"
    default_discount_additional_cost_per_item_scope: str = "price"
    enable_cascading_discounts: bool = False
    enable_flattened_cart_items: bool = False
    enable_partial_discounts: bool = False
    sandbox: bool = False


@dataclass(frozen=True)
class NewApiKey:
    """CreateApplicationAPIKey: `kind` is Talon.One's `type`, "" or "staging"."""

    title: str
    expires: datetime
    platform: str = "none"
    kind: str = ""
    time_offset: int = 0


# --- applications ----------------------------------------------------------------------


# Every application has its root evaluation group (Talon.One's defaultEvaluationGroupId):
# made with the application, and by migration 0007 for the applications made before.
_DEFAULT_GROUP = (
    sa.select(tables.campaign_evaluation_groups.c.id)
    .where(
        tables.campaign_evaluation_groups.c.application_id == tables.applications.c.id,
        tables.campaign_evaluation_groups.c.parent_id.is_(None),
    )
    .scalar_subquery()
    .label("default_evaluation_group_id")
)


def _application_row(conn: sa.Connection, account_id: int, application_id: int) -> Row[Any]:
    """The application with its default evaluation group's id, or 404."""
    row: Row[Any] = load_application(conn, account_id, application_id, _DEFAULT_GROUP)
    return row


def create_application(
    db: Database, caller: ManagementCaller, settings: ApplicationSettings
) -> Row[Any]:
    if caller.allowed_application_ids is not None:
        # The new application would lie outside the key's reach the moment it exists.
        raise Forbidden("A management key limited to some applications cannot create one.")
    with db.write() as conn:
        attributes = _checked_settings(conn, caller.account_id, None, settings)
        now = utcnow()
        application_id = conn.execute(
            tables.applications.insert()
            .values(
                account_id=caller.account_id,
                created=now,
                modified=now,
                **_columns(settings, attributes),
            )
            .returning(tables.applications.c.id)
        ).scalar_one()
        ensure_root_group(conn, application_id, now)
        return _application_row(conn, caller.account_id, application_id)


def list_applications(
    db: Database, caller: ManagementCaller, *, page_size: int, skip: int
) -> tuple[int, list[Row[Any]]]:
    applications = tables.applications
    where = [applications.c.account_id == caller.account_id]
    if caller.allowed_application_ids is not None:
        where.append(applications.c.id.in_(sorted(caller.allowed_application_ids)))
    with db.read() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(applications).where(*where)
        ).scalar_one()
        rows = conn.execute(
            sa.select(applications, _DEFAULT_GROUP)
            .where(*where)
            .order_by(applications.c.id)
            .limit(page_size)
            .offset(skip)
        ).all()
    return total, list(rows)


def get_application(db: Database, caller: ManagementCaller, application_id: int) -> Row[Any]:
    caller.check_application(application_id)
    with db.read() as conn:
        return _application_row(conn, caller.account_id, application_id)


def update_application(
    db: Database, caller: ManagementCaller, application_id: int, settings: ApplicationSettings
) -> Row[Any]:
    """A full update: every setting left out returns to its default, as in Talon.One."""
    caller.check_application(application_id)
    with db.write() as conn:
        _lock_application(conn, caller.account_id, application_id)
        attributes = _checked_settings(conn, caller.account_id, application_id, settings)
        # The revision moves with the settings: every process caches them with the rules.
        conn.execute(
            tables.applications.update()
            .where(tables.applications.c.id == application_id)
            .values(
                modified=utcnow(),
                revision=tables.applications.c.revision + 1,
                **_columns(settings, attributes),
            )
        )
        return _application_row(conn, caller.account_id, application_id)


def delete_application(db: Database, caller: ManagementCaller, application_id: int) -> None:
    """Deletes the application and, through the foreign keys, everything that belongs to it:
    keys, sessions, events, returns, campaigns."""
    caller.check_application(application_id)
    with db.write() as conn:
        load_application(conn, caller.account_id, application_id)
        conn.execute(tables.applications.delete().where(tables.applications.c.id == application_id))


def _lock_application(conn: Connection, account_id: int, application_id: int) -> None:
    """Takes the application's row lock (PostgreSQL; SQLite's writer lock is already held)."""
    applications = tables.applications
    found = conn.execute(
        sa.select(applications.c.id)
        .where(applications.c.id == application_id, applications.c.account_id == account_id)
        .with_for_update()
    ).first()
    if found is None:
        raise NotFound(f"Application {application_id} not found.")


def _checked_settings(
    conn: Connection, account_id: int, application_id: int | None, settings: ApplicationSettings
) -> dict[str, Any]:
    """The application's attributes as they will be stored; a BadRequest listing every
    problem with the settings otherwise."""
    problems = []
    if settings.timezone not in _timezones():
        problems.append(
            Problem(
                title="Invalid value",
                details=f"Unknown timezone '{settings.timezone[:64]}': expected an IANA "
                "timezone such as Europe/Berlin.",
                pointer="/timezone",
            )
        )
    if not is_currency(settings.currency):
        problems.append(
            Problem(
                title="Invalid value",
                details=f"Unknown currency '{settings.currency[:16]}': expected an ISO 4217 "
                "code such as EUR.",
                pointer="/currency",
            )
        )
    problems.extend(_duplicate_limits(settings.limits))
    _, attribute_errors = attribute_problems(
        conn, account_id, application_id, "Application", settings.attributes, "/attributes"
    )
    problems.extend(attribute_errors)
    if problems:
        raise invalid(problems)
    # Stored as sent, not normalised: JSON numbers stay numbers in the document.
    return settings.attributes


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _duplicate_limits(limits: list[dict[str, Any]]) -> list[Problem]:
    seen: set[tuple[str, frozenset[str]]] = set()
    problems = []
    for index, limit in enumerate(limits):
        key = (limit["action"], frozenset(limit["entities"]))
        if key in seen:
            problems.append(
                Problem(
                    title="Invalid value",
                    details=f"A limit for action '{limit['action']}' with these entities "
                    "is already set.",
                    pointer=f"/limits/{index}",
                )
            )
        seen.add(key)
    return problems


def _columns(settings: ApplicationSettings, attributes: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": settings.name,
        "description": settings.description,
        "timezone": settings.timezone,
        "currency": settings.currency,
        "case_sensitivity": settings.case_sensitivity,
        "attributes": attributes,
        "limits": settings.limits,
        "default_discount_scope": settings.default_discount_scope,
        "default_discount_additional_cost_per_item_scope": (
            settings.default_discount_additional_cost_per_item_scope
        ),
        "enable_cascading_discounts": settings.enable_cascading_discounts,
        "enable_flattened_cart_items": settings.enable_flattened_cart_items,
        "enable_partial_discounts": settings.enable_partial_discounts,
        "sandbox": settings.sandbox,
    }


# --- Integration API keys --------------------------------------------------------------


def create_api_key(
    db: Database, caller: ManagementCaller, application_id: int, new: NewApiKey
) -> tuple[Row[Any], str]:
    """The stored key and its secret, which is never shown again."""
    caller.check_application(application_id)
    if new.expires <= utcnow():
        raise bad_request("The key's expiry date must lie in the future.", "/expires")
    api_keys = tables.api_keys
    with db.write() as conn:
        _lock_application(conn, caller.account_id, application_id)
        if new.kind == "staging":
            _refuse_second_staging_key(conn, application_id)
        secret = new_secret()
        key_id = conn.execute(
            api_keys.insert()
            .values(
                application_id=application_id,
                account_id=caller.account_id,
                title=new.title,
                key_hash=hash_key(secret),
                type=new.kind,
                platform=new.platform,
                time_offset=new.time_offset,
                expires=new.expires,
                created=utcnow(),
                created_by=caller.key_id,
            )
            .returning(api_keys.c.id)
        ).scalar_one()
        return _load_api_key(conn, application_id, key_id), secret


def _refuse_second_staging_key(conn: Connection, application_id: int) -> None:
    api_keys = tables.api_keys
    existing = conn.execute(
        sa.select(api_keys.c.id).where(
            api_keys.c.application_id == application_id, api_keys.c.type == "staging"
        )
    ).first()
    if existing is not None:
        raise Conflict(
            f"Application {application_id} already has a staging key ({existing.id}); "
            "delete it before creating another.",
            [Problem(title="Conflict", pointer="/type")],
        )


def list_api_keys(
    db: Database, caller: ManagementCaller, application_id: int, *, page_size: int, skip: int
) -> tuple[int, list[Row[Any]]]:
    caller.check_application(application_id)
    api_keys = tables.api_keys
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
        where = api_keys.c.application_id == application_id
        total = conn.execute(
            sa.select(sa.func.count()).select_from(api_keys).where(where)
        ).scalar_one()
        rows = conn.execute(
            sa.select(api_keys).where(where).order_by(api_keys.c.id).limit(page_size).offset(skip)
        ).all()
    return total, list(rows)


def get_api_key(
    db: Database, caller: ManagementCaller, application_id: int, key_id: int
) -> Row[Any]:
    caller.check_application(application_id)
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
        return _load_api_key(conn, application_id, key_id)


def delete_api_key(
    db: Database, caller: ManagementCaller, application_id: int, key_id: int
) -> None:
    """Revokes the key: its row goes, so the next request made with it is a 401."""
    caller.check_application(application_id)
    api_keys = tables.api_keys
    with db.write() as conn:
        load_application(conn, caller.account_id, application_id)
        _load_api_key(conn, application_id, key_id)
        conn.execute(api_keys.delete().where(api_keys.c.id == key_id))


def _load_api_key(conn: Connection, application_id: int, key_id: int) -> Row[Any]:
    api_keys = tables.api_keys
    row = conn.execute(
        sa.select(api_keys).where(
            api_keys.c.id == key_id, api_keys.c.application_id == application_id
        )
    ).first()
    if row is None:
        raise NotFound(f"API key {key_id} not found in application {application_id}.")
    return row
