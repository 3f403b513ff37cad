"""What rules read: the Talang scope built for one call from the session, the profile, the
event, the application and the campaign. Every path is listed in docs/talang.md."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from carrot.domain.coupon import Coupon
from carrot.domain.profile import CustomerProfile
from carrot.domain.referral import Referral
from carrot.domain.session import CustomerSession
from carrot.engine.cart import CartBuckets, ItemBuckets, ItemKey, line_key
from carrot.engine.redemption import BudgetKey, CouponView, ReferralView
from carrot.talang import TextList

_NO_BUDGETS: Mapping[BudgetKey, Decimal] = MappingProxyType({})


@dataclass(frozen=True)
class ApplicationView:
    """The application settings the engine needs."""

    id: int
    currency: str
    places: int
    timezone: str
    attributes: dict[str, Any] = field(default_factory=dict)
    default_discount_scope: str = "sessionTotal"
    default_item_scope: str = "price"
    cascading: bool = False
    flattened: bool = False
    additional_cost_ids: dict[str, int] = field(default_factory=dict)
    partial_discounts: bool = False
    """enablePartialDiscounts: a discount larger than its budget's remainder gives what is
    left (with `desiredValue`) instead of being dropped."""


@dataclass(frozen=True)
class EventView:
    type: str
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CallContext:
    """Everything one Integration API call brings to the engine."""

    application: ApplicationView
    now: datetime
    session: CustomerSession | None = None
    profile: CustomerProfile | None = None
    event: EventView | None = None
    coupons: tuple[CouponView, ...] = ()
    """One per distinct code of `session.coupon_codes`, in order, as the store found it."""
    referral: ReferralView | None = None
    budgets: Mapping[BudgetKey, Decimal] = field(default_factory=lambda: _NO_BUDGETS)
    """Used amount of each counter `budgets.budget_keys` named (missing: 0)."""
    codes: Callable[[int, str], str] | None = None
    """(campaign id, "coupon" | "referral") -> a fresh code, for createCoupon/createReferral."""


def item_keys(session: CustomerSession | None, flattened: bool) -> list[tuple[ItemKey, int]]:
    """Each cart line, or each unit of it when flattened, with the cart item index it comes from.
    Returned units are left out: there is nothing left of them to discount."""
    if session is None:
        return []
    if not flattened:
        return [(line_key(position), position) for position in range(len(session.cart_items))]
    keys = []
    for position, item in enumerate(session.cart_items):
        keys += [(ItemKey(position, unit), position) for unit in range(item.remaining_quantity)]
    return keys


def cart_buckets(context: CallContext) -> CartBuckets:
    session = context.session
    app = context.application
    if session is None:
        return CartBuckets.of([], {}, app.places)
    buckets = []
    for key, position in item_keys(session, app.flattened):
        item = session.cart_items[position]
        units = 1 if app.flattened else item.remaining_quantity
        costs = item.additional_costs
        buckets.append(
            ItemBuckets(
                key,
                item.price * units,
                {name: price * units for name, price in costs.items()} if costs else {},
            )
        )
    # Cascading discounts read the buckets after every campaign: nothing to gain by deferring.
    return CartBuckets.of(buckets, session.additional_costs, app.places, defer=not app.cascading)


def build_scope(context: CallContext, buckets: CartBuckets | None = None) -> dict[str, Any]:
    """The bindings every rule sees. With cascading discounts on, `buckets` (what is left after
    earlier campaigns) supplies the Discounted… values."""
    app = context.application
    scope: dict[str, Any] = {
        "Application": {"Id": app.id, "Attributes": app.attributes, "Currency": app.currency},
        "Session": _session(context, buckets if app.cascading else None),
        "Profile": _profile(context.profile),
        "Event": _event(context.event),
    }
    return scope


def _session(context: CallContext, buckets: CartBuckets | None) -> dict[str, Any]:
    session = context.session
    if session is None:
        return {"Total": Decimal(0), "CartItemTotal": Decimal(0), "AdditionalCostTotal": Decimal(0),
                "CartItems": [], "CouponCodes": TextList(), "Identifiers": TextList(), "Attributes": {},
                "AdditionalCosts": {}, "ReferralCode": "", "State": "", "IsFirstSession": False,
                "StoreIntegrationId": "", "IntegrationId": ""}  # fmt: skip
    items = [
        _item(context, key, position, buckets)
        for key, position in item_keys(session, context.application.flattened)
    ]
    # session.total adds up the same two totals: each is worked out once.
    cart_item_total, additional_cost_total = session.cart_item_total, session.additional_cost_total
    view: dict[str, Any] = {
        "IntegrationId": session.integration_id,
        "Total": cart_item_total + additional_cost_total,
        "CartItemTotal": cart_item_total,
        "AdditionalCostTotal": additional_cost_total,
        "CartItems": items,
        "AdditionalCosts": dict(session.additional_costs),
        # Codes and identifiers are always str: a TextList lets Talang test membership fast.
        "CouponCodes": TextList(session.coupon_codes),
        "ReferralCode": session.referral_code,
        "Identifiers": TextList(session.identifiers),
        "State": session.state.value,
        "IsFirstSession": session.first_session,
        "StoreIntegrationId": session.store_integration_id or "",
        "Attributes": dict(session.attributes),
    }
    if buckets is not None:
        view["DiscountedTotal"] = buckets.total()
        view["DiscountedCartItemTotal"] = buckets.cart_item_total()
        view["DiscountedAdditionalCostTotal"] = buckets.additional_cost_total()
    return view


def _item(
    context: CallContext, key: ItemKey, position: int, buckets: CartBuckets | None
) -> dict[str, Any]:
    assert context.session is not None
    item = context.session.cart_items[position]
    flattened = context.application.flattened
    view: dict[str, Any] = {
        "Name": item.name,
        "SKU": item.sku,
        "Quantity": 1 if flattened else item.remaining_quantity,
        "Price": item.price,
        "Category": item.category or "",
        "Weight": item.weight,
        "Height": item.height,
        "Width": item.width,
        "Length": item.length,
        "Position": position,
        "Attributes": dict(item.attributes),
        "AdditionalCosts": dict(item.additional_costs),
    }
    if flattened:
        view["SubPosition"] = key.sub_position
    if buckets is not None:
        left = buckets.item(key)
        units = 1 if flattened else max(item.remaining_quantity, 1)
        view["DiscountedPrice"] = (left.price / units) if left is not None else Decimal(0)
    return view


def _profile(profile: CustomerProfile | None) -> dict[str, Any]:
    if profile is None:
        return {
            "IntegrationId": "",
            "Attributes": {},
            "TotalSales": Decimal(0),
            "ClosedSessions": 0,
        }
    return {
        "IntegrationId": profile.integration_id,
        "Attributes": dict(profile.attributes),
        "TotalSales": profile.total_sales,
        "ClosedSessions": profile.closed_sessions,
    }


def _event(event: EventView | None) -> dict[str, Any]:
    if event is None:
        return {"Type": "", "Attributes": {}}
    return {"Type": event.type, "Attributes": dict(event.attributes)}


def coupon_scope(coupon: Coupon) -> dict[str, Any]:
    """What a campaign's rules read as `Coupon`: the code the session carries for it."""
    terms = coupon.terms
    return {
        "Code": coupon.value,
        "Id": coupon.id,
        "Attributes": dict(terms.attributes),
        "UsageLimit": terms.usage_limit,
        "UsageCounter": coupon.usage_counter,
        "DiscountLimit": terms.discount_limit,
        "DiscountRemainder": coupon.discount_remainder,
        "StartDate": terms.start_date,
        "ExpiryDate": terms.expiry_date,
        "RecipientIntegrationId": terms.recipient_integration_id or "",
    }


