"""Management API wire models, field for field as Talon.One's (NewApplication, Application,
CreateApplicationAPIKey, ApplicationAPIKey, NewAttribute, Attribute, EventType,
NewAdditionalCost, AccountAdditionalCost). Request models check shape, types and enums;
the service checks what needs the database."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import AfterValidator, Field, PlainValidator, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from carrot.api.wire import WireModel
from carrot.service.attributes import parse_rfc3339, unstorable_text

INT64_MAX = 2**63 - 1

# Path and query parameters. Ids beyond 64 bits are refused before they reach the database.
ApplicationId = Annotated[int, Path(alias="applicationId", ge=1, le=INT64_MAX)]
PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=1000)]
Skip = Annotated[int, Query(ge=0, le=INT64_MAX)]


def _storable(text: str | None) -> str | None:
    reason = None if text is None else unstorable_text(text)
    if reason is not None:
        raise PydanticCustomError("unstorable_text", "The text " + reason)
    return text


# Body fields: strict, so a number is never taken for a string or a string for a boolean;
# text the databases cannot keep (NUL, lone surrogates) is refused up front.
Name = Annotated[str, Field(strict=True, min_length=1, max_length=1000), AfterValidator(_storable)]
Text = Annotated[str, Field(strict=True), AfterValidator(_storable)]
ShortText = Annotated[str, Field(strict=True, max_length=1000), AfterValidator(_storable)]
QueryText = Annotated[str | None, Query(max_length=1000), AfterValidator(_storable)]
Flag = Annotated[bool, Field(strict=True)]
Int64 = Annotated[int, Field(strict=True, ge=-INT64_MAX, le=INT64_MAX)]
Id = Annotated[int, Field(strict=True, ge=1, le=INT64_MAX)]


def _rfc3339(value: Any) -> datetime:
    if not isinstance(value, str):
        raise PydanticCustomError("rfc3339", "Expected an RFC 3339 timestamp string")
    try:
        return parse_rfc3339(value)
    except ValueError as error:
        raise PydanticCustomError("rfc3339", "The time {error}", {"error": str(error)}) from None


Timestamp = Annotated[
    datetime,
    PlainValidator(_rfc3339),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class RequestModel(WireModel):
    """A request body. `null` counts as leaving the field out, as Talon.One's Go decoder
    and SDKs (which drop unset fields) treat it."""

    @model_validator(mode="before")
    @classmethod
    def _null_means_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


# --- applications ----------------------------------------------------------------------

CaseSensitivity = Literal["sensitive", "insensitive-uppercase", "insensitive-lowercase"]
DiscountScope = Literal["sessionTotal", "cartItems", "additionalCosts"]
PerItemDiscountScope = Literal["price", "itemTotal", "additionalCosts"]
LimitAction = Literal[
    "redeemCoupon",
    "redeemReferral",
    "setDiscount",
    "setDiscountEffect",
    "createCoupon",
    "createReferral",
    "createLoyaltyPoints",
    "redeemLoyaltyPoints",
    "customEffect",
    "createLoyaltyPointsEffect",
    "redeemLoyaltyPointsEffect",
    "callApi",
    "awardGiveaway",
    "addFreeItemEffect",
    "reserveCoupon",
]
LimitPeriod = Literal["daily", "weekly", "monthly", "yearly"]
LimitEntity = Literal["Coupon", "Referral", "Profile", "Identifier", "Store", "Session"]


class LimitConfig(RequestModel):
    action: LimitAction
    limit: Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]
    period: LimitPeriod | None = None
    entities: list[LimitEntity]

    def document(self) -> dict[str, Any]:
        """The limit as stored and sent back: `period` only when there is one."""
        return self.model_dump(by_alias=True, exclude_none=True)


class NewApplication(RequestModel):
    """The body of POST /v1/applications and (as UpdateApplication) PUT …/{applicationId}."""

    name: Name
    description: Text = ""
    timezone: Annotated[str, Field(strict=True, min_length=1, max_length=64)]
    currency: Annotated[str, Field(strict=True, min_length=1, max_length=16)]
    case_sensitivity: CaseSensitivity = "sensitive"
    attributes: dict[str, Any] = Field(default_factory=dict)
    limits: list[LimitConfig] = Field(default_factory=list)
    default_discount_scope: DiscountScope = "sessionTotal"
    default_discount_additional_cost_per_item_scope: PerItemDiscountScope = "price"
    enable_cascading_discounts: Flag = False
    enable_flattened_cart_items: Flag = False
    enable_partial_discounts: Flag = False
    sandbox: Flag = False


class Application(WireModel):
    id: int
    created: str
    modified: str
    account_id: int
    name: str
    description: str
    timezone: str
    currency: str
    case_sensitivity: str
    attributes: dict[str, Any]
    limits: list[dict[str, Any]]
    default_discount_scope: str
    default_discount_additional_cost_per_item_scope: str
    enable_cascading_discounts: bool
    enable_flattened_cart_items: bool
    enable_partial_discounts: bool
    sandbox: bool
    default_evaluation_group_id: int | None = None
    enable_campaign_state_management: bool = False
    loyalty_programs: list[dict[str, Any]] = Field(default_factory=list)


class ApplicationPage(WireModel):
    total_result_size: int
    data: list[Application]


# --- Integration API keys --------------------------------------------------------------

Platform = Literal[
    "none",
    "segment",
    "braze",
    "mparticle",
    "shopify",
    "iterable",
    "customer_engagement",
    "customer_data",
    "salesforce",
    "emarsys",
]


class CreateApplicationApiKey(RequestModel):
    title: Name
    expires: Timestamp
    platform: Platform = "none"
    type: Literal["", "staging"] = ""
    time_offset: Int64 = 0


class ApplicationApiKey(WireModel):
    """`type` is left out for an ordinary key: Talon.One's SDKs accept only "staging" there."""

    id: int
    title: str
    expires: str
    platform: str
    type: Literal["staging"] | None = None
    time_offset: int
    created_by: int
    account_id: int = Field(alias="accountID")
    application_id: int = Field(alias="applicationID")
    created: str


