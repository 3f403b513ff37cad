"""Request bodies of the Integration API, as Talon.One's models name and bound them."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator, model_validator

from carrot.api.wire import WireModel
from carrot.domain.session import SessionState

MAX_CART_ITEMS = 1000
MAX_TOTAL_QUANTITY = 10_000
MAX_IDENTIFIERS = 5

NUL = "\x00"


def _without_nul(text: str) -> str:
    # PostgreSQL stores U+0000 neither in text nor in JSON, and no shop means to send it:
    # refused here, on every database alike, instead of failing in the store.
    if NUL in text:
        raise ValueError("the NUL character (U+0000) is not allowed")
    return text


def _document_without_nul(document: dict[str, Any]) -> dict[str, Any]:
    """Free-form JSON (attributes): no NUL in any key or string, however deep."""
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        pointer, value = pending.pop()
        if isinstance(value, dict):
            for key, inner in value.items():
                inner_pointer = pointer + "/" + key.replace("~", "~0").replace("/", "~1")
                pending.append((inner_pointer, key))
                pending.append((inner_pointer, inner))
        elif isinstance(value, list):
            pending.extend((f"{pointer}/{i}", inner) for i, inner in enumerate(value))
        elif isinstance(value, str) and NUL in value:
            raise ValueError(f"the NUL character (U+0000) is not allowed (at '{pointer}')")
    return document


Plain = Annotated[str, AfterValidator(_without_nul)]
Document = Annotated[dict[str, Any], AfterValidator(_document_without_nul)]
Money = Annotated[Decimal, Field(ge=0, allow_inf_nan=False, max_digits=30)]
Measure = Annotated[Decimal, Field(ge=0, allow_inf_nan=False, max_digits=30)]
Text = Annotated[Plain, Field(max_length=1000)]
IntegrationId = Annotated[Plain, Field(min_length=1, max_length=1000)]


class ResponseContent(StrEnum):
    CUSTOMER_SESSION = "customerSession"
    CUSTOMER_PROFILE = "customerProfile"
    COUPONS = "coupons"
    TRIGGERED_CAMPAIGNS = "triggeredCampaigns"
    REFERRAL = "referral"
    LOYALTY = "loyalty"
    EVENT = "event"
    AWARDED_GIVEAWAYS = "awardedGiveaways"
    RULE_FAILURE_REASONS = "ruleFailureReasons"
    PREVIOUS_RETURNS = "previousReturns"


class AdditionalCost(WireModel):
    price: Money


class Product(WireModel):
    name: Text


class CartItem(WireModel):
    name: Text = ""
    sku: IntegrationId
    quantity: Annotated[int, Field(ge=1, le=MAX_TOTAL_QUANTITY)]
    price: Money
    category: Text | None = None
    product: Product | None = None
    weight: Measure | None = None
    height: Measure | None = None
    width: Measure | None = None
    length: Measure | None = None
    attributes: Document = Field(default_factory=dict)
    additional_costs: dict[Plain, AdditionalCost] = Field(default_factory=dict)


class NewCustomerSessionV2(WireModel):
    profile_id: Annotated[Plain, Field(max_length=1000)] | None = None
    store_integration_id: IntegrationId | None = None
    evaluable_campaign_ids: list[int] | None = None
    coupon_codes: (
        Annotated[list[Annotated[Plain, Field(max_length=1000)]], Field(max_length=100)] | None
    ) = None
    referral_code: Annotated[Plain, Field(max_length=100)] | None = None
    loyalty_cards: Annotated[list[Text], Field(max_length=100)] | None = None
    state: SessionState | None = None
    cart_items: Annotated[list[CartItem], Field(max_length=MAX_CART_ITEMS)] | None = None
    additional_costs: dict[Plain, AdditionalCost] | None = None
    identifiers: Annotated[list[Text], Field(max_length=MAX_IDENTIFIERS)] | None = None
    attributes: Document | None = None

    @field_validator("cart_items")
    @classmethod
    def _bounded_quantity(cls, items: list[CartItem] | None) -> list[CartItem] | None:
        total = sum(item.quantity for item in items or [])
        if total > MAX_TOTAL_QUANTITY:
            raise ValueError(
                f"the quantities of all cart items add up to {total}; at most "
                f"{MAX_TOTAL_QUANTITY} are allowed"
            )
        return items


class IntegrationRequest(WireModel):
    customer_session: NewCustomerSessionV2
    response_content: list[ResponseContent] = Field(default_factory=list)


class CustomerProfileIntegrationRequestV2(WireModel):
    attributes: Document | None = None
    evaluable_campaign_ids: list[int] | None = None
    audiences_changes: Document | None = None
    response_content: list[ResponseContent] = Field(default_factory=list)

    @model_validator(mode="after")
    def _no_audiences(self) -> CustomerProfileIntegrationRequestV2:
        changes = self.audiences_changes or {}
        if changes.get("adds") or changes.get("deletes"):
            raise ValueError("audiences are not supported by this version of carrot")
        return self


class MultipleCustomerProfileIntegrationRequestItem(WireModel):
    integration_id: IntegrationId
    attributes: Document = Field(default_factory=dict)


class MultipleCustomerProfileIntegrationRequest(WireModel):
    customer_profiles: Annotated[
        list[MultipleCustomerProfileIntegrationRequestItem], Field(min_length=1, max_length=1000)
    ]


class IntegrationEventV2Request(WireModel):
    profile_id: Annotated[Plain, Field(max_length=1000)] = ""
    store_integration_id: IntegrationId | None = None
    evaluable_campaign_ids: list[int] | None = None
    type: IntegrationId
    attributes: Document = Field(default_factory=dict)
    loyalty_cards: Annotated[list[Text], Field(max_length=1)] | None = None
    response_content: list[ResponseContent] = Field(default_factory=list)


class ReturnedCartItem(WireModel):
    position: Annotated[int, Field(ge=0)]
    quantity: Annotated[int, Field(ge=1)] | None = None


class NewReturn(WireModel):
    returned_cart_items: Annotated[
        list[ReturnedCartItem], Field(min_length=1, max_length=MAX_CART_ITEMS)
    ]


class ReturnIntegrationRequest(WireModel):
    return_: NewReturn = Field(alias="return")
    response_content: list[ResponseContent] = Field(default_factory=list)
