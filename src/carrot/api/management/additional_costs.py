"""Additional costs: /v1/additional_costs[/{additionalCostId}]."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from carrot.api.auth import database, management_caller
from carrot.api.management.models import (
    INT64_MAX,
    AccountAdditionalCost,
    AccountAdditionalCostPage,
    NewAdditionalCost,
    PageSize,
    Skip,
)
from carrot.api.wire import timestamp
from carrot.service import additional_costs
from carrot.service.keys import ManagementCaller
from carrot.store.db import Database

router = APIRouter()

AdditionalCostId = Annotated[int, Path(alias="additionalCostId", ge=1, le=INT64_MAX)]


@router.post("/additional_costs", status_code=201, response_model=AccountAdditionalCost)
def create_additional_cost(
    body: NewAdditionalCost,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> AccountAdditionalCost:
    row = additional_costs.create_additional_cost(db, caller, definition(body))
    return additional_cost_wire(row)


@router.get("/additional_costs", response_model=AccountAdditionalCostPage)
def list_additional_costs(
    page_size: PageSize = 1000,
    skip: Skip = 0,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> AccountAdditionalCostPage:
    total, rows = additional_costs.list_additional_costs(db, caller, page_size=page_size, skip=skip)
    return AccountAdditionalCostPage(
        total_result_size=total, data=[additional_cost_wire(row) for row in rows]
    )


@router.get("/additional_costs/{additionalCostId}", response_model=AccountAdditionalCost)
def get_additional_cost(
    additional_cost_id: AdditionalCostId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> AccountAdditionalCost:
    row = additional_costs.get_additional_cost(db, caller, additional_cost_id)
    return additional_cost_wire(row)


@router.put("/additional_costs/{additionalCostId}", response_model=AccountAdditionalCost)
def update_additional_cost(
    additional_cost_id: AdditionalCostId,
    body: NewAdditionalCost,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> AccountAdditionalCost:
    row = additional_costs.update_additional_cost(db, caller, additional_cost_id, definition(body))
    return additional_cost_wire(row)


def definition(body: NewAdditionalCost) -> additional_costs.AdditionalCostDefinition:
    return additional_costs.AdditionalCostDefinition(
        name=body.name,
        title=body.title,
        description=body.description,
        type=body.type,
        subscribed_applications_ids=body.subscribed_applications_ids,
    )


def additional_cost_wire(row: Any) -> AccountAdditionalCost:
    return AccountAdditionalCost(
        id=row.id,
        created=timestamp(row.created) or "",
        account_id=row.account_id,
        name=row.name,
        title=row.title,
        description=row.description,
        subscribed_applications_ids=row.subscribed_applications_ids,
        type=row.type,
    )
