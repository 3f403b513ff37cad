"""Applications: /v1/applications[/{applicationId}]."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from carrot.api.auth import database, management_caller
from carrot.api.management.models import (
    Application,
    ApplicationId,
    ApplicationPage,
    NewApplication,
    PageSize,
    Skip,
)
from carrot.api.wire import timestamp
from carrot.service import applications
from carrot.service.keys import ManagementCaller
from carrot.store.db import Database

router = APIRouter()


@router.post("/applications", status_code=201, response_model=Application)
def create_application(
    body: NewApplication,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Application:
    return application_wire(applications.create_application(db, caller, settings(body)))


@router.get("/applications", response_model=ApplicationPage)
def list_applications(
    page_size: PageSize = 1000,
    skip: Skip = 0,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> ApplicationPage:
    total, rows = applications.list_applications(db, caller, page_size=page_size, skip=skip)
    return ApplicationPage(total_result_size=total, data=[application_wire(row) for row in rows])


@router.get("/applications/{applicationId}", response_model=Application)
def get_application(
    application_id: ApplicationId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Application:
    return application_wire(applications.get_application(db, caller, application_id))


@router.put("/applications/{applicationId}", response_model=Application)
def update_application(
    application_id: ApplicationId,
    body: NewApplication,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Application:
    row = applications.update_application(db, caller, application_id, settings(body))
    return application_wire(row)


@router.delete("/applications/{applicationId}", status_code=204)
def delete_application(
    application_id: ApplicationId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Response:
    applications.delete_application(db, caller, application_id)
    return Response(status_code=204)


def settings(body: NewApplication) -> applications.ApplicationSettings:
    return applications.ApplicationSettings(
        name=body.name,
        description=body.description,
        timezone=body.timezone,
        currency=body.currency,
        case_sensitivity=body.case_sensitivity,
        attributes=body.attributes,
        limits=[limit.document() for limit in body.limits],
        default_discount_scope=body.default_discount_scope,
        default_discount_additional_cost_per_item_scope=(
            body.default_discount_additional_cost_per_item_scope
        ),
        enable_cascading_discounts=body.enable_cascading_discounts,
        enable_flattened_cart_items=body.enable_flattened_cart_items,
        enable_partial_discounts=body.enable_partial_discounts,
        sandbox=body.sandbox,
    )


def application_wire(row: Any) -> Application:
    return Application(
        id=row.id,
        created=timestamp(row.created) or "",
        modified=timestamp(row.modified) or "",
        account_id=row.account_id,
        name=row.name,
        description=row.description,
        timezone=row.timezone,
        currency=row.currency,
        case_sensitivity=row.case_sensitivity,
        attributes=row.attributes,
        limits=row.limits,
        default_discount_scope=row.default_discount_scope,
        default_discount_additional_cost_per_item_scope=(
            row.default_discount_additional_cost_per_item_scope
        ),
        enable_cascading_discounts=row.enable_cascading_discounts,
        enable_flattened_cart_items=row.enable_flattened_cart_items,
        enable_partial_discounts=row.enable_partial_discounts,
        sandbox=row.sandbox,
        default_evaluation_group_id=row.default_evaluation_group_id,
    )
