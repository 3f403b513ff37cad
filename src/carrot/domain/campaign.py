"""Campaigns as the engine sees them: a campaign, its active ruleset (rules and bindings), the
evaluation groups that order campaigns, and the custom effects rules may fire."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class CampaignState(StrEnum):
    """What a marketer sets; disabled and archived campaigns are never evaluated."""

    ENABLED = "enabled"
    DISABLED = "disabled"
    ARCHIVED = "archived"


class FrontendState(StrEnum):
    """The state Talon.One shows: the set state combined with the schedule."""

    ARCHIVED = "archived"
    DISABLED = "disabled"
    SCHEDULED = "scheduled"
    RUNNING = "running"
    EXPIRED = "expired"


class CampaignType(StrEnum):
    ADVANCED = "advanced"  # effects on the session and on items
    CART_ITEM = "cartItem"  # effects on items only


class EvaluationMode(StrEnum):
    STACKABLE = "stackable"
    LIST_ORDER = "listOrder"
    LOWEST_DISCOUNT = "lowestDiscount"
    HIGHEST_DISCOUNT = "highestDiscount"


class EvaluationScope(StrEnum):
    SESSION = "session"
    CART_ITEM = "cartItem"


@dataclass(frozen=True)
class LimitConfig:
    """A budget: `limit` of `action` per `period` (None: ever), counted per combination of
    `entities` (empty: campaign-wide)."""

    action: str
    limit: Decimal
    period: str | None
    entities: tuple[str, ...]


@dataclass(frozen=True)
class Binding:
    """A name bound to the value of a Talang expression, evaluated in list order."""

    name: str
    expression: Any
    type: str | None = None
    value_type: str | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    attribute_id: int | None = None
    description: str = ""


@dataclass(frozen=True)
class Rule:
    """A Talang condition and the effects it fires, in the JSON form they were saved in."""

    title: str
    condition: list[Any]
    effects: tuple[list[Any], ...]
    bindings: tuple[Binding, ...] = ()
    # Run when the condition fails; only notifications and custom effects (carrot's addition
    # to Talon.One's Rule, which keeps them out of the public model).
    failure_effects: tuple[list[Any], ...] = ()
    description: str = ""
    id: str | None = None
    parent_id: str | None = None


@dataclass(frozen=True)
class Ruleset:
    """One immutable version of a campaign's rules."""

    id: int
    campaign_id: int
    created: datetime
    rules: tuple[Rule, ...]
    user_id: int = 0
    bindings: tuple[Binding, ...] = ()
    strikethrough_rules: tuple[Rule, ...] = ()
    rb_version: str = ""
    activated_at: datetime | None = None


@dataclass(frozen=True)
class Campaign:
    id: int
    application_id: int
    name: str
    state: CampaignState
    type: CampaignType
    evaluation_group_id: int
    # Place among the campaigns and subgroups of its evaluation group, lowest first.
    position: int
    created: datetime
    updated: datetime
    user_id: int = 0
    description: str = ""
    start_time: datetime | None = None
    end_time: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    limits: tuple[LimitConfig, ...] = ()
    linked_store_ids: tuple[int, ...] = ()
    campaign_groups: tuple[int, ...] = ()
    # CodeGeneratorSettings documents, kept as sent.
    coupon_settings: dict[str, Any] | None = None
    referral_settings: dict[str, Any] | None = None
    active_ruleset_id: int | None = None

    def frontend_state(self, now: datetime) -> FrontendState:
        if self.state is CampaignState.ARCHIVED:
            return FrontendState.ARCHIVED
        if self.state is CampaignState.DISABLED:
            return FrontendState.DISABLED
        if self.start_time is not None and self.start_time > now:
            return FrontendState.SCHEDULED
        if self.end_time is not None and self.end_time <= now:
            return FrontendState.EXPIRED
        return FrontendState.RUNNING


@dataclass(frozen=True)
class CampaignQuery:
    """The filters of GET …/campaigns. `frontend_state` is one of FrontendState's values or
    "enabled" (every enabled campaign, whatever its schedule)."""

    frontend_state: str | None = None
    name: str | None = None
    tags: tuple[str, ...] = ()
    created_before: datetime | None = None
    created_after: datetime | None = None
    campaign_group_id: int | None = None
    store_id: int | None = None
    template_id: int | None = None


@dataclass(frozen=True)
class EvaluationGroup:
    """A node of the application's evaluation tree; the root has no parent."""

    id: int
    parent_id: int | None
    name: str
    mode: EvaluationMode
    scope: EvaluationScope
    # Place among the campaigns and subgroups of its parent, lowest first.
    position: int
    locked: bool = False
    description: str = ""


@dataclass(frozen=True)
class CustomEffectParam:
    """One argument of a custom effect (Talon.One's TemplateArgDef)."""

    type: str
    title: str
    key: str | None = None
    description: str = ""
    # Arbitrary metadata for the Campaign Manager to render an input with.
    ui: dict[str, Any] = field(default_factory=dict)
    picklist_id: int | None = None
    restricted_by_picklist: bool | None = None

    @property
    def name(self) -> str:
        """What `${$name}` in the payload refers to: the key when there is one, else the title."""
        return self.key if self.key else self.title


@dataclass(frozen=True)
class CustomEffect:
    id: int
    account_id: int
    name: str
    title: str
    # A JSON template: `${$name}` placeholders stand for the params' values.
    payload: str
    created: datetime
    modified: datetime
    created_by: int = 0
    modified_by: int | None = None
    params: tuple[CustomEffectParam, ...] = ()
    is_per_item: bool = False
    enabled: bool = True
    # Empty: every application of the account.
    application_ids: tuple[int, ...] = ()
    description: str = ""

    def applies_to(self, application_id: int) -> bool:
        return not self.application_ids or application_id in self.application_ids


@dataclass(frozen=True)
class ActiveCampaign:
    """A campaign that may be evaluated and the ruleset it evaluates (None: no rules yet)."""

    campaign: Campaign
    ruleset: Ruleset | None


@dataclass(frozen=True)
class EvaluationSetup:
    """Everything the engine needs to evaluate an application's campaigns, as of `revision`."""

    application_id: int
    revision: int
    groups: tuple[EvaluationGroup, ...]
    campaigns: tuple[ActiveCampaign, ...]
    custom_effects: tuple[CustomEffect, ...]
