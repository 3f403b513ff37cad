"""Entities as Talon.One's wire models spell them (CustomerSessionV2, CustomerProfile, Event,
ApplicationSession, ApplicationEvent, ApplicationCustomer, Return)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from carrot.api.management.campaigns import campaign_wire
from carrot.api.management.coupons import coupon_wire
from carrot.api.management.referrals import referral_wire
from carrot.api.wire import json_values, number, timestamp
from carrot.domain.profile import CustomerProfile, Event
from carrot.domain.session import CartItem, CustomerSession
from carrot.service.clock import utcnow
from carrot.service.customers import IntegrationState


def cart_item(item: CartItem, position: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": item.name,
        "sku": item.sku,
        "quantity": item.quantity,
        "returnedQuantity": item.returned_quantity,
        "remainingQuantity": item.remaining_quantity,
        "price": number(item.price),
        "position": position,
        "attributes": json_values(item.attributes),
    }
    optional = {
        "category": item.category,
        "product": item.product,
        "weight": number(item.weight),
        "height": number(item.height),
        "width": number(item.width),
        "length": number(item.length),
    }
    body.update({key: value for key, value in optional.items() if value is not None})
    if item.additional_costs:
        body["additionalCosts"] = {
            name: {"price": number(price)} for name, price in item.additional_costs.items()
        }
    return body


def customer_session(session: CustomerSession) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": session.id,
        "created": timestamp(session.created),
        "integrationId": session.integration_id,
        "applicationId": session.application_id,
        "profileId": session.profile_integration_id,
        "couponCodes": session.coupon_codes,
        "referralCode": session.referral_code,
        "loyaltyCards": session.loyalty_cards,
        "state": session.state.value,
        "cartItems": [cart_item(item, i) for i, item in enumerate(session.cart_items)],
        "additionalCosts": {
            name: {"price": number(price)} for name, price in session.additional_costs.items()
        },
        "identifiers": session.identifiers,
        "attributes": json_values(session.attributes),
        "firstSession": session.first_session,
        "total": number(session.total),
        "cartItemTotal": number(session.cart_item_total),
        "additionalCostTotal": number(session.additional_cost_total),
        "updated": timestamp(session.updated),
        "updateCount": session.update_count,
    }
    if session.store_integration_id is not None:
        body["storeIntegrationId"] = session.store_integration_id
    return body


def customer_profile(profile: CustomerProfile) -> dict[str, Any]:
    return {
        "id": profile.id,
        "created": timestamp(profile.created),
        "integrationId": profile.integration_id,
        "attributes": json_values(profile.attributes),
        "accountId": profile.account_id,
        "closedSessions": profile.closed_sessions,
        "totalSales": number(profile.total_sales),
        "audienceMemberships": [],
        "lastActivity": timestamp(profile.last_activity or profile.created),
        "sandbox": profile.sandbox,
    }


def event(event: Event) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": event.id,
        "created": timestamp(event.created),
        "applicationId": event.application_id,
        "profileId": event.profile_integration_id,
        "type": event.type,
        "attributes": json_values(event.attributes),
        "sessionId": event.session_integration_id,
        "effects": event.effects,
        "ledgerEntries": [],
        "meta": event.meta,
    }
    if event.store_integration_id is not None:
        body["storeIntegrationId"] = event.store_integration_id
    return body


def model_return(row: Any, session: CustomerSession) -> dict[str, Any]:
    return {
        "id": row.id,
        "created": timestamp(row.created),
        "applicationId": row.application_id,
        "accountId": row.account_id,
        "returnedCartItems": row.returned_cart_items,
        "eventId": row.event_id,
        "sessionId": session.id,
        "sessionIntegrationId": session.integration_id,
        "profileId": row.profile_id,
        "profileIntegrationId": session.profile_integration_id,
        "createdBy": 0,
    }


def integration_state(state: IntegrationState, response_content: Sequence[str]) -> dict[str, Any]:
    """IntegrationStateV2 (and the profile/event responses, which are subsets of it): effects
    and created entities always, the rest when `responseContent` asks for it."""
    evaluation = state.evaluation
    body: dict[str, Any] = {
        "effects": evaluation.effects,
        "createdCoupons": [coupon_wire(coupon) for coupon in evaluation.created_coupons],
        "createdReferrals": [referral_wire(referral) for referral in evaluation.created_referrals],
    }
    wanted = set(response_content)
    if "customerSession" in wanted and state.session is not None:
        body["customerSession"] = customer_session(state.session)
    if "customerProfile" in wanted and state.profile is not None:
        body["customerProfile"] = customer_profile(state.profile)
    if "event" in wanted and state.event is not None:
        body["event"] = event(state.event)
    if "triggeredCampaigns" in wanted:
        body["triggeredCampaigns"] = [
            campaign_wire(campaign, utcnow()).model_dump(mode="json", by_alias=True)
            for campaign in evaluation.triggered_campaigns
        ]
    if "ruleFailureReasons" in wanted:
        body["ruleFailureReasons"] = evaluation.rule_failure_reasons
    if "coupons" in wanted:
        body["coupons"] = [coupon_wire(coupon) for coupon in evaluation.coupons]
    if "referral" in wanted and evaluation.referral is not None:
        body["referral"] = referral_wire(evaluation.referral)
    if state.returned is not None and state.session is not None:
        body["return"] = model_return(state.returned, state.session)
        if "previousReturns" in wanted:
            body["previousReturns"] = [
                model_return(r, state.session) for r in state.previous_returns
            ]
    return body


# Management API views ----------------------------------------------------------------------


def application_session(session: CustomerSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "created": timestamp(session.created),
        "integrationId": session.integration_id,
        "storeIntegrationId": session.store_integration_id,
        "applicationId": session.application_id,
        "profileId": session.profile_id,
        "profileintegrationid": session.profile_integration_id,
        "coupon": ",".join(session.coupon_codes),
        "referral": session.referral_code,
        "state": session.state.value,
        "cartItems": [cart_item(item, i) for i, item in enumerate(session.cart_items)],
        "discounts": {},
        "totalDiscounts": 0,
        "total": number(session.total),
        "attributes": json_values(session.attributes),
    }


def application_customer(profile: CustomerProfile) -> dict[str, Any]:
    return customer_profile(profile)


def application_event(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "created": timestamp(event.created),
        "applicationId": event.application_id,
        "profileId": event.profile_id,
        "storeIntegrationId": event.store_integration_id,
        "sessionId": event.session_id,
        "type": event.type,
        "attributes": json_values(event.attributes),
        "effects": event.effects,
        "ruleFailureReasons": [],
    }
