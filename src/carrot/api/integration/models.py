"""Request bodies of the Integration API, as Talon.One's models name and bound them."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator, model_validator

from carrot.api.wire import WireModel
from carrot.domain.session import SessionState
from carrot.service.attributes import unstorable_text

MAX_CART_ITEMS = 1000
MAX_TOTAL_QUANTITY = 10_000
MAX_IDENTIFIERS = 5


def storable(text: str) -> str:
    # Neither database keeps every Python string (PostgreSQL no NUL, neither a lone surrogate
    # that a JSON escape can smuggle in): refused here, on both alike, not failed in the store.
    reason = unstorable_text(text)
    if reason is not None:
        raise ValueError(f"the text {reason}")
    return text


def storable_document(document: dict[str, Any]) -> dict[str, Any]:
    """Free-form JSON (attributes): every key and string storable, however deep."""
    pending: list[Any] = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            pending += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            pending += value
        elif isinstance(value, str):
            storable(value)
    return document


Plain = Annotated[str, AfterValidator(storable)]
Document = Annotated[dict[str, Any], AfterValidator(storable_document)]
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
