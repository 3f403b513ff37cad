"""API keys: minted once, shown once, stored as hashes, checked on every request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from carrot.domain.errors import Forbidden, NotFound, Unauthorized
from carrot.service.clock import utcnow
from carrot.store import tables
from carrot.store.db import Database
from carrot.store.prepared import Prepared

DEFAULT_ACCOUNT_ID = 1


def new_secret() -> str:
    return secrets.token_hex(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def ensure_default_account(db: Database) -> int:
    """carrot serves one account per installation; it is created on first use."""
    with db.write() as conn:
        exists = conn.execute(
            sa.select(tables.accounts.c.id).where(tables.accounts.c.id == DEFAULT_ACCOUNT_ID)
        ).first()
        if exists is None:
            conn.execute(
                tables.accounts.insert().values(
                    id=DEFAULT_ACCOUNT_ID, name="default", created=utcnow()
                )
            )
    return DEFAULT_ACCOUNT_ID


def create_management_key(
    db: Database,
    name: str,
    *,
    allowed_application_ids: list[int] | None = None,
    expires: datetime | None = None,
) -> str:
    account_id = ensure_default_account(db)
    key = new_secret()
    with db.write() as conn:
        conn.execute(
            tables.management_keys.insert().values(
                account_id=account_id,
                name=name,
                key_hash=hash_key(key),
                allowed_application_ids=allowed_application_ids,
                created=utcnow(),
                expires=expires,
            )
        )
    return key


@dataclass(frozen=True)
class ManagementCaller:
    """Who is calling the Management API, and which applications it may touch."""

    account_id: int
    key_id: int
    allowed_application_ids: frozenset[int] | None

    def may_touch(self, application_id: int) -> bool:
        return (
            self.allowed_application_ids is None or application_id in self.allowed_application_ids
        )

    def check_application(self, application_id: int) -> None:
        if not self.may_touch(application_id):
            raise Forbidden(f"This management key may not access application {application_id}.")


@dataclass(frozen=True)
class IntegrationCaller:
    """Who is calling the Integration API: the key fixes the application."""

    account_id: int
    application_id: int
    key_id: int
    staging: bool
    time_offset_ns: int
    sandbox: bool


def authenticate_management(db: Database, key: str) -> ManagementCaller:
    with db.read() as conn:
        row = conn.execute(
            sa.select(tables.management_keys).where(
                tables.management_keys.c.key_hash == hash_key(key)
            )
        ).first()
    if row is None or _expired(row.expires):
        raise Unauthorized("Invalid, expired or revoked management key.")
    allowed = row.allowed_application_ids
    return ManagementCaller(
        account_id=row.account_id,
        key_id=row.id,
        allowed_application_ids=None if allowed is None else frozenset(allowed),
    )


# Built once: every Integration API call runs it, and building it costs more than running it.
_KEY = tables.api_keys.c
_INTEGRATION_KEY = Prepared(
    sa.select(
        _KEY.id,
        _KEY.account_id,
        _KEY.application_id,
        _KEY.type,
        _KEY.time_offset,
        _KEY.expires,
        tables.applications.c.sandbox,
    )
    .join(tables.applications, tables.applications.c.id == tables.api_keys.c.application_id)
    .where(tables.api_keys.c.key_hash == sa.bindparam("key_hash"))
)


def authenticate_integration(db: Database, key: str) -> IntegrationCaller:
    with db.lookup() as conn:
        row = _INTEGRATION_KEY.first(conn, {"key_hash": hash_key(key)})
    if row is None or _expired(row.expires):
        raise Unauthorized("Invalid, expired or revoked API key.")
    return IntegrationCaller(
        account_id=row.account_id,
        application_id=row.application_id,
        key_id=row.id,
        staging=row.type == "staging",
        time_offset_ns=row.time_offset,
        sandbox=row.sandbox,
    )


def _expired(expires: datetime | None) -> bool:
    return expires is not None and expires <= utcnow()


def load_application(
    conn: sa.Connection, account_id: int, application_id: int, *extra: sa.ColumnElement[Any]
) -> Any:
    """The application row (with the `extra` columns), or 404 when it does not exist in this
    account."""
    row = conn.execute(
        sa.select(tables.applications, *extra).where(
            tables.applications.c.id == application_id,
            tables.applications.c.account_id == account_id,
        )
    ).first()
    if row is None:
        raise NotFound(f"Application {application_id} not found.")
    return row
