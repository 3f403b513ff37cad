"""PUT /v2/customer_profiles[/{integrationId}], GET /v1/customer_profiles/{integrationId}/inventory,
DELETE /v1/customer_data/{integrationId}."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Response
from pydantic import AfterValidator

from carrot.api import present
from carrot.api.auth import database, integration_call, integration_caller, integration_key
from carrot.api.integration.models import (
    CustomerProfileIntegrationRequestV2,
    MultipleCustomerProfileIntegrationRequest,
    ResponseContent,
    storable,
)
from carrot.api.management.coupons import coupon_wire
from carrot.api.management.referrals import referral_wire
from carrot.api.wire import json_response
from carrot.service import profiles, reservations
from carrot.service.keys import IntegrationCaller
from carrot.store.db import Database

router = APIRouter()

ProfileId = Annotated[
    str, Path(alias="integrationId", min_length=1, max_length=1000), AfterValidator(storable)
]


class Silent(StrEnum):
    YES = "yes"
    NO = "no"


@router.put("/v2/customer_profiles/{integrationId}", response_model=dict[str, Any])
async def update_customer_profile_v2(
    integration_id: ProfileId,
    body: Annotated[CustomerProfileIntegrationRequestV2, Body()],
    run_rule_engine: Annotated[bool, Query(alias="runRuleEngine")] = False,
    dry: Annotated[bool, Query()] = False,
    key: str = Depends(integration_key),
    db: Database = Depends(database),
) -> Response:
    def call(caller: IntegrationCaller) -> Response:
        state = profiles.update_customer_profile(
            db,
            caller,
            integration_id,
            body.attributes,
            run_rule_engine=run_rule_engine,
            dry=dry,
            only=body.evaluable_campaign_ids if dry else None,
            explain=ResponseContent.RULE_FAILURE_REASONS in body.response_content,
        )
        return json_response(present.integration_state(state, body.response_content))

    return await integration_call(db, key, call)


@router.put("/v2/customer_profiles", response_model=None)
def update_customer_profiles_v2(
    body: Annotated[MultipleCustomerProfileIntegrationRequest, Body()],
    silent: Annotated[Silent, Query()] = Silent.YES,
    caller: IntegrationCaller = Depends(integration_caller),
    db: Database = Depends(database),
) -> dict[str, Any] | Response:
    updates = [
        profiles.ProfileAttributes(item.integration_id, item.attributes)
        for item in body.customer_profiles
    ]
    updated = profiles.update_customer_profiles(db, caller, updates)
    if silent is Silent.YES:
        return Response(status_code=204)
    return {
        "integrationStates": [
            {"customerProfile": present.customer_profile(profile)} for profile in updated
        ]
    }


@router.get("/v1/customer_profiles/{integrationId}/inventory")
def get_customer_inventory(
    integration_id: ProfileId,
    profile: Annotated[bool, Query()] = False,
    coupons: Annotated[bool, Query()] = False,
    referrals: Annotated[bool, Query()] = False,
    caller: IntegrationCaller = Depends(integration_caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    """CustomerInventory: the profile when asked; with `coupons=true` the coupons it is the
    recipient of or holds a reservation of, and the implicitly reserved ones not meant for
    another profile (InventoryCoupon: the coupon, its `state` and the profile's
    `profileRedemptionCount`); with `referrals=true` the referral codes it advocates
    (InventoryReferral: with `referredCustomers`)."""
    found = profiles.get_profile(db, caller, integration_id)
    body: dict[str, Any] = {"coupons": [], "referrals": [], "giveaways": [], "achievements": []}
    if profile:
        body["profile"] = present.customer_profile(found)
    if coupons:
        body["coupons"] = [
            {
                **coupon_wire(held.coupon),
                "profileRedemptionCount": held.profile_redemption_count,
                "state": held.state,
            }
            for held in reservations.inventory_coupons(db, caller, integration_id)
        ]
    if referrals:
        body["referrals"] = [
            {**referral_wire(held.referral), "referredCustomers": held.referred_customers}
            for held in reservations.inventory_referrals(db, caller, integration_id)
        ]
    return body


@router.delete("/v1/customer_data/{integrationId}", status_code=204)
def delete_customer_data(
    integration_id: ProfileId,
    caller: IntegrationCaller = Depends(integration_caller),
    db: Database = Depends(database),
) -> Response:
    profiles.delete_customer_data(db, caller, integration_id)
    return Response(status_code=204)
