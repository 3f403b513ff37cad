"""Rulesets of a campaign: /v1/applications/{applicationId}/campaigns/{campaignId}/rulesets
[/{rulesetId}]. Wire models are Talon.One's NewRuleset, Ruleset, Rule and Binding."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import Field

from carrot.api.auth import database, management_caller
from carrot.api.management.campaigns import CampaignId
from carrot.api.management.models import (
    INT64_MAX,
    ApplicationId,
    Flag,
    PageSize,
    RequestModel,
    ShortText,
    Skip,
)
from carrot.api.wire import WireModel, number, timestamp
from carrot.domain import campaign as domain
from carrot.service import rulesets
from carrot.service.keys import ManagementCaller
from carrot.store.db import Database

router = APIRouter()

RulesetId = Annotated[int, Path(alias="rulesetId", ge=1, le=INT64_MAX)]


class NewRuleset(RequestModel):
    """Rules and bindings are taken as any JSON here: `rule_checks.check_rules` checks them
    and points at what is wrong."""

    rules: Any
    bindings: Any = Field(default_factory=list)
    strikethrough_rules: Any = Field(default_factory=list)
    rb_version: Annotated[ShortText, Field(max_length=100)] = ""
    activate: Flag = False


class Ruleset(WireModel):
    id: int
    created: str
    user_id: int
    rules: list[dict[str, Any]]
    strikethrough_rules: list[dict[str, Any]]
    bindings: list[dict[str, Any]]
    rb_version: str
    activate: bool
    campaign_id: int
    activated_at: str | None = None


class RulesetPage(WireModel):
    total_result_size: int
    data: list[Ruleset]


@router.post(
    "/applications/{applicationId}/campaigns/{campaignId}/rulesets",
    status_code=201,
    response_model=Ruleset,
    response_model_exclude_none=True,
)
def create_ruleset(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    body: NewRuleset,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Ruleset:
    new = rulesets.NewRulesetInput(
        rules=body.rules,
        bindings=body.bindings,
        strikethrough_rules=body.strikethrough_rules,
        rb_version=body.rb_version,
        activate=body.activate,
    )
    return ruleset_wire(rulesets.create_ruleset(db, caller, application_id, campaign_id, new))


@router.get(
    "/applications/{applicationId}/campaigns/{campaignId}/rulesets",
    response_model=RulesetPage,
    response_model_exclude_none=True,
)
def list_rulesets(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    page_size: PageSize = 1000,
    skip: Skip = 0,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> RulesetPage:
    total, found = rulesets.list_rulesets(
        db, caller, application_id, campaign_id, page_size=page_size, skip=skip
    )
    return RulesetPage(total_result_size=total, data=[ruleset_wire(ruleset) for ruleset in found])


@router.get(
    "/applications/{applicationId}/campaigns/{campaignId}/rulesets/{rulesetId}",
    response_model=Ruleset,
    response_model_exclude_none=True,
)
def get_ruleset(
    application_id: ApplicationId,
    campaign_id: CampaignId,
    ruleset_id: RulesetId,
    caller: ManagementCaller = Depends(management_caller),
    db: Database = Depends(database),
) -> Ruleset:
    found = rulesets.get_ruleset(db, caller, application_id, campaign_id, ruleset_id)
    return ruleset_wire(found)


def ruleset_wire(ruleset: domain.Ruleset) -> Ruleset:
    return Ruleset(
        id=ruleset.id,
        created=timestamp(ruleset.created) or "",
        user_id=ruleset.user_id,
        rules=[rule_wire(rule) for rule in ruleset.rules],
        strikethrough_rules=[rule_wire(rule) for rule in ruleset.strikethrough_rules],
        bindings=[binding_wire(binding) for binding in ruleset.bindings],
        rb_version=ruleset.rb_version,
        activate=ruleset.activated_at is not None,
        campaign_id=ruleset.campaign_id,
        activated_at=timestamp(ruleset.activated_at),
    )


def rule_wire(rule: domain.Rule) -> dict[str, Any]:
    wire: dict[str, Any] = {}
    if rule.id is not None:
        wire["id"] = rule.id
    if rule.parent_id is not None:
        wire["parentId"] = rule.parent_id
    wire.update(
        title=rule.title,
        description=rule.description,
        bindings=[binding_wire(binding) for binding in rule.bindings],
        condition=rule.condition,
        effects=list(rule.effects),
    )
    return wire


def binding_wire(binding: domain.Binding) -> dict[str, Any]:
    wire = {
        "name": binding.name,
        "type": binding.type,
        "expression": binding.expression,
        "valueType": binding.value_type,
        "minValue": number(binding.min_value),
        "maxValue": number(binding.max_value),
        "attributeId": binding.attribute_id,
        "description": binding.description or None,
    }
    return {key: value for key, value in wire.items() if value is not None}