def referral_scope(referral: Referral) -> dict[str, Any]:
    """What a campaign's rules read as `Referral`: the session's referral code."""
    terms = referral.terms
    return {
        "Code": referral.code,
        "Id": referral.id,
        "Attributes": dict(terms.attributes),
        "AdvocateProfileIntegrationId": referral.advocate_profile_integration_id,
        "FriendProfileIntegrationId": terms.friend_profile_integration_id or "",
        "UsageLimit": terms.usage_limit,
        "UsageCounter": referral.usage_counter,
        "StartDate": terms.start_date,
        "ExpiryDate": terms.expiry_date,
    }


# What rules can read, documented in docs/rules.md; a test checks it against build_scope.
PATHS: tuple[tuple[str, str, str], ...] = (
    ("Application.Id", "Decimal", "The application's id."),
    ("Application.Currency", "String", "The application's currency (ISO 4217)."),
    ("Application.Attributes.<name>", "any", "A custom attribute of the application."),
    ("Campaign.Id", "Decimal", "The campaign being evaluated."),
    ("Campaign.Name", "String", "Its name."),
    ("Campaign.Tags", "List", "Its tags."),
    ("Campaign.Attributes.<name>", "any", "A custom attribute of the campaign."),
    ("Session.IntegrationId", "String", "The session's id in the shop."),
    ("Session.Total", "Decimal", "Cart items and additional costs, before discounts."),
    ("Session.CartItemTotal", "Decimal", "Cart items (price × quantity), before discounts."),
    ("Session.AdditionalCostTotal", "Decimal", "Session and item additional costs, before discounts."),
    ("Session.CartItems", "List", "The cart items (units when the application flattens cart items); each reads as `Item` below."),
    ("Session.AdditionalCosts.<name>", "Decimal", "A session-level additional cost."),
    ("Session.CouponCodes", "List", "The coupon codes sent."),
    ("Session.ReferralCode", "String", "The referral code sent."),
    ("Session.Identifiers", "List", "The session's identifiers."),
    ("Session.State", "String", "open, closed, partially_returned or cancelled (the state being set)."),
    ("Session.IsFirstSession", "Boolean", "True when the profile has no earlier session in the application."),
    ("Session.StoreIntegrationId", "String", "The store, or empty."),
    ("Session.Attributes.<name>", "any", "A custom session attribute."),
    ("Session.DiscountedTotal", "Decimal", "With cascading discounts on: Session.Total less the discounts of earlier campaigns."),
    ("Session.DiscountedCartItemTotal", "Decimal", "With cascading discounts on: cart items less earlier discounts."),
    ("Session.DiscountedAdditionalCostTotal", "Decimal", "With cascading discounts on: additional costs less earlier discounts."),
    ("Item.Name", "String", "Inside a block over Session.CartItems: the item's name."),
    ("Item.SKU", "String", "Its SKU."),
    ("Item.Quantity", "Decimal", "Units not returned (1 when flattened)."),
    ("Item.Price", "Decimal", "The unit price."),
    ("Item.Category", "String", "Its category, or empty."),
    ("Item.Weight", "Decimal", "Weight (g), Null when not sent."),
    ("Item.Height", "Decimal", "Height (mm), Null when not sent."),
    ("Item.Width", "Decimal", "Width (mm), Null when not sent."),
    ("Item.Length", "Decimal", "Length (mm), Null when not sent."),
    ("Item.Position", "Decimal", "Its position in the cart (0-based)."),
    ("Item.SubPosition", "Decimal", "When flattened: the unit's index within its line."),
    ("Item.Attributes.<name>", "any", "A custom cart item attribute."),
    ("Item.AdditionalCosts.<name>", "Decimal", "An additional cost of the item, per unit."),
    ("Item.DiscountedPrice", "Decimal", "With cascading discounts on: the unit price less earlier discounts."),
    ("Profile.IntegrationId", "String", "The customer's id in the shop, or empty for anonymous sessions."),
    ("Profile.TotalSales", "Decimal", "The customer's sales before this change counts."),
    ("Profile.ClosedSessions", "Decimal", "Closed sessions before this change counts."),
    ("Profile.Attributes.<name>", "any", "A custom profile attribute."),
    ("Event.Type", "String", "The event: talon_session_created, talon_session_updated, talon_session_closed, talon_profile_created, talon_profile_updated, talon_session_partially_returned, or a custom event type."),
    ("Event.Attributes.<name>", "any", "An attribute of a custom event."),
    ("Coupon.Code", "String", "In a campaign the session sends a code of: that code (one per campaign; see couponValid)."),
    ("Coupon.Id", "Decimal", "The coupon's id."),
    ("Coupon.Attributes.<name>", "any", "A custom attribute of the coupon."),
    ("Coupon.UsageLimit", "Decimal", "How many times it may be redeemed (0: unlimited)."),
    ("Coupon.UsageCounter", "Decimal", "How many times it was redeemed."),
    ("Coupon.DiscountLimit", "Decimal", "The total discount it may give (0: no limit)."),
    ("Coupon.DiscountRemainder", "Decimal", "What it may still give; Null without a discount limit."),
    ("Coupon.StartDate", "Time", "From when it may be redeemed, Null when not set."),
    ("Coupon.ExpiryDate", "Time", "Until when it may be redeemed, Null when it never expires."),
    ("Coupon.RecipientIntegrationId", "String", "The only profile that may redeem it, or empty."),
    ("Referral.Code", "String", "In the campaign of the session's referral code: that code (see referralValid)."),
    ("Referral.Id", "Decimal", "The referral's id."),
    ("Referral.Attributes.<name>", "any", "A custom attribute of the referral."),
    ("Referral.AdvocateProfileIntegrationId", "String", "The advocate who shared the code."),
    ("Referral.FriendProfileIntegrationId", "String", "The friend it is meant for, or empty."),
    ("Referral.UsageLimit", "Decimal", "How many times it may be redeemed (0: unlimited)."),
    ("Referral.UsageCounter", "Decimal", "How many times it was redeemed."),
    ("Referral.StartDate", "Time", "From when it may be redeemed, Null when not set."),
    ("Referral.ExpiryDate", "Time", "Until when it may be redeemed, Null when it never expires."),
)  # fmt: skip
