"""Custom effects: account-wide effect definitions whose JSON payload template rules fill in.
Every change bumps the revision of each application the effect applies (or applied) to."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from carrot.domain.campaign import CustomEffect
from carrot.domain.errors import Conflict, Forbidden, NotFound, Problem
from carrot.service.attributes import invalid, json_pointer
from carrot.service.campaigns import unknown_application_problems
from carrot.service.clock import utcnow
from carrot.service.keys import ManagementCaller
from carrot.store import campaigns as store
from carrot.store import tables
from carrot.store.db import Database

# `${$name}` in a payload stands for the value of the param called `name`.
PLACEHOLDER = re.compile(r"\$\{\$([^}]*)\}")


@dataclass(frozen=True)
class CustomEffectSettings:
    """NewCustomEffect. `params` holds TemplateArgDef documents as stored and sent;
    `application_ids` empty means every application of the account."""

    application_ids: list[int]
    name: str
    title: str
    payload: str
    is_per_item: bool = False
    description: str = ""
    enabled: bool = True
    params: list[dict[str, Any]] = field(default_factory=list)


def create_custom_effect(
    db: Database, caller: ManagementCaller, settings: CustomEffectSettings
) -> CustomEffect:
    _check_reach(caller, settings.application_ids)
    problems = _definition_problems(settings)
    effects = tables.custom_effects
    with db.write() as conn:
        problems.extend(
            unknown_application_problems(conn, caller.account_id, settings.application_ids)
        )
        if problems:
            raise invalid(problems)
        _refuse_taken(conn, caller.account_id, settings.name, effect_id=None)
        now = utcnow()
        try:
            effect_id = conn.execute(
                effects.insert()
                .values(
                    account_id=caller.account_id,
                    created=now,
                    modified=now,
                    created_by=caller.key_id,
                    **_columns(settings),
                )
                .returning(effects.c.id)
            ).scalar_one()
        except sa.exc.IntegrityError:
            # Another request took the name in the meantime.
            raise _taken(settings.name) from None
        _bump_applications(conn, caller.account_id, settings.application_ids)
        return _load(conn, caller.account_id, effect_id)


def list_custom_effects(
    db: Database, caller: ManagementCaller, *, page_size: int, skip: int
) -> tuple[int, list[CustomEffect]]:
    effects = tables.custom_effects
    where = effects.c.account_id == caller.account_id
    with db.read() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(effects).where(where)
        ).scalar_one()
        rows = conn.execute(
            sa.select(effects).where(where).order_by(effects.c.id).limit(page_size).offset(skip)
        )
        return total, [store.custom_effect_from_row(row) for row in rows]


def get_custom_effect(db: Database, caller: ManagementCaller, effect_id: int) -> CustomEffect:
    with db.read() as conn:
        return _load(conn, caller.account_id, effect_id)


def update_custom_effect(
    db: Database, caller: ManagementCaller, effect_id: int, settings: CustomEffectSettings
) -> CustomEffect:
    """A full update: every field left out returns to its default."""
    _check_reach(caller, settings.application_ids)
    problems = _definition_problems(settings)
    effects = tables.custom_effects
    with db.write() as conn:
        current = _load(conn, caller.account_id, effect_id)
        _check_reach(caller, list(current.application_ids))
        problems.extend(
            unknown_application_problems(conn, caller.account_id, settings.application_ids)
        )
        if problems:
            raise invalid(problems)
        _refuse_taken(conn, caller.account_id, settings.name, effect_id=effect_id)
        try:
            conn.execute(
                effects.update()
                .where(effects.c.id == effect_id)
                .values(modified=utcnow(), modified_by=caller.key_id, **_columns(settings))
            )
        except sa.exc.IntegrityError:
            raise _taken(settings.name) from None
        before, after = list(current.application_ids), settings.application_ids
        _bump_applications(conn, caller.account_id, [*before, *after] if before and after else [])
        return _load(conn, caller.account_id, effect_id)


def delete_custom_effect(db: Database, caller: ManagementCaller, effect_id: int) -> None:
    effects = tables.custom_effects
    with db.write() as conn:
        current = _load(conn, caller.account_id, effect_id)
        _check_reach(caller, list(current.application_ids))
        conn.execute(effects.delete().where(effects.c.id == effect_id))
        _bump_applications(conn, caller.account_id, list(current.application_ids))


# --- checks ----------------------------------------------------------------------------


def _check_reach(caller: ManagementCaller, application_ids: list[int]) -> None:
    """A key limited to some applications may only touch effects limited to those."""
    if caller.allowed_application_ids is None:
        return
    if not application_ids:
        raise Forbidden(
            "A management key limited to some applications cannot touch a custom effect "
            "that applies to every application."
        )
    for application_id in application_ids:
        caller.check_application(application_id)


def _definition_problems(settings: CustomEffectSettings) -> list[Problem]:
    problems = []
    names: set[str] = set()
    for index, param in enumerate(settings.params):
        key = "key" if param.get("key") else "title"
        name = param[key]
        if name in names:
            problems.append(
                _bad(
                    f"Two params are called '{name}'.",
                    json_pointer("params", index, key),
                )
            )
        names.add(name)
    problems.extend(_payload_problems(settings.payload, names))
    return problems


def _payload_problems(payload: str, names: set[str]) -> list[Problem]:
    undeclared = sorted({name for name in PLACEHOLDER.findall(payload) if name not in names})
    problems = [
        _bad(
            f"The payload uses ${{${name}}}, but no param is called '{name}' "
            "(a param is called by its key, or by its title when it has no key).",
            "/payload",
        )
        for name in undeclared
    ]
    try:
        json.loads(PLACEHOLDER.sub("0", payload))
    except ValueError:
        problems.append(
            _bad(
                "The payload is not JSON, even with every ${$name} placeholder filled in.",
                "/payload",
            )
        )
    return problems


def _refuse_taken(conn: Connection, account_id: int, name: str, *, effect_id: int | None) -> None:
    effects = tables.custom_effects
    where = [effects.c.account_id == account_id, effects.c.name == name]
    if effect_id is not None:
        where.append(effects.c.id != effect_id)
    if conn.execute(sa.select(effects.c.id).where(*where).limit(1)).first() is not None:
        raise _taken(name)


def _taken(name: str) -> Conflict:
    return Conflict(
        f"A custom effect named '{name}' already exists.",
        [Problem(title="Conflict", pointer="/name")],
    )


def _bad(details: str, pointer: str) -> Problem:
    return Problem(title="Invalid value", details=details, pointer=pointer)


# --- storing ---------------------------------------------------------------------------


def _bump_applications(conn: Connection, account_id: int, application_ids: list[int]) -> None:
    """Bumps the revision of each application named, or of every application of the
    account when none is named (an effect for every application)."""
    if not application_ids:
        application_ids = store.account_application_ids(conn, account_id)
    store.bump_revisions(conn, application_ids)


def _columns(settings: CustomEffectSettings) -> dict[str, Any]:
    return {
        "application_ids": settings.application_ids,
        "is_per_item": settings.is_per_item,
        "name": settings.name,
        "title": settings.title,
        "payload": settings.payload,
        "description": settings.description,
        "enabled": settings.enabled,
        "params": settings.params,
    }


def _load(conn: Connection, account_id: int, effect_id: int) -> CustomEffect:
    effects = tables.custom_effects
    row = conn.execute(
        sa.select(effects).where(effects.c.id == effect_id, effects.c.account_id == account_id)
    ).first()
    if row is None:
        raise NotFound(f"Custom effect {effect_id} not found.")
    return store.custom_effect_from_row(row)
