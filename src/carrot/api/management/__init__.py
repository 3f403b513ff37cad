"""Management API v1 (`Authorization: ManagementKey-v1 <key>`): what marketers and back
offices configure."""

from __future__ import annotations

from fastapi import APIRouter

from carrot.api.management import (
    additional_costs,
    api_keys,
    applications,
    attributes,
    campaigns,
    coupons,
    custom_effects,
    customer_data,
    evaluation_groups,
    referrals,
    rulesets,
)

router = APIRouter(prefix="/v1", tags=["management"])
router.include_router(applications.router)
router.include_router(api_keys.router)
router.include_router(attributes.router)
router.include_router(additional_costs.router)
router.include_router(customer_data.router)
router.include_router(campaigns.router)
router.include_router(rulesets.router)
router.include_router(evaluation_groups.router)
router.include_router(custom_effects.router)
router.include_router(coupons.router)
router.include_router(referrals.router)
