"""Campaigns of an application: /v1/applications/{applicationId}/campaigns[/{campaignId}],
and …/campaigns/{campaignId}/copy. Wire models are Talon.One's NewCampaign, UpdateCampaign,
Campaign and CampaignCopy."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import Field

from carrot.api.auth import database, management_caller
from carrot.api.management.models import (
    INT64_MAX,
    ApplicationId,
    Id,
    LimitConfig,
    Name,
    PageSize,
    QueryText,
    RequestModel,
    ShortText,
    Skip,
    Text,
    Timestamp,
)
from carrot.api.wire import WireModel, number, timestamp
from carrot.domain import campaign as domain
from carrot.domain.errors import BadRequest, Problem
from carrot.service import campaigns
from carrot.service.attributes import parse_rfc3339
from carrot.service.budgets import Budget, campaign_budgets
from carrot.service.clock import utcnow
from carrot.service.keys import ManagementCaller
from carrot.store.db import Database

router = APIRouter()

CampaignId = Annotated[int, Path(alias="campaignId", ge=1, le=INT64_MAX)]
Tag = Annotated[ShortText, Field(min_length=1)]
Feature = Literal["coupons", "referrals", "loyalty", "giveaways", "strikethrough", "achievements"]
CampaignStateFilter = Literal["enabled", "disabled", "archived", "scheduled", "running", "expired"]
CampaignSort = Literal["created", "-created", "name", "-name"]


class CodeGeneratorSettings(RequestModel):
    valid_characters: list[Annotated[ShortText, Field(min_length=1, max_length=10)]]
    coupon_pattern: Annotated[
        str, Field(strict=True, min_length=3, max_length=100, pattern=r"^[A-Za-z0-9_#-]*$")
    ]

    def document(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


class NewCampaign(RequestModel):
    """The body of POST …/campaigns and (as UpdateCampaign) PUT …/campaigns/{campaignId}."""

    name: Name
    description: Text = ""
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    state: Literal["enabled", "disabled", "archived"] | None = None
    active_ruleset_id: Id | None = None
    tags: list[Tag] = Field(default_factory=list)
    features: list[Feature] = Field(default_factory=list)
    coupon_settings: CodeGeneratorSettings | None = None
    referral_settings: CodeGeneratorSettings | None = None
    limits: list[LimitConfig] | None = None
    campaign_groups: list[Id] = Field(default_factory=list)
    type: Literal["advanced", "cartItem"] | None = None
    linked_store_ids: list[Id] = Field(default_factory=list)
    evaluation_group_id: Id | None = None


class CampaignCopyBody(RequestModel):
    application_ids: Annotated[list[Id], Field(min_length=1, max_length=1000)]
    name: Name | None = None
    description: Text | None = None
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    tags: list[Tag] | None = None
    evaluation_group_id: Id | None = None


class Campaign(WireModel):
    id: int
    created: str
    application_id: int
    user_id: int
    name: str
    description: str
    start_time: str | None = None
    end_time: str | None = None
    attributes: dict[str, Any]
    state: str
    active_ruleset_id: int | None = None
    tags: list[str]
    features: list[str]
    coupon_settings: dict[str, Any] | None = None
    referral_settings: dict[str, Any] | None = None
    limits: list[dict[str, Any]]
    campaign_groups: list[int]
    type: str
    linked_store_ids: list[int]
    evaluation_group_id: int
    # One per LimitConfig: its limit and what the current period used. The counters below
    # are deprecated in Talon.One and stay 0.
    budgets: list[dict[str, Any]] = Field(default_factory=list)
    coupon_redemption_count: int = 0
    referral_redemption_count: int = 0
    discount_count: float = 0
    discount_effect_count: int = 0
    coupon_creation_count: int = 0
    custom_effect_count: int = 0
    referral_creation_count: int = 0
    add_free_item_effect_count: int = 0
    awarded_giveaways_count: int = 0
    created_loyalty_points_count: float = 0
    created_loyalty_points_effect_count: int = 0
    redeemed_loyalty_points_count: float = 0
    redeemed_loyalty_points_effect_count: int = 0
    call_api_effect_count: int = 0
    reservecoupon_effect_count: int = 0
    updated: str
    frontend_state: str
    stores_imported: bool = False


class CampaignPage(WireModel):
    total_result_size: int
    data: list[Campaign]


@router.post(
    "/applications/{applicationId}/campaigns",
    status_code=201,
    response_model=Campaign,
    response_model_exclude_none=True,
)
def create_campaign(
    application_id: ApplicationId,
    body: NewCampaign,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Campaign:
    created = campaigns.create_campaign(db, caller, application_id, settings(body))
    return _with_budgets(db, application_id, [created])[0]


@router.get(
    "/applications/{applicationId}/campaigns",
    response_model=CampaignPage,
    response_model_exclude_none=True,
)
def list_campaigns(
    application_id: ApplicationId,
    page_size: PageSize = 1000,
    skip: Skip = 0,
    sort: CampaignSort = "created",
    campaign_state: Annotated[CampaignStateFilter | None, Query(alias="campaignState")] = None,
    name: QueryText = None,
    tags: QueryText = None,
    created_before: Annotated[QueryText, Query(alias="createdBefore")] = None,
    created_after: Annotated[QueryText, Query(alias="createdAfter")] = None,
    campaign_group_id: Annotated[
        int | None, Query(alias="campaignGroupId", ge=1, le=INT64_MAX)
    ] = None,
    store_id: Annotated[int | None, Query(alias="storeId", ge=1, le=INT64_MAX)] = None,
    template_id: Annotated[int | None, Query(alias="templateId", ge=1, le=INT64_MAX)] = None,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> CampaignPage:
    query = domain.CampaignQuery(
        frontend_state=campaign_state,
        name=name,
        tags=tuple(tag.strip() for tag in (tags or "").split(",") if tag.strip()),
        created_before=_query_time(created_before, "createdBefore"),
        created_after=_query_time(created_after, "createdAfter"),
        campaign_group_id=campaign_group_id,
        store_id=store_id,
        template_id=template_id,
    )
    total, found = campaigns.list_campaigns(
        db, caller, application_id, query, sort=sort, page_size=page_size, skip=skip
    )
    return CampaignPage(total_result_size=total, data=_with_budgets(db, application_id, found))


@router.get(
    "/applications/{applicationId}/campaigns/{campaignId}",
    response_model=Campaign,
    response_model_exclude_none=True,
)
def get_campaign(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Campaign:
    found = campaigns.get_campaign(db, caller, application_id, campaign_id)
    return _with_budgets(db, application_id, [found])[0]


@router.put(
    "/applications/{applicationId}/campaigns/{campaignId}",
    response_model=Campaign,
    response_model_exclude_none=True,
)
def update_campaign(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    body: NewCampaign,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Campaign:
    updated = campaigns.update_campaign(db, caller, application_id, campaign_id, settings(body))
    return _with_budgets(db, application_id, [updated])[0]


@router.delete("/applications/{applicationId}/campaigns/{campaignId}", status_code=204)
def delete_campaign(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Response:
    campaigns.delete_campaign(db, caller, application_id, campaign_id)
    return Response(status_code=204)


@router.post(
    "/applications/{applicationId}/campaigns/{campaignId}/copy",
    response_model=CampaignPage,
    response_model_exclude_none=True,
)
def copy_campaign(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    body: CampaignCopyBody,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> CampaignPage:
    copy = campaigns.CampaignCopy(
        application_ids=body.application_ids,
        name=body.name,
        description=body.description,
        start_time=body.start_time,
        end_time=body.end_time,
        tags=body.tags,
        evaluation_group_id=body.evaluation_group_id,
    )
    copies = campaigns.copy_campaign(db, caller, application_id, campaign_id, copy)
    now = utcnow()
    return CampaignPage(
        total_result_size=len(copies),
        data=[campaign_wire(campaign, now, unused_budgets(campaign)) for campaign in copies],
    )


def _query_time(text: str | None, parameter: str) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_rfc3339(text)
    except ValueError as error:
        details = f"The time {error}."
        raise BadRequest(
            details, [Problem("Invalid parameter", details, parameter=parameter)]
        ) from None


def settings(body: NewCampaign) -> campaigns.CampaignSettings:
    return campaigns.CampaignSettings(
        name=body.name,
        description=body.description,
        start_time=body.start_time,
        end_time=body.end_time,
        attributes=body.attributes,
        state=body.state,
        type=body.type,
        tags=body.tags,
        features=list(body.features),
        limits=None if body.limits is None else [limit.document() for limit in body.limits],
        coupon_settings=_document(body.coupon_settings),
        referral_settings=_document(body.referral_settings),
        linked_store_ids=body.linked_store_ids,
        campaign_groups=body.campaign_groups,
        evaluation_group_id=body.evaluation_group_id,
        active_ruleset_id=body.active_ruleset_id,
    )


def _document(code_settings: CodeGeneratorSettings | None) -> dict[str, Any] | None:
    return None if code_settings is None else code_settings.document()


def _with_budgets(
    db: Database, application_id: int, found: list[domain.Campaign]
) -> list[Campaign]:
    now = utcnow()
    budgets = campaign_budgets(db, application_id, found, now)
    return [campaign_wire(campaign, now, budgets.get(campaign.id, [])) for campaign in found]


def unused_budgets(campaign: domain.Campaign) -> list[Budget]:
    """A new campaign's budgets: nothing used yet."""
    return [Budget(limit.action, limit.limit, Decimal(0)) for limit in campaign.limits]


