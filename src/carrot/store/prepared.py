"""Statements the busiest calls run, sent straight to SQLite's driver.

SQLAlchemy spends 70-110 µs of CPU running a prebuilt statement on SQLite (execution
context, events, result set-up) where the driver needs 10-15; a session update runs eight of
them. A `Prepared` statement is compiled once per dialect, with the same bind and result
processors SQLAlchemy would apply (dates, money and JSON read and write exactly as through
`Connection.execute`), and runs on the transaction's own driver connection. On PostgreSQL,
where a statement waits on the network far longer than SQLAlchemy spends on it, it runs
through `Connection.execute` as any other.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

Processor = Callable[[Any], Any] | None
Statement = sa.Select[Any] | sa.Insert | sa.Update


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # bind names in the order of the statement's `?`
    binds: tuple[Processor, ...]
    defaults: Mapping[str, Any]  # values the statement binds itself (a LIMIT, say)
    results: tuple[Processor, ...]
    row: Callable[..., Any] | None  # the row type; None for a statement returning nothing


class Prepared:
    """One statement, run with `first`, `all`, `scalar` or `run`. Rows answer by column name
    (`row.id`) as SQLAlchemy's do. An INSERT or UPDATE names the columns it sets
    (`column_keys`): the statement compiled for them is the one used for every call."""

    def __init__(self, statement: Statement, column_keys: Iterable[str] = ()) -> None:
        self.statement = statement
        self.column_keys = tuple(column_keys)
        # Per dialect: each engine's carries its own JSON serializer into the processors.
        self._compiled: dict[Dialect, _Compiled] = {}

    def first(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        if conn.dialect.name != "sqlite":
            return conn.execute(self.statement, params).first()
        rows = self._run_on_sqlite(conn, params, fetch_one=True)
        return rows[0] if rows else None

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        if conn.dialect.name != "sqlite":
            return list(conn.execute(self.statement, params))
        return self._run_on_sqlite(conn, params, fetch_one=False)

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        row = self.first(conn, params)
        return None if row is None else row[0]

    def run(self, conn: Connection, params: Mapping[str, Any]) -> None:
        """A statement whose rows nobody reads (an UPDATE, say)."""
        if conn.dialect.name != "sqlite":
            conn.execute(self.statement, params)
            return
        self._run_on_sqlite(conn, params, fetch_one=False)

    def _run_on_sqlite(
        self, conn: Connection, params: Mapping[str, Any], *, fetch_one: bool
    ) -> list[Any]:
        compiled = self._compiled.get(conn.dialect) or self._compile(conn.dialect)
        values = []
        defaults = compiled.defaults
        for name, process in zip(compiled.names, compiled.binds, strict=True):
            value = params[name] if name in params else defaults[name]
            values.append(value if process is None else process(value))
        driver = conn.connection.driver_connection
        assert driver is not None
        cursor = driver.execute(compiled.sql, values)
        fetched = (
            [] if compiled.row is None else cursor.fetchmany(1) if fetch_one else cursor.fetchall()
        )
        cursor.close()
        if not fetched:
            return []
        results, row = compiled.results, compiled.row
        assert row is not None
        return [
            row(*(v if p is None else p(v) for v, p in zip(raw, results, strict=True)))
            for raw in fetched
        ]

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(
            dialect=dialect, column_keys=list(self.column_keys) or None
        )
        names = tuple(compiled.positiontup or ())
        binds = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        defaults = {
            name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
        }
        columns = list(getattr(self.statement, "exported_columns", ()))
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        row = namedtuple("Row", [column.key for column in columns]) if columns else None
        prepared = _Compiled(str(compiled), names, binds, defaults, results, row)
        self._compiled[dialect] = prepared
        return prepared
