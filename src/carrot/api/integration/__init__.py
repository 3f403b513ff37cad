"""Integration API (`Authorization: ApiKey-v1 <key>`): what the shop's backend sends in real time."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["integration"])
