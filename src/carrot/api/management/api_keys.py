"""Integration API keys of an application: /v1/applications/{applicationId}/api_keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response

from carrot.api.auth import database, management_caller
from carrot.api.management.models import (
    INT64_MAX,
    ApplicationApiKey,
    ApplicationApiKeyPage,
    ApplicationId,
    CreateApplicationApiKey,
    NewApplicationApiKey,
    PageSize,
    Skip,
)
from carrot.api.wire import timestamp
from carrot.service import applications
from carrot.service.keys import ManagementCaller
from carrot.store.db import Database

router = APIRouter()

ApiKeyId = Annotated[int, Path(alias="apiKeyId", ge=1, le=INT64_MAX)]


@router.post(
    "/applications/{applicationId}/api_keys",
    status_code=201,
    response_model=NewApplicationApiKey,
    response_model_exclude_none=True,
)
def create_api_key(
    application_id: ApplicationId,
    body: CreateApplicationApiKey,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> NewApplicationApiKey:
    new = applications.NewApiKey(
        title=body.title,
        expires=body.expires,
        platform=body.platform,
        kind=body.type,
        time_offset=body.time_offset,
    )
    row, secret = applications.create_api_key(db, caller, application_id, new)
    return NewApplicationApiKey(**api_key_wire(row).model_dump(), key=secret)


@router.get(
    "/applications/{applicationId}/api_keys",
    response_model=ApplicationApiKeyPage,
    response_model_exclude_none=True,
)
def list_api_keys(
    application_id: ApplicationId,
    page_size: PageSize = 1000,
    skip: Skip = 0,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> ApplicationApiKeyPage:
    total, rows = applications.list_api_keys(
        db, caller, application_id, page_size=page_size, skip=skip
    )
    return ApplicationApiKeyPage(total_result_size=total, data=[api_key_wire(row) for row in rows])


@router.get(
    "/applications/{applicationId}/api_keys/{apiKeyId}",
    response_model=ApplicationApiKey,
    response_model_exclude_none=True,
)
def get_api_key(
    application_id: ApplicationId,
    api_key_id: ApiKeyId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> ApplicationApiKey:
    return api_key_wire(applications.get_api_key(db, caller, application_id, api_key_id))


@router.delete("/applications/{applicationId}/api_keys/{apiKeyId}", status_code=204)
def delete_api_key(
    application_id: ApplicationId,
    api_key_id: ApiKeyId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Response:
    applications.delete_api_key(db, caller, application_id, api_key_id)
    return Response(status_code=204)


def api_key_wire(row: Any) -> ApplicationApiKey:
    return ApplicationApiKey(
        id=row.id,
        title=row.title,
        expires=timestamp(row.expires) or "",
        platform=row.platform,
        type="staging" if row.type == "staging" else None,
        time_offset=row.time_offset,
        created_by=row.created_by,
        accountID=row.account_id,
        applicationID=row.application_id,
        created=timestamp(row.created) or "",
    )
