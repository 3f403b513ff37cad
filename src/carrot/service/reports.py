"""What the Management API reads of customer data: sessions, customers and events of an application."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from carrot.domain.errors import NotFound
from carrot.domain.profile import CustomerProfile, Event
from carrot.domain.session import CustomerSession, SessionState
from carrot.service.keys import ManagementCaller, load_application
from carrot.store import customers as store
from carrot.store.db import Database


@dataclass(frozen=True)
class Window:
    """A page of a listing; one row more than asked is read to tell whether more exist."""

    page_size: int
    skip: int


@dataclass(frozen=True)
class SessionFilter:
    profile: str | None = None
    state: SessionState | None = None
    integration_id: str | None = None
    store_integration_id: str | None = None
    created_before: datetime | None = None
    created_after: datetime | None = None


def list_sessions(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    where: SessionFilter,
    window: Window,
) -> list[CustomerSession]:
    columns = store.sessions.c
    conditions = []
    if where.profile is not None:
        conditions.append(columns.profile_integration_id == where.profile)
    if where.state is not None:
        conditions.append(columns.state == where.state.value)
    if where.integration_id is not None:
        conditions.append(columns.integration_id == where.integration_id)
    if where.store_integration_id is not None:
        conditions.append(columns.store_integration_id == where.store_integration_id)
    conditions += _created_between(columns.created, where.created_before, where.created_after)
    with db.read() as conn:
        _application(conn, caller, application_id)
        return store.list_sessions(
            conn, application_id, filters=conditions, limit=window.page_size + 1, offset=window.skip
        )


def get_session(
    db: Database, caller: ManagementCaller, application_id: int, session_id: int
) -> CustomerSession:
    with db.read() as conn:
        _application(conn, caller, application_id)
        session = store.session_by_id(conn, application_id, session_id)
    if session is None:
        raise NotFound(f"Session {session_id} not found in application {application_id}.")
    return session


def get_application_customer(
    db: Database, caller: ManagementCaller, application_id: int, customer_id: int
) -> CustomerProfile:
    """A profile, as long as it has been active in this application (a session or an event)."""
    with db.read() as conn:
        application = _application(conn, caller, application_id)
        profile = store.profile_by_id(conn, customer_id)
        if (
            profile is None
            or profile.account_id != caller.account_id
            or profile.sandbox != application.sandbox
            or not _seen_in(conn, application_id, customer_id)
        ):
            raise NotFound(f"Customer {customer_id} not found in application {application_id}.")
    return profile


def get_customer(db: Database, caller: ManagementCaller, customer_id: int) -> CustomerProfile:
    with db.read() as conn:
        profile = store.profile_by_id(conn, customer_id)
    if profile is None or profile.account_id != caller.account_id:
        raise NotFound(f"Customer {customer_id} not found.")
    return profile


@dataclass(frozen=True)
class EventFilter:
    type: str | None = None
    session: str | None = None
    profile: str | None = None
    created_before: datetime | None = None
    created_after: datetime | None = None


def list_events(
    db: Database, caller: ManagementCaller, application_id: int, where: EventFilter, window: Window
) -> list[Event]:
    columns = store.events.c
    conditions = []
    if where.type is not None:
        conditions.append(columns.type == where.type)
    if where.session is not None:
        conditions.append(columns.session_integration_id == where.session)
    if where.profile is not None:
        conditions.append(columns.profile_integration_id == where.profile)
    conditions += _created_between(columns.created, where.created_before, where.created_after)
    with db.read() as conn:
        _application(conn, caller, application_id)
        return store.list_events(
            conn, application_id, filters=conditions, limit=window.page_size + 1, offset=window.skip
        )


def _application(conn: sa.Connection, caller: ManagementCaller, application_id: int) -> sa.Row:  # type: ignore[type-arg]
    caller.check_application(application_id)
    return load_application(conn, caller.account_id, application_id)  # type: ignore[no-any-return]


def _seen_in(conn: sa.Connection, application_id: int, profile_id: int) -> bool:
    for table in (store.sessions, store.events):
        query = sa.select(table.c.id).where(
            table.c.application_id == application_id, table.c.profile_id == profile_id
        )
        if conn.execute(query.limit(1)).first() is not None:
            return True
    return False


def _created_between(
    column: sa.ColumnElement[datetime], before: datetime | None, after: datetime | None
) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if before is not None:
        conditions.append(column < before)
    if after is not None:
        conditions.append(column > after)
    return conditions
