"""Management API v1 (`Authorization: ManagementKey-v1 <key>`): what marketers and back offices configure."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1", tags=["management"])
