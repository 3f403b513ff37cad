"""The evaluation tree of an application:
/v1/applications/{applicationId}/campaign_evaluation_groups[/{groupId}] and
/v1/applications/{applicationId}/campaign_set. Wire models are Talon.One's
NewCampaignEvaluationGroup, CampaignEvaluationGroup, CampaignSet, CampaignSetBranchNode and
CampaignSetLeafNode."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Response
from pydantic import Field

from carrot.api.auth import database, management_caller
from carrot.api.management.models import (
    INT64_MAX,
    ApplicationId,
    Flag,
    Id,
    Name,
    PageSize,
    RequestModel,
    Skip,
    Text,
)
from carrot.api.wire import WireModel
from carrot.domain.campaign import EvaluationGroup
from carrot.service import evaluation_groups
from carrot.service.evaluation_groups import SetBranch, SetLeaf
from carrot.service.keys import ManagementCaller
from carrot.store.db import Database

router = APIRouter()

GroupId = Annotated[int, Path(alias="groupId", ge=1, le=INT64_MAX)]
EvaluationMode = Literal["stackable", "listOrder", "lowestDiscount", "highestDiscount"]
EvaluationScope = Literal["session", "cartItem"]


class NewCampaignEvaluationGroup(RequestModel):
    """The body of POST …/campaign_evaluation_groups and PUT …/{groupId}."""

    name: Name
    parent_id: Id | None = None
    description: Text = ""
    evaluation_mode: EvaluationMode = "stackable"
    evaluation_scope: EvaluationScope = "session"
    locked: Flag = False


class CampaignEvaluationGroup(WireModel):
    application_id: int
    name: str
    parent_id: int | None = None
    description: str
    evaluation_mode: str
    evaluation_scope: str
    locked: bool
    id: int


class CampaignEvaluationGroupPage(WireModel):
    total_result_size: int
    data: list[CampaignEvaluationGroup]


class NewCampaignSet(RequestModel):
    """The body of PUT …/campaign_set. The tree is taken as any JSON here and read by the
    service, which points at what is wrong."""

    application_id: Id | None = None
    id: Id | None = None
    version: Annotated[int, Field(strict=True, ge=1, le=INT64_MAX)] | None = None
    set: Any


class CampaignSet(WireModel):
    application_id: int
    id: int
    version: int
    set: dict[str, Any]


@router.post(
    "/applications/{applicationId}/campaign_evaluation_groups",
    status_code=201,
    response_model=CampaignEvaluationGroup,
    response_model_exclude_none=True,
)
def create_group(
    application_id: ApplicationId,
    body: NewCampaignEvaluationGroup,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> CampaignEvaluationGroup:
    group = evaluation_groups.create_group(db, caller, application_id, settings(body))
    return group_wire(application_id, group)


@router.get(
    "/applications/{applicationId}/campaign_evaluation_groups",
    response_model=CampaignEvaluationGroupPage,
    response_model_exclude_none=True,
)
def list_groups(
    application_id: ApplicationId,
    page_size: PageSize = 1000,
    skip: Skip = 0,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> CampaignEvaluationGroupPage:
    total, groups = evaluation_groups.list_groups(
        db, caller, application_id, page_size=page_size, skip=skip
    )
    return CampaignEvaluationGroupPage(
        total_result_size=total, data=[group_wire(application_id, group) for group in groups]
    )


@router.get(
    "/applications/{applicationId}/campaign_evaluation_groups/{groupId}",
    response_model=CampaignEvaluationGroup,
    response_model_exclude_none=True,
)
def get_group(
    application_id: ApplicationId,
    group_id: GroupId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> CampaignEvaluationGroup:
    group = evaluation_groups.get_group(db, caller, application_id, group_id)
    return group_wire(application_id, group)


@router.put(
    "/applications/{applicationId}/campaign_evaluation_groups/{groupId}",
    response_model=CampaignEvaluationGroup,
    response_model_exclude_none=True,
)
def update_group(
    application_id: ApplicationId,
    group_id: GroupId,
    body: NewCampaignEvaluationGroup,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> CampaignEvaluationGroup:
    group = evaluation_groups.update_group(db, caller, application_id, group_id, settings(body))
    return group_wire(application_id, group)


@router.delete(
    "/applications/{applicationId}/campaign_evaluation_groups/{groupId}", status_code=204
)
def delete_group(
    application_id: ApplicationId,
    group_id: GroupId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Response:
    evaluation_groups.delete_group(db, caller, application_id, group_id)
    return Response(status_code=204)


@router.get(
    "/applications/{applicationId}/campaign_set",
    response_model=CampaignSet,
)
def get_campaign_set(
    application_id: ApplicationId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> CampaignSet:
    return campaign_set_wire(evaluation_groups.get_campaign_set(db, caller, application_id))


@router.put(
    "/applications/{applicationId}/campaign_set",
    response_model=CampaignSet,
)
def update_campaign_set(
    application_id: ApplicationId,
    body: NewCampaignSet,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> CampaignSet:
    update = evaluation_groups.CampaignSetUpdate(
        tree=body.set, application_id=body.application_id, id=body.id, version=body.version
    )
    campaign_set = evaluation_groups.update_campaign_set(db, caller, application_id, update)
    return campaign_set_wire(campaign_set)


def settings(body: NewCampaignEvaluationGroup) -> evaluation_groups.GroupSettings:
    return evaluation_groups.GroupSettings(
        name=body.name,
        parent_id=body.parent_id,
        description=body.description,
        evaluation_mode=body.evaluation_mode,
        evaluation_scope=body.evaluation_scope,
        locked=body.locked,
    )


def group_wire(application_id: int, group: EvaluationGroup) -> CampaignEvaluationGroup:
    return CampaignEvaluationGroup(
        application_id=application_id,
        name=group.name,
        parent_id=group.parent_id,
        description=group.description,
        evaluation_mode=group.mode.value,
        evaluation_scope=group.scope.value,
        locked=group.locked,
        id=group.id,
    )


def campaign_set_wire(campaign_set: evaluation_groups.CampaignSet) -> CampaignSet:
    return CampaignSet(
        application_id=campaign_set.application_id,
        id=campaign_set.id,
        version=campaign_set.version,
        set=branch_wire(campaign_set.root),
    )


def branch_wire(branch: SetBranch) -> dict[str, Any]:
    group = branch.group
    return {
        "type": "SET",
        "name": group.name,
        "operator": "ALL",
        "elements": [element_wire(element) for element in branch.elements],
        "groupId": group.id,
        "locked": group.locked,
        "description": group.description,
        "evaluationMode": group.mode.value,
        "evaluationScope": group.scope.value,
    }


def element_wire(element: SetBranch | SetLeaf) -> dict[str, Any]:
    if isinstance(element, SetLeaf):
        return {"type": "CAMPAIGN", "campaignId": element.campaign_id}
    return branch_wire(element)
