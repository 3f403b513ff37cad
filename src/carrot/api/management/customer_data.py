"""Reading customer data: sessions, customers and events of an application."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from carrot.api import present
from carrot.api.auth import database, management_caller
from carrot.api.wire import page
from carrot.domain.session import SessionState
from carrot.service import reports
from carrot.service.keys import ManagementCaller
from carrot.store.db import Database

router = APIRouter()

ApplicationId = Annotated[int, Path(alias="applicationId", ge=1)]
PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=1000)]
Skip = Annotated[int, Query(ge=0)]


@router.get("/applications/{applicationId}/sessions")
def get_application_sessions(
    application_id: ApplicationId,
    page_size: PageSize = 1000,
    skip: Skip = 0,
    profile: Annotated[str | None, Query()] = None,
    state: Annotated[SessionState | None, Query()] = None,
    integration_id: Annotated[str | None, Query(alias="integrationId")] = None,
    store_integration_id: Annotated[str | None, Query(alias="storeIntegrationId")] = None,
    created_before: Annotated[datetime | None, Query(alias="createdBefore")] = None,
    created_after: Annotated[datetime | None, Query(alias="createdAfter")] = None,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    where = reports.SessionFilter(
        profile=profile,
        state=state,
        integration_id=integration_id,
        store_integration_id=store_integration_id,
        created_before=created_before,
        created_after=created_after,
    )
    found = reports.list_sessions(
        db, caller, application_id, where, reports.Window(page_size, skip)
    )
    return page([present.application_session(s) for s in found], page_size=page_size)


@router.get("/applications/{applicationId}/sessions/{sessionId}")
def get_application_session(
    application_id: ApplicationId,
    session_id: Annotated[int, Path(alias="sessionId", ge=1)],
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    session = reports.get_session(db, caller, application_id, session_id)
    return present.application_session(session)


@router.get("/applications/{applicationId}/customers/{customerId}")
def get_application_customer(
    application_id: ApplicationId,
    customer_id: Annotated[int, Path(alias="customerId", ge=1)],
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    profile = reports.get_application_customer(db, caller, application_id, customer_id)
    return present.application_customer(profile)


@router.get("/customers/{customerId}")
def get_customer_profile(
    customer_id: Annotated[int, Path(alias="customerId", ge=1)],
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    return present.customer_profile(reports.get_customer(db, caller, customer_id))


@router.get("/applications/{applicationId}/events/no_total")
def get_application_events_without_total_count(
    application_id: ApplicationId,
    page_size: PageSize = 1000,
    skip: Skip = 0,
    type: Annotated[str | None, Query()] = None,
    session: Annotated[str | None, Query()] = None,
    profile: Annotated[str | None, Query()] = None,
    created_before: Annotated[datetime | None, Query(alias="createdBefore")] = None,
    created_after: Annotated[datetime | None, Query(alias="createdAfter")] = None,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    where = reports.EventFilter(
        type=type,
        session=session,
        profile=profile,
        created_before=created_before,
        created_after=created_after,
    )
    found = reports.list_events(db, caller, application_id, where, reports.Window(page_size, skip))
    return page([present.application_event(e) for e in found], page_size=page_size)
