"""Management API wire models, field for field as Talon.One's (NewApplication, Application,
CreateApplicationAPIKey, ApplicationAPIKey, NewAttribute, Attribute, EventType,
NewAdditionalCost, AccountAdditionalCost). Request models check shape, types and enums;
the service checks what needs the database."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import Field, PlainValidator, WithJsonSchema, model_validator

from carrot.api.wire import WireModel
from carrot.service.attributes import parse_rfc3339

INT64_MAX = 2**63 - 1

# Path and query parameters. Ids beyond 64 bits are refused before they reach the database.
ApplicationId = Annotated[int, Path(alias="applicationId", ge=1, le=INT64_MAX)]
PageSize = Annotated[int, Query(alias="pageSize", ge=1, le=1000)]
Skip = Annotated[int, Query(ge=0, le=INT64_MAX)]

# Body fields: strict, so a number is never taken for a string or a string for a boolean.
Name = Annotated[str, Field(strict=True, min_length=1, max_length=1000)]
Text = Annotated[str, Field(strict=True)]
Flag = Annotated[bool, Field(strict=True)]
Int64 = Annotated[int, Field(strict=True, ge=-INT64_MAX, le=INT64_MAX)]
Id = Annotated[int, Field(strict=True, ge=1, le=INT64_MAX)]


def _rfc3339(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 timestamp string")
    return parse_rfc3339(value)


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