def campaign_wire(
    campaign: domain.Campaign, now: datetime, budgets: list[Budget] | None = None
) -> Campaign:
    return Campaign(
        id=campaign.id,
        created=timestamp(campaign.created) or "",
        application_id=campaign.application_id,
        user_id=campaign.user_id,
        name=campaign.name,
        description=campaign.description,
        start_time=timestamp(campaign.start_time),
        end_time=timestamp(campaign.end_time),
        attributes=campaign.attributes,
        state=campaign.state.value,
        active_ruleset_id=campaign.active_ruleset_id,
        tags=list(campaign.tags),
        features=list(campaign.features),
        coupon_settings=campaign.coupon_settings,
        referral_settings=campaign.referral_settings,
        limits=[limit_wire(limit) for limit in campaign.limits],
        campaign_groups=list(campaign.campaign_groups),
        type=campaign.type.value,
        linked_store_ids=list(campaign.linked_store_ids),
        evaluation_group_id=campaign.evaluation_group_id,
        updated=timestamp(campaign.updated) or "",
        frontend_state=campaign.frontend_state(now).value,
        budgets=[
            {"action": b.action, "limit": number(b.limit), "counter": number(b.counter)}
            for b in budgets or []
        ],
    )


def limit_wire(limit: domain.LimitConfig) -> dict[str, Any]:
    wire: dict[str, Any] = {"action": limit.action, "limit": number(limit.limit)}
    if limit.period is not None:
        wire["period"] = limit.period
    wire["entities"] = list(limit.entities)
    return wire
