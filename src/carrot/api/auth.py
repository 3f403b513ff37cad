"""Who is calling: `ManagementKey-v1 <key>` for the Management API, `ApiKey-v1 <key>` for the
Integration API. Neither kind of key opens the other API."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from carrot.domain.errors import Unauthorized
from carrot.service.keys import (
    IntegrationCaller,
    ManagementCaller,
    authenticate_integration,
    authenticate_management,
    confirm_key,
    known_integration_caller,
)
from carrot.store.db import Database

T = TypeVar("T")

_authorization = APIKeyHeader(name="Authorization", auto_error=False)


async def integration_call(db: Database, key: str, call: Callable[[IntegrationCaller], T]) -> T:
    """Run a busy Integration API route's work: find the caller its key names (see
    `integration_key`), then `call` it, database calls and all. A key this process has seen is
    not looked up again: the call's first write transaction confirms it before changing
    anything (`confirm_key`), so a key deleted or expired since, by any process, is refused
    (401) with nothing stored. On SQLite it runs right here, on
    the event loop: SQLite admits one writer at a time, so a worker thread buys a write no
    concurrency, and the trip through the thread pool (the GIL handed between threads around
    every SQLite call) cost a session update 0.2-2 ms of CPU, at times more than evaluating
    its 100 campaigns (bench/README.md, Engine). On PostgreSQL a call waits on the network and
    on row locks while others proceed, so it runs in the thread pool, as plain def routes do."""

    def run() -> T:
        caller, known_hash = known_integration_caller(db, key)
        if known_hash is None:
            return call(caller)
        # A key this process knew is confirmed by the call's first write transaction, before
        # it changes anything; a call that wrote nothing is confirmed before it answers.
        with db.checking_first_write(lambda conn: confirm_key(conn, caller, known_hash)) as pending:
            answer = call(caller)
            if pending():
                with db.lookup() as conn:
                    confirm_key(conn, caller, known_hash)
        return answer

    if db.is_sqlite:
        return run()
    return await run_in_threadpool(run)


async def database(request: Request) -> Database:
    # async only so that FastAPI calls it in place: a plain def dependency costs a trip
    # through the thread pool on every request.
    db: Database = request.app.state.db
    return db


def _key(header: str | None, scheme: str) -> str:
    if not header:
        raise Unauthorized(f"Missing Authorization header; expected '{scheme} <key>'.")
    given_scheme, _, key = header.strip().partition(" ")
    if given_scheme != scheme or not key.strip():
        raise Unauthorized(f"The Authorization header must read '{scheme} <key>'.")
    return key.strip()


def management_caller(
    header: str | None = Depends(_authorization), db: Database = Depends(database)
) -> ManagementCaller:
    return authenticate_management(db, _key(header, "ManagementKey-v1"))


async def integration_key(header: str | None = Depends(_authorization)) -> str:
    """The API key of an Integration API call, not yet looked up: the busiest routes look it up
    themselves, as part of their call (`integration_call`). A plain def dependency costs a trip
    through the thread pool of its own (a tenth of a session update's CPU with no campaigns).
    A missing or malformed header is still refused here, 401 whatever the body; a well-formed
    key is looked up after the body was validated, so an invalid body with an unknown key is
    answered 400, which tells nothing about any application."""
    return _key(header, "ApiKey-v1")


def integration_caller(
    key: str = Depends(integration_key), db: Database = Depends(database)
) -> IntegrationCaller:
    return authenticate_integration(db, key)
