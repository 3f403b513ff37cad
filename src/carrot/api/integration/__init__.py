"""Integration API (`Authorization: ApiKey-v1 <key>`): what the shop's backend sends in real time."""

from __future__ import annotations

from fastapi import APIRouter

from carrot.api.integration import events, profiles, referrals, reservations, sessions

router = APIRouter(tags=["integration"])
router.include_router(sessions.router)
router.include_router(profiles.router)
router.include_router(events.router)
router.include_router(referrals.router)
router.include_router(reservations.router)
