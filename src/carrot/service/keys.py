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
# A key counts only while its application exists.
_KEYS_OF_APPLICATIONS = tables.api_keys.join(
    tables.applications, tables.applications.c.id == _KEY.application_id
)
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
    .select_from(_KEYS_OF_APPLICATIONS)
    .where(_KEY.key_hash == sa.bindparam("key_hash"))
)


def authenticate_integration(db: Database, key: str) -> IntegrationCaller:
    return _looked_up(db, hash_key(key))[0]


def _looked_up(db: Database, key_hash: str) -> tuple[IntegrationCaller, datetime | None]:
    """The caller a key names, and when the key expires."""
    with db.lookup() as conn:
        row = _INTEGRATION_KEY.first(conn, {"key_hash": key_hash})
    if row is None or _expired(row.expires):
        raise Unauthorized(_REFUSED_KEY)
    caller = IntegrationCaller(
        account_id=row.account_id,
        application_id=row.application_id,
        key_id=row.id,
        staging=row.type == "staging",
        time_offset_ns=row.time_offset,
        sandbox=row.sandbox,
    )
    return caller, row.expires


_REFUSED_KEY = "Invalid, expired or revoked API key."

# Keys this process has seen valid, by hash: the busiest calls find their caller here and
# have it confirmed by their own write transaction (`confirm_key`) instead of looking the key
# up first (6% of a session update's CPU). Bounded: emptied when it grows past its size.
_KNOWN_KEYS: dict[str, tuple[IntegrationCaller, datetime | None]] = {}
_KNOWN_KEYS_SIZE = 4096


def known_integration_caller(db: Database, key: str) -> tuple[IntegrationCaller, str | None]:
    """The caller a key names; and, when it came from this process's memory of keys (which
    another process may have deleted since), the key's hash, for `confirm_key`."""
    key_hash = hash_key(key)
    known = _KNOWN_KEYS.get(key_hash)
    if known is not None and not _expired(known[1]):
        return known[0], key_hash
    looked_up = _looked_up(db, key_hash)
    if len(_KNOWN_KEYS) >= _KNOWN_KEYS_SIZE:
        _KNOWN_KEYS.clear()
    _KNOWN_KEYS[key_hash] = looked_up
    return looked_up[0], None


_KEY_IN_FORCE = Prepared(
    sa.select(_KEY.expires)
    .select_from(_KEYS_OF_APPLICATIONS)
    .where(
        _KEY.id == sa.bindparam("key_id"),
        _KEY.key_hash == sa.bindparam("key_hash"),
        _KEY.application_id == sa.bindparam("application_id"),
    )
)


def confirm_key(conn: sa.Connection, caller: IntegrationCaller, key_hash: str) -> None:
    """Refuse (401) a known caller whose key was deleted or has expired since; by the key's
    id, in the caller's own transaction: one cheap read."""
    row = _KEY_IN_FORCE.first(
        conn,
        {"key_id": caller.key_id, "key_hash": key_hash, "application_id": caller.application_id},
    )
    if row is None or _expired(row.expires):
        _KNOWN_KEYS.pop(key_hash, None)
        raise Unauthorized(_REFUSED_KEY)


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
