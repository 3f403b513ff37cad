"""One database handle per process: the engine, transactions, and migrations on start."""

from __future__ import annotations

import fcntl
import functools
import json
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection, Engine

from carrot.domain.errors import Conflict

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x636172726F74  # "carrot"

# PostgreSQL's "deadlock detected" and "could not serialize": the transaction was rolled back
# whole, so running it again from the start is safe.
DEADLOCK = "40P01"
RETRYABLE_STATES = frozenset({DEADLOCK, "40001"})
WRITE_ATTEMPTS = 5

P = ParamSpec("P")
T = TypeVar("T")


def sqlstate(error: sa.exc.DBAPIError) -> str | None:
    """The SQLSTATE PostgreSQL gave a failed statement (None on SQLite)."""
    state: str | None = getattr(error.orig, "sqlstate", None)
    return state


def retried(call: Callable[P, T]) -> Callable[P, T]:
    """Run a use case again when PostgreSQL rolled its transaction back to break a deadlock
    (`call` must open its own transaction, so each attempt starts from nothing). Counters are
    taken in one order, but a close that lost a race, a give-back and a row created on demand
    can still meet in a circle under heavy contention; the database then picks a victim, and
    the victim starts over instead of answering 500. After WRITE_ATTEMPTS victims in a row it
    answers 409, having stored nothing."""

    @functools.wraps(call)
    def attempt(*args: P.args, **kwargs: P.kwargs) -> T:
        for number in range(WRITE_ATTEMPTS):
            try:
                return call(*args, **kwargs)
            except sa.exc.OperationalError as error:
                if sqlstate(error) not in RETRYABLE_STATES:
                    raise
                # Both victims waking at once would meet again: wait a little, at random.
                time.sleep(random.uniform(0, 0.01 * 2**number))
        raise Conflict(
            "The database rolled this call back to break deadlocks with other calls at the "
            "same time, again and again; nothing was stored. Send the call again."
        )

    return attempt


def _json_default(value: object) -> Any:
    # Attribute values arrive as Decimals; JSON keeps them as numbers. (Money that must stay
    # exact, like cart prices, is stored as text by the queries that store it.)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps(value: object) -> str:
    """JSON for a JSON column. orjson writes the large documents of the busiest calls (a
    session's cart and effects, an event's effects) about ten times faster than `json`; what
    orjson refuses and `json` takes (an integer of more than 64 bits) goes to `json`."""
    try:
        return orjson.dumps(value, default=_json_default, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, default=_json_default, separators=(",", ":"))


# A check the next write transaction of this context runs first (Database.checking_first_write).
_FIRST_WRITE_CHECK: ContextVar[Callable[[Connection], None] | None] = ContextVar(
    "carrot_first_write_check", default=None
)


class Database:
    """Owns the engine. `write()` serialises writers (BEGIN IMMEDIATE on SQLite, row locks
    taken by the queries on PostgreSQL); `read()` is a plain snapshot."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = self._create_engine(url, pool_size)

    def _create_engine(self, url: str, pool_size: int) -> Engine:
        if self.is_sqlite:
            # A database file gets as many pooled connections as PostgreSQL does: with
            # SQLAlchemy's default of 5, busy servers opened (and configured, and closed) an
            # overflow connection on most requests, which cost more CPU than the request's own
            # queries. An in-memory database keeps SQLAlchemy's one connection per thread.
            on_file = _sqlite_file(url) is not None
            pool = {"pool_size": pool_size, "max_overflow": pool_size} if on_file else {}
            engine = sa.create_engine(
                url,
                json_serializer=_dumps,
                json_deserializer=orjson.loads,
                connect_args={"check_same_thread": False, "timeout": 30},
                **pool,
            )
            sa.event.listen(engine, "connect", _configure_sqlite_connection)
            sa.event.listen(engine, "begin", _begin_sqlite_transaction)
            return engine
        return sa.create_engine(
            url,
            json_serializer=_dumps,
            json_deserializer=orjson.loads,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
        )

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            check = _FIRST_WRITE_CHECK.get()
            if check is not None:
                _FIRST_WRITE_CHECK.set(None)
                check(conn)
            yield conn

    @contextmanager
    def checking_first_write(
        self, check: Callable[[Connection], None]
    ) -> Iterator[Callable[[], bool]]:
        """Within the block, the first write transaction runs `check` before anything else:
        what `check` raises leaves that transaction, and so the call, having changed nothing.
        Yields whether the check is still to run (the block made no write)."""
        token = _FIRST_WRITE_CHECK.set(check)
        try:
            yield lambda: _FIRST_WRITE_CHECK.get() is check
        finally:
            _FIRST_WRITE_CHECK.reset(token)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        conn = self.engine.connect().execution_options(carrot_read_only=True)
        with conn, conn.begin():
            yield conn

    @contextmanager
    def lookup(self) -> Iterator[Connection]:
        """A connection for one read-only `Prepared` statement. On SQLite the statement is its
        own transaction: BEGIN and COMMIT around it would only add two trips through
        SQLAlchemy (every Integration API call looks its key up). Elsewhere it is `read()`."""
        if not self.is_sqlite:
            with self.read() as conn:
                yield conn
            return
        with self.engine.connect().execution_options(carrot_read_only=True) as conn:
            yield conn

    def upgrade(self) -> None:
        """Migrate the schema to the newest revision. Servers starting together on one
        database migrate one after the other, never at once: an advisory lock on PostgreSQL,
        a lock on a file beside the database on SQLite (Alembic does not treat SQLite's DDL as
        transactional, and BEGIN IMMEDIATE alone once let a second server create a table the
        first had just created: "table imports already exists")."""
        with _sqlite_migration_lock(self.url), self.engine.connect() as conn:
            if not self.is_sqlite:
                conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
                conn.commit()
            try:
                config = alembic_config(self.url)
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                conn.commit()
            finally:
                if not self.is_sqlite:
                    conn.execute(
                        sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK}
                    )
                    conn.commit()

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _sqlite_migration_lock(url: str) -> Iterator[None]:
    """Hold an exclusive lock on `<database file>.migrate` while migrating a SQLite file;
    nothing to hold for an in-memory database or PostgreSQL."""
    path = _sqlite_file(url)
    if path is None:
        yield
        return
    with open(f"{path}.migrate", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _sqlite_file(url: str) -> str | None:
    """The file a SQLite URL names; None for an in-memory database or another database."""
    parsed = sa.engine.make_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level, so SQLAlchemy's "begin" hook decides how a
    # transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _begin_sqlite_transaction(conn: Connection) -> None:
    # Writers take the write lock up front: two read-then-write transactions can then
    # never deadlock on the lock upgrade, in one process or many.
    read_only = conn.get_execution_options().get("carrot_read_only", False)
    # Straight to the driver: every call begins a transaction or two, and SQLAlchemy's
    # statement machinery (events, result set-up) cost more than SQLite's BEGIN itself.
    conn.connection.driver_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")  # type: ignore[union-attr]
