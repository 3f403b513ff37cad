"""Who is calling: `ManagementKey-v1 <key>` for the Management API, `ApiKey-v1 <key>` for the
Integration API. Neither kind of key opens the other API."""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from carrot.domain.errors import Unauthorized
from carrot.service.keys import (
    IntegrationCaller,
    ManagementCaller,
    authenticate_integration,
    authenticate_management,
)
from carrot.store.db import Database

_authorization = APIKeyHeader(name="Authorization", auto_error=False)


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


def integration_caller(
    header: str | None = Depends(_authorization), db: Database = Depends(database)
) -> IntegrationCaller:
    return authenticate_integration(db, _key(header, "ApiKey-v1"))
