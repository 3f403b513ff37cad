"""Additional costs (shipping, gift wrap, …): account-wide definitions that sessions and cart
items must name before they can carry such a cost."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from carrot.domain.errors import Conflict, NotFound, Problem, bad_request
from carrot.service.attributes import IDENTIFIER_RULE, check_subscriptions, is_identifier
from carrot.service.clock import utcnow
from carrot.service.keys import ManagementCaller
from carrot.store import tables
from carrot.store.campaigns import account_application_ids, bump_revisions
from carrot.store.db import Database


@dataclass(frozen=True)
class AdditionalCostDefinition:
    """NewAdditionalCost. `type`: session, item or both."""

    name: str
    title: str
    description: str = ""
    type: str = "session"
    subscribed_applications_ids: list[int] = field(default_factory=list)


def defined_additional_costs(
    conn: Connection, account_id: int, application_id: int
) -> dict[str, str]:
    """The additional costs the application may use, by name, each with its type: "session"
    (on the session only), "item" (on cart items only) or "both"."""
    return {row.name: row.type for row in usable_additional_costs(conn, account_id, application_id)}


def usable_additional_costs(conn: Connection, account_id: int, application_id: int) -> list[Any]:
    """The id, name and type of each additional cost the application may use. A cost
    subscribed to some applications exists only for those."""
    costs = tables.additional_costs
    rows = conn.execute(
        sa.select(
            costs.c.id, costs.c.name, costs.c.type, costs.c.subscribed_applications_ids
        ).where(costs.c.account_id == account_id)
    )
    return [
        row
        for row in rows
        if not row.subscribed_applications_ids or application_id in row.subscribed_applications_ids
    ]


def create_additional_cost(
    db: Database, caller: ManagementCaller, new: AdditionalCostDefinition
) -> Row[Any]:
    _check_name(new.name)
    costs = tables.additional_costs
    with db.write() as conn:
        check_subscriptions(conn, caller, new.subscribed_applications_ids)
        _refuse_taken_name(conn, caller.account_id, new.name)
        try:
            cost_id = conn.execute(
                costs.insert()
                .values(account_id=caller.account_id, created=utcnow(), **_columns(new))
                .returning(costs.c.id)
            ).scalar_one()
        except sa.exc.IntegrityError:
            # Another request took the name in the meantime.
            raise _taken(new.name) from None
        _bump_applications(conn, caller.account_id)
        return _load(conn, caller.account_id, cost_id)


def list_additional_costs(
    db: Database, caller: ManagementCaller, *, page_size: int, skip: int
) -> tuple[int, list[Row[Any]]]:
    costs = tables.additional_costs
    where = costs.c.account_id == caller.account_id
    with db.read() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(costs).where(where)
        ).scalar_one()
        rows = conn.execute(
            sa.select(costs).where(where).order_by(costs.c.id).limit(page_size).offset(skip)
        ).all()
    return total, list(rows)


def get_additional_cost(db: Database, caller: ManagementCaller, cost_id: int) -> Row[Any]:
    with db.read() as conn:
        return _load(conn, caller.account_id, cost_id)


def update_additional_cost(
    db: Database, caller: ManagementCaller, cost_id: int, new: AdditionalCostDefinition
) -> Row[Any]:
    """A full update. The name may change as long as no other cost has it."""
    _check_name(new.name)
    costs = tables.additional_costs
    with db.write() as conn:
        current = _load(conn, caller.account_id, cost_id)
        check_subscriptions(conn, caller, new.subscribed_applications_ids)
        if new.name != current.name:
            _refuse_taken_name(conn, caller.account_id, new.name)
        try:
            conn.execute(costs.update().where(costs.c.id == cost_id).values(**_columns(new)))
        except sa.exc.IntegrityError:
            raise _taken(new.name) from None
        _bump_applications(conn, caller.account_id)
        return _load(conn, caller.account_id, cost_id)


def _bump_applications(conn: Connection, account_id: int) -> None:
    """Every application of the account caches the costs it may use with its rules (a change
    of subscriptions adds or removes a cost for any of them), so all of them reload."""
    bump_revisions(conn, account_application_ids(conn, account_id))


def _check_name(name: str) -> None:
    if not is_identifier(name):
        raise bad_request(IDENTIFIER_RULE.format(what="An additional cost"), "/name")


def _refuse_taken_name(conn: Connection, account_id: int, name: str) -> None:
    costs = tables.additional_costs
    taken = conn.execute(
        sa.select(costs.c.id).where(costs.c.account_id == account_id, costs.c.name == name)
    ).first()
    if taken is not None:
        raise _taken(name)


def _taken(name: str) -> Conflict:
    return Conflict(
        f"An additional cost named '{name}' already exists.",
        [Problem(title="Conflict", pointer="/name")],
    )


def _load(conn: Connection, account_id: int, cost_id: int) -> Row[Any]:
    costs = tables.additional_costs
    row = conn.execute(
        sa.select(costs).where(costs.c.id == cost_id, costs.c.account_id == account_id)
    ).first()
    if row is None:
        raise NotFound(f"Additional cost {cost_id} not found.")
    return row


def _columns(new: AdditionalCostDefinition) -> dict[str, Any]:
    return {
        "name": new.name,
        "title": new.title,
        "description": new.description,
        "type": new.type,
        "subscribed_applications_ids": new.subscribed_applications_ids,
    }
