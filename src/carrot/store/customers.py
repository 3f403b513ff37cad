"""Queries for customer data: profiles, sessions, events and returns, with the row locks that
serialise changes to one session or one profile (ignored on SQLite, where BEGIN IMMEDIATE
already serialises every writer)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from carrot.domain.profile import CustomerProfile, Event
from carrot.domain.session import CartItem, CustomerSession, SessionState
from carrot.store import tables
from carrot.store.prepared import Prepared

profiles = tables.customer_profiles
sessions = tables.customer_sessions
events = tables.events
returns = tables.returns


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


# The statements every session update runs are built once: SQLAlchemy spends several times
# longer building a statement (and its cache key) than SQLite spends running it, and they run
# through the driver on SQLite (store.prepared).

_PROFILE_BY_KEY = sa.select(profiles).where(
    profiles.c.account_id == sa.bindparam("account_id"),
    profiles.c.sandbox == sa.bindparam("sandbox"),
    profiles.c.integration_id == sa.bindparam("integration_id"),
)
_FIND_PROFILE = Prepared(_PROFILE_BY_KEY)
_LOCK_PROFILE = Prepared(_PROFILE_BY_KEY.with_for_update())
_PROFILE_COLUMNS = ("updated", "attributes", "closed_sessions", "total_sales", "last_activity")
_SAVE_PROFILE = Prepared(
    profiles.update().where(profiles.c.id == sa.bindparam("profile_id")), _PROFILE_COLUMNS
)
_SESSION_BY_KEY = sa.select(sessions).where(
    sessions.c.application_id == sa.bindparam("application_id"),
    sessions.c.integration_id == sa.bindparam("integration_id"),
)
_FIND_SESSION = Prepared(_SESSION_BY_KEY)
_LOCK_SESSION = Prepared(_SESSION_BY_KEY.with_for_update())
# What _session_values gives: the columns an update of a session sets.
_SESSION_COLUMNS = (
    "profile_id", "profile_integration_id", "store_integration_id", "state", "coupon_codes",
    "referral_code", "loyalty_cards", "cart_items", "additional_costs", "identifiers",
    "attributes", "first_session", "update_count", "total", "cart_item_total",
    "additional_cost_total", "updated", "closed_at", "cancelled_at", "effects",
)  # fmt: skip
_NEW_SESSION_COLUMNS = ("application_id", "integration_id", "created", *_SESSION_COLUMNS)
_INSERT_SESSION = {
    "postgresql": Prepared(
        postgresql.insert(sessions).on_conflict_do_nothing().returning(sessions.c.id)
    ),
    "sqlite": Prepared(
        sqlite.insert(sessions).on_conflict_do_nothing().returning(sessions.c.id),
        _NEW_SESSION_COLUMNS,
    ),
}
_SAVE_SESSION = Prepared(
    sessions.update().where(sessions.c.id == sa.bindparam("session_id")), _SESSION_COLUMNS
)
_PROFILE_SESSION = (
    sa.select(sessions.c.id)
    .where(
        sessions.c.application_id == sa.bindparam("application_id"),
        sessions.c.profile_id == sa.bindparam("profile_id"),
    )
    .limit(1)
)
_ANY_PROFILE_SESSION = Prepared(_PROFILE_SESSION)
_EARLIER_PROFILE_SESSION = Prepared(
    _PROFILE_SESSION.where(sessions.c.id < sa.bindparam("session_id"))
)
_EVENT_COLUMNS = (
    "application_id", "profile_id", "session_id", "profile_integration_id",
    "session_integration_id", "store_integration_id", "type", "attributes", "effects", "meta",
    "created",
)  # fmt: skip
_INSERT_EVENT = Prepared(events.insert().returning(events.c.id), _EVENT_COLUMNS)


# Profiles ----------------------------------------------------------------------------------


def profile_from_row(row: Any) -> CustomerProfile:
    return CustomerProfile(
        id=row.id,
        account_id=row.account_id,
        integration_id=row.integration_id,
        sandbox=row.sandbox,
        created=row.created,
        updated=row.updated,
        attributes=dict(row.attributes),
        closed_sessions=row.closed_sessions,
        total_sales=row.total_sales,
        last_activity=row.last_activity,
    )


def find_profile(
    conn: sa.Connection, account_id: int, sandbox: bool, integration_id: str, *, lock: bool = False
) -> CustomerProfile | None:
    query = _LOCK_PROFILE if lock else _FIND_PROFILE
    key = {"account_id": account_id, "sandbox": sandbox, "integration_id": integration_id}
    row = query.first(conn, key)
    return None if row is None else profile_from_row(row)


def profile_by_id(conn: sa.Connection, profile_id: int) -> CustomerProfile | None:
    row = conn.execute(sa.select(profiles).where(profiles.c.id == profile_id)).first()
    return None if row is None else profile_from_row(row)


def lock_or_create_profile(
    conn: sa.Connection, account_id: int, sandbox: bool, integration_id: str, now: datetime
) -> tuple[CustomerProfile, bool]:
    """The profile, locked for this transaction; created (empty) when it did not exist, and
    whether it was. Parallel first calls naming the same new profile create exactly one."""
    existing = find_profile(conn, account_id, sandbox, integration_id, lock=True)
    if existing is not None:
        return existing, False
    inserted = conn.execute(
        _insert(conn, profiles)
        .values(
            account_id=account_id,
            sandbox=sandbox,
            integration_id=integration_id,
            created=now,
            updated=now,
            attributes={},
            closed_sessions=0,
            total_sales=Decimal(0),
        )
        .on_conflict_do_nothing()
        .returning(*profiles.c)
    ).first()
    if inserted is not None:
        # Ours alone until we commit: other transactions wait for it or cannot see it.
        return profile_from_row(inserted), True
    profile = find_profile(conn, account_id, sandbox, integration_id, lock=True)
    assert profile is not None
    return profile, False


def save_profile(conn: sa.Connection, profile: CustomerProfile) -> None:
    _SAVE_PROFILE.run(
        conn,
        {
            "profile_id": profile.id,
            "attributes": profile.attributes,
            "closed_sessions": profile.closed_sessions,
            "total_sales": profile.total_sales,
            "last_activity": profile.last_activity,
            "updated": profile.updated,
        },
    )


# Sessions ----------------------------------------------------------------------------------


def _item_to_json(item: CartItem) -> dict[str, Any]:
    return {
        "sku": item.sku,
        "quantity": item.quantity,
        "price": str(item.price),
        "name": item.name,
        "category": item.category,
        "product": item.product,
        "weight": _opt_str(item.weight),
        "height": _opt_str(item.height),
        "width": _opt_str(item.width),
        "length": _opt_str(item.length),
        "attributes": item.attributes,
        "additionalCosts": {name: str(price) for name, price in item.additional_costs.items()},
        "returnedQuantity": item.returned_quantity,
    }


def _item_from_json(data: dict[str, Any]) -> CartItem:
    return CartItem(
        sku=data["sku"],
        quantity=data["quantity"],
        price=Decimal(data["price"]),
        name=data.get("name") or "",
        category=data.get("category"),
        product=data.get("product"),
        weight=_opt_decimal(data.get("weight")),
        height=_opt_decimal(data.get("height")),
        width=_opt_decimal(data.get("width")),
        length=_opt_decimal(data.get("length")),
        attributes=data.get("attributes") or {},
        additional_costs={
            name: Decimal(price) for name, price in (data.get("additionalCosts") or {}).items()
        },
        returned_quantity=data.get("returnedQuantity", 0),
    )


def _opt_str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _opt_decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def session_from_row(row: Any) -> CustomerSession:
    return CustomerSession(
        id=row.id,
        application_id=row.application_id,
        integration_id=row.integration_id,
        profile_integration_id=row.profile_integration_id,
        profile_id=row.profile_id,
        state=SessionState(row.state),
        created=row.created,
        updated=row.updated,
        store_integration_id=row.store_integration_id,
        coupon_codes=list(row.coupon_codes),
        referral_code=row.referral_code,
        loyalty_cards=list(row.loyalty_cards),
        cart_items=[_item_from_json(item) for item in row.cart_items],
        additional_costs={name: Decimal(price) for name, price in row.additional_costs.items()},
        identifiers=list(row.identifiers),
        attributes=dict(row.attributes),
        first_session=row.first_session,
        update_count=row.update_count,
        closed_at=row.closed_at,
        cancelled_at=row.cancelled_at,
        effects=list(row.effects),
    )


def _session_values(session: CustomerSession) -> dict[str, Any]:
    # Each total walks the cart: work both out once (session.total is their sum).
    cart_item_total, additional_cost_total = session.cart_item_total, session.additional_cost_total
    return {
        "profile_id": session.profile_id,
        "profile_integration_id": session.profile_integration_id,
        "store_integration_id": session.store_integration_id,
        "state": session.state.value,
        "coupon_codes": session.coupon_codes,
        "referral_code": session.referral_code,
        "loyalty_cards": session.loyalty_cards,
        "cart_items": [_item_to_json(item) for item in session.cart_items],
        "additional_costs": {name: str(price) for name, price in session.additional_costs.items()},
        "identifiers": session.identifiers,
        "attributes": session.attributes,
        "first_session": session.first_session,
        "update_count": session.update_count,
        "total": cart_item_total + additional_cost_total,
        "cart_item_total": cart_item_total,
        "additional_cost_total": additional_cost_total,
        "updated": session.updated,
        "closed_at": session.closed_at,
        "cancelled_at": session.cancelled_at,
        "effects": session.effects,
    }


def lock_session_key(conn: sa.Connection, application_id: int, integration_id: str) -> None:
    """Serialise every change of one session, its creation included, before any other lock is
    taken. Without it, two first calls naming the same new session could each hold what the
    other waits for (one the new profile, the other the session row). PostgreSQL only: SQLite's
    BEGIN IMMEDIATE already serialises all writers."""
    if conn.dialect.name != "postgresql":
        return
    conn.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"session:{application_id}:{integration_id}"},
    )


def find_session(
    conn: sa.Connection, application_id: int, integration_id: str, *, lock: bool = False
) -> CustomerSession | None:
    query = _LOCK_SESSION if lock else _FIND_SESSION
    key = {"application_id": application_id, "integration_id": integration_id}
    row = query.first(conn, key)
    return None if row is None else session_from_row(row)


def session_by_id(
    conn: sa.Connection, application_id: int, session_id: int
) -> CustomerSession | None:
    row = conn.execute(
        sa.select(sessions).where(
            sessions.c.application_id == application_id, sessions.c.id == session_id
        )
    ).first()
    return None if row is None else session_from_row(row)


def insert_session(conn: sa.Connection, session: CustomerSession) -> int | None:
    """Insert a new session; None when a parallel call created it first."""
    row = _INSERT_SESSION[conn.dialect.name].first(
        conn,
        {
            "application_id": session.application_id,
            "integration_id": session.integration_id,
            "created": session.created,
            **_session_values(session),
        },
    )
    return None if row is None else int(row.id)


def save_session(conn: sa.Connection, session: CustomerSession) -> None:
    _SAVE_SESSION.run(conn, {"session_id": session.id, **_session_values(session)})


def has_earlier_session(
    conn: sa.Connection, application_id: int, profile_id: int, session_id: int | None
) -> bool:
    key = {"application_id": application_id, "profile_id": profile_id}
    if session_id is None:
        return _ANY_PROFILE_SESSION.first(conn, key) is not None
    return _EARLIER_PROFILE_SESSION.first(conn, {**key, "session_id": session_id}) is not None


def list_sessions(
    conn: sa.Connection,
    application_id: int,
    *,
    filters: list[Any],
    limit: int,
    offset: int,
) -> list[CustomerSession]:
    query = (
        sa.select(sessions)
        .where(sessions.c.application_id == application_id, *filters)
        .order_by(sessions.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [session_from_row(row) for row in conn.execute(query)]


# Events ------------------------------------------------------------------------------------


def event_from_row(row: Any) -> Event:
    return Event(
        id=row.id,
        application_id=row.application_id,
        type=row.type,
        created=row.created,
        profile_integration_id=row.profile_integration_id,
        session_integration_id=row.session_integration_id,
        store_integration_id=row.store_integration_id,
        attributes=dict(row.attributes),
        effects=list(row.effects),
        meta=dict(row.meta),
        profile_id=row.profile_id,
        session_id=row.session_id,
    )


def insert_event(conn: sa.Connection, event: Event) -> Event:
    row = _INSERT_EVENT.first(
        conn,
        {
            "application_id": event.application_id,
            "profile_id": event.profile_id,
            "session_id": event.session_id,
            "profile_integration_id": event.profile_integration_id,
            "session_integration_id": event.session_integration_id,
            "store_integration_id": event.store_integration_id,
            "type": event.type,
            "attributes": event.attributes,
            "effects": event.effects,
            "meta": event.meta,
            "created": event.created,
        },
    )
    assert row is not None, "an INSERT … RETURNING gives its row"
    return Event(**{**event.__dict__, "id": int(row.id)})


def latest_session_event(conn: sa.Connection, session_id: int) -> Event | None:
    row = conn.execute(
        sa.select(events)
        .where(events.c.session_id == session_id)
        .order_by(events.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else event_from_row(row)


def list_events(
    conn: sa.Connection, application_id: int, *, filters: list[Any], limit: int, offset: int
) -> list[Event]:
    query = (
        sa.select(events)
        .where(events.c.application_id == application_id, *filters)
        .order_by(events.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [event_from_row(row) for row in conn.execute(query)]


# Returns -----------------------------------------------------------------------------------


def insert_return(conn: sa.Connection, values: dict[str, Any]) -> Any:
    return conn.execute(returns.insert().values(**values).returning(*returns.c)).one()


def find_return_by_key(conn: sa.Connection, session_id: int, key: str) -> Any:
    return conn.execute(
        sa.select(returns).where(
            returns.c.session_id == session_id, returns.c.idempotency_key == key
        )
    ).first()


def session_returns(conn: sa.Connection, session_id: int) -> list[Any]:
    return list(
        conn.execute(
            sa.select(returns).where(returns.c.session_id == session_id).order_by(returns.c.id)
        )
    )


# Deleting a customer -----------------------------------------------------------------------


def delete_profile_everywhere(conn: sa.Connection, profile_id: int) -> None:
    """Remove the profile with every session, event and return that names it."""
    session_ids = sa.select(sessions.c.id).where(sessions.c.profile_id == profile_id)
    conn.execute(returns.delete().where(returns.c.session_id.in_(session_ids)))
    conn.execute(returns.delete().where(returns.c.profile_id == profile_id))
    conn.execute(events.delete().where(events.c.session_id.in_(session_ids)))
    conn.execute(events.delete().where(events.c.profile_id == profile_id))
    conn.execute(sessions.delete().where(sessions.c.profile_id == profile_id))
    _delete_reservations(conn, profile_id)
    conn.execute(profiles.delete().where(profiles.c.id == profile_id))


def _delete_reservations(conn: sa.Connection, profile_id: int) -> None:
    """The profile's coupon reservations in the applications of its environment, each
    coupon's reservationCounter counting one less."""
    profile = conn.execute(sa.select(profiles).where(profiles.c.id == profile_id)).one()
    apps, reservations, coupons = (
        tables.applications,
        tables.coupon_reservations,
        tables.coupons,
    )
    held = sa.and_(
        reservations.c.application_id.in_(
            sa.select(apps.c.id).where(
                apps.c.account_id == profile.account_id, apps.c.sandbox == profile.sandbox
            )
        ),
        reservations.c.profile_integration_id == profile.integration_id,
    )
    coupon_ids = list(conn.execute(sa.select(reservations.c.coupon_id).where(held)).scalars())
    if not coupon_ids:
        return
    conn.execute(
        coupons.update()
        .where(coupons.c.id.in_(coupon_ids), coupons.c.reservation_counter > 0)
        .values(reservation_counter=coupons.c.reservation_counter - 1)
    )
    conn.execute(reservations.delete().where(held))


def lock_profile_sessions(conn: sa.Connection, profile_id: int) -> None:
    conn.execute(
        sa.select(sessions.c.id).where(sessions.c.profile_id == profile_id).with_for_update()
    ).all()
