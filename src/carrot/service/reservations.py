"""Coupon reservations (POST|DELETE /v1/coupon_reservations/{couponValue}, GET
…/customerprofiles/{couponValue}) and the coupons and referrals of a profile's inventory.

A reservation puts a coupon in a profile's wallet (its inventory); when the coupon's
reservation is mandatory, only profiles holding one may redeem it. A coupon's
reservationLimit (0 unlimited) bounds how many profiles hold it, through a guarded update of
its reservationCounter."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from carrot.domain.coupon import Coupon
from carrot.domain.errors import BadRequest, NotFound, Problem
from carrot.domain.profile import CustomerProfile
from carrot.domain.referral import Referral, ReferralQuery
from carrot.service.clock import utcnow
from carrot.service.codes import in_application_case
from carrot.service.customers import require_dry_for_staging
from carrot.service.keys import IntegrationCaller
from carrot.service.redemption import reserve, unreserve
from carrot.store import coupons as coupon_store
from carrot.store import customers as customer_store
from carrot.store import ledger, tables
from carrot.store import referrals as referral_store
from carrot.store.db import Database, retried

IDS_POINTER = "/integrationIDs"


@retried
def reserve_coupon(
    db: Database, caller: IntegrationCaller, value: str, integration_ids: list[str]
) -> Coupon:
    """Reserve the coupon for each profile (created on first mention); profiles holding it
    already keep their reservation. All or nothing: when the reservationLimit leaves no room
    for all of them, nothing is reserved (400)."""
    require_dry_for_staging(caller, False)
    when = utcnow()
    with db.write() as conn:
        coupon = _coupon(conn, caller, value)
        problems = []
        for index, integration_id in enumerate(dict.fromkeys(integration_ids)):
            customer_store.lock_or_create_profile(
                conn, caller.account_id, caller.sandbox, integration_id, when
            )
            if reserve(conn, caller.application_id, coupon.id, integration_id, when) is None:
                problems.append(_full(coupon, integration_id, index))
        if problems:
            raise BadRequest(problems[0].details, problems)
        return _coupon(conn, caller, value)


def _full(coupon: Coupon, integration_id: str, index: int) -> Problem:
    return Problem(
        "Reservation limit reached",
        f"Coupon '{coupon.value}' has reached its reservationLimit of "
        f"{coupon.terms.reservation_limit}; it cannot be reserved for '{integration_id}'.",
        f"{IDS_POINTER}/{index}",
    )


@retried
def unreserve_coupon(
    db: Database, caller: IntegrationCaller, value: str, integration_ids: list[str]
) -> None:
    """Remove the profiles' reservations of the coupon; a profile without one is skipped."""
    require_dry_for_staging(caller, False)
    with db.write() as conn:
        coupon = _coupon(conn, caller, value)
        for integration_id in dict.fromkeys(integration_ids):
            unreserve(conn, caller.application_id, coupon.id, integration_id)


def reserved_profiles(db: Database, caller: IntegrationCaller, value: str) -> list[CustomerProfile]:
    """The profiles holding a reservation of the coupon, in the order they reserved it."""
    with db.read() as conn:
        coupon = _coupon(conn, caller, value)
        reservations, profiles = tables.coupon_reservations, tables.customer_profiles
        rows = conn.execute(
            sa.select(profiles)
            .join(
                reservations,
                sa.and_(
                    reservations.c.profile_integration_id == profiles.c.integration_id,
                    profiles.c.account_id == caller.account_id,
                    profiles.c.sandbox == caller.sandbox,
                ),
            )
            .where(
                reservations.c.application_id == caller.application_id,
                reservations.c.coupon_id == coupon.id,
            )
            .order_by(reservations.c.id)
        )
        return [customer_store.profile_from_row(row) for row in rows]


def _coupon(conn: Connection, caller: IntegrationCaller, value: str) -> Coupon:
    apps, coupons = tables.applications, tables.coupons
    case = conn.execute(
        sa.select(apps.c.case_sensitivity).where(apps.c.id == caller.application_id)
    ).scalar_one()
    row = conn.execute(
        sa.select(coupons).where(
            coupons.c.application_id == caller.application_id,
            coupons.c.value_lookup == in_application_case(value, case),
        )
    ).first()
    if row is None:
        raise NotFound(f"Coupon '{value}' not found in this application.")
    return coupon_store.coupon_from_row(row)


# --- inventory -------------------------------------------------------------------------


@dataclass(frozen=True)
class InventoryCoupon:
    """A coupon in a profile's inventory: its state for now, and how often the profile
    redeemed it."""

    coupon: Coupon
    state: str
    profile_redemption_count: int


# Implicitly reserved coupons an inventory lists at most (the newest): every profile sees
# them, and an application may make many.
VISIBLE_TO_ALL_LIMIT = 1000


