"""Management API v1 (`Authorization: ManagementKey-v1 <key>`): what marketers and back
offices configure."""

from __future__ import annotations

from fastapi import APIRouter

from carrot.api.management import api_keys, applications, customer_data

router = APIRouter(prefix="/v1", tags=["management"])
router.include_router(applications.router)
router.include_router(api_keys.router)
router.include_router(customer_data.router)