class NewApplicationApiKey(ApplicationApiKey):
    key: str


class ApplicationApiKeyPage(WireModel):
    total_result_size: int
    data: list[ApplicationApiKey]


# --- custom attributes and event types -------------------------------------------------

AttributeEntity = Literal[
    "Application",
    "Campaign",
    "CustomerProfile",
    "CustomerSession",
    "CartItem",
    "Coupon",
    "Event",
    "Giveaway",
    "LoyaltyCard",
    "Referral",
    "Store",
]
AttributeType = Literal[
    "string",
    "number",
    "boolean",
    "time",
    "location",
    "(list string)",
    "(list number)",
    "(list time)",
    "(list location)",
]


class NewAttribute(RequestModel):
    """The body of POST /v1/attributes and PUT /v1/attributes/{attributeId}."""

    entity: AttributeEntity
    event_type: ShortText = ""
    name: Name
    title: Name
    type: AttributeType
    description: Text = ""
    suggestions: list[ShortText] = Field(default_factory=list)
    has_allowed_list: Flag = False
    restricted_by_suggestions: Flag = False
    editable: Flag = True
    subscribed_applications_ids: list[Id] = Field(default_factory=list)


class Attribute(WireModel):
    id: int
    created: str
    account_id: int
    entity: str
    event_type: str | None = None
    event_type_id: int | None = None
    name: str
    title: str
    type: str
    description: str
    suggestions: list[str]
    has_allowed_list: bool
    restricted_by_suggestions: bool
    editable: bool
    subscribed_applications_ids: list[int]


class AttributePage(WireModel):
    total_result_size: int
    data: list[Attribute]


class EventType(WireModel):
    id: int
    created: str
    title: str
    name: str
    description: str


class EventTypePage(WireModel):
    total_result_size: int
    data: list[EventType]


# --- additional costs ------------------------------------------------------------------


class NewAdditionalCost(RequestModel):
    """The body of POST /v1/additional_costs and PUT …/{additionalCostId}."""

    name: Name
    title: Name
    description: Text = ""
    subscribed_applications_ids: list[Id] = Field(default_factory=list)
    type: Literal["session", "item", "both"] = "session"


class AccountAdditionalCost(WireModel):
    id: int
    created: str
    account_id: int
    name: str
    title: str
    description: str
    subscribed_applications_ids: list[int]
    type: str


class AccountAdditionalCostPage(WireModel):
    total_result_size: int
    data: list[AccountAdditionalCost]