def inventory_coupons(
    db: Database, caller: IntegrationCaller, profile_integration_id: str
) -> list[InventoryCoupon]:
    """The application's coupons the profile is the recipient of or holds a reservation of,
    and those implicitly reserved for everyone (the newest VISIBLE_TO_ALL_LIMIT) unless
    meant for another profile; in id order."""
    now = utcnow()
    with db.read() as conn:
        held = _held_coupons(conn, caller.application_id, profile_integration_id)
        visible = _visible_to_all(conn, caller.application_id, profile_integration_id)
        by_id = {coupon.id: coupon for coupon in [*held, *visible]}
        found = [by_id[coupon_id] for coupon_id in sorted(by_id)]
        counts = _redemptions(conn, caller.application_id, profile_integration_id, found)
    return [
        InventoryCoupon(coupon, coupon_state(coupon, now), counts.get(coupon.id, 0))
        for coupon in found
    ]


def _held_coupons(
    conn: Connection, application_id: int, profile_integration_id: str
) -> list[Coupon]:
    """The coupons the profile is the recipient of or holds a reservation of."""
    coupons, reservations = tables.coupons, tables.coupon_reservations
    reserved = sa.select(reservations.c.coupon_id).where(
        reservations.c.application_id == application_id,
        reservations.c.profile_integration_id == profile_integration_id,
    )
    rows = conn.execute(
        sa.select(coupons).where(
            coupons.c.application_id == application_id,
            sa.or_(
                coupons.c.recipient_integration_id == profile_integration_id,
                coupons.c.id.in_(reserved),
            ),
        )
    )
    return [coupon_store.coupon_from_row(row) for row in rows]


def _visible_to_all(
    conn: Connection, application_id: int, profile_integration_id: str
) -> list[Coupon]:
    """The newest implicitly reserved coupons ("coupon visibility": soft-reserved for every
    profile) that have no recipient or this profile as theirs."""
    coupons = tables.coupons
    recipient = coupons.c.recipient_integration_id
    rows = conn.execute(
        sa.select(coupons)
        .where(
            coupons.c.application_id == application_id,
            coupons.c.implicitly_reserved,
            sa.or_(recipient.is_(None), recipient == "", recipient == profile_integration_id),
        )
        .order_by(coupons.c.id.desc())
        .limit(VISIBLE_TO_ALL_LIMIT)
    )
    return [coupon_store.coupon_from_row(row) for row in rows]


def coupon_state(coupon: Coupon, now: datetime) -> str:
    """active, used (no redemption or discount left), expired, or pending (not started)."""
    terms = coupon.terms
    if terms.expiry_date is not None and terms.expiry_date <= now:
        return "expired"
    if terms.start_date is not None and terms.start_date > now:
        return "pending"
    used_up = terms.usage_limit > 0 and coupon.usage_counter >= terms.usage_limit
    if used_up or coupon.discount_remainder == 0:
        return "used"
    return "active"


def _redemptions(
    conn: Connection, application_id: int, profile_integration_id: str, coupons: list[Coupon]
) -> dict[int, int]:
    """How many redemptions of each coupon the profile's sessions hold (from the ledger)."""
    if not coupons:
        return {}
    entries, sessions = tables.ledger, tables.customer_sessions
    rows = conn.execute(
        sa.select(entries.c.coupon_id, entries.c.amount)
        .join(sessions, sessions.c.id == entries.c.session_id)
        .where(
            entries.c.application_id == application_id,
            entries.c.kind == ledger.COUPON_USAGE,
            entries.c.coupon_id.in_([coupon.id for coupon in coupons]),
            sessions.c.profile_integration_id == profile_integration_id,
        )
    )
    counts: dict[int, Decimal] = defaultdict(Decimal)
    for coupon_id, amount in rows:
        counts[coupon_id] += amount
    return {coupon_id: int(count) for coupon_id, count in counts.items()}


@dataclass(frozen=True)
class InventoryReferral:
    """A referral code the profile advocates, with the profiles whose sessions redeemed it."""

    referral: Referral
    referred_customers: list[str]


def inventory_referrals(
    db: Database, caller: IntegrationCaller, profile_integration_id: str
) -> list[InventoryReferral]:
    """The application's referral codes the profile is the advocate of."""
    query = ReferralQuery(advocate=profile_integration_id)
    with db.read() as conn:
        found = referral_store.list_referrals(
            conn, caller.application_id, query, utcnow(), sort="id", limit=1000, skip=0
        )
        referred = _referred(conn, caller.application_id, [r.id for r in found])
    return [InventoryReferral(r, referred.get(r.id, [])) for r in found]


def _referred(
    conn: Connection, application_id: int, referral_ids: list[int]
) -> dict[int, list[str]]:
    """Per referral, the profiles whose sessions hold a redemption of it (from the ledger)."""
    if not referral_ids:
        return {}
    entries, sessions = tables.ledger, tables.customer_sessions
    rows = conn.execute(
        sa.select(entries.c.referral_id, sessions.c.profile_integration_id, entries.c.amount)
        .join(sessions, sessions.c.id == entries.c.session_id)
        .where(
            entries.c.application_id == application_id,
            entries.c.kind == ledger.REFERRAL_USAGE,
            entries.c.referral_id.in_(referral_ids),
        )
        .order_by(entries.c.id)
    )
    held: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for referral_id, profile, amount in rows:
        held[referral_id][profile] = held[referral_id].get(profile, Decimal(0)) + amount
    return {
        referral_id: [profile for profile, count in profiles.items() if profile and count > 0]
        for referral_id, profiles in held.items()
    }
