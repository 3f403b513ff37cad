"""Coupons, referrals and budgets around one evaluation: the codes a session carries as the
store finds them, the used amount of every budget the rules may read, and — when the call
consumes (a close, an event, a profile update through the rules) — the guarded takes, the
codes and reservations the rules create, and the ledger rows; cancels, reopens and returns
give back what the session took."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from carrot.domain.campaign import Campaign
from carrot.domain.coupon import Coupon, folded
from carrot.domain.errors import Conflict
from carrot.domain.profile import CustomerProfile
from carrot.domain.referral import Referral
from carrot.domain.session import CustomerSession
from carrot.engine.redemption import (
    SET_DISCOUNT,
    CouponIntent,
    CouponView,
    ReferralCounter,
    ReferralIntent,
    ReferralView,
    ReservationIntent,
    Take,
)
from carrot.service.codes import CodeRequest, in_application_case, new_batch_id
from carrot.store import coupons as coupon_store
from carrot.store import ledger, tables
from carrot.store import referrals as referral_store
from carrot.store.db import DEADLOCK, sqlstate

log = logging.getLogger("carrot.redemption")

# Evaluations of one call that lost a race for a counter before it answers 409.
MAX_ATTEMPTS = 5
# Draws of a fresh code for createCoupon/createReferral before giving up on the pattern.
CODE_DRAWS = 20


# --- what the engine reads -------------------------------------------------------------


def code_views(
    conn: Connection,
    application_id: int,
    case_sensitivity: str,
    session: CustomerSession | None,
    profile: CustomerProfile | None,
) -> tuple[tuple[CouponView, ...], ReferralView | None]:
    """The session's coupon codes (one view per distinct code, in order) and referral code,
    looked up in the application's case; whether the profile holds a reservation of each."""
    if session is None:
        return (), None
    codes = list(dict.fromkeys(session.coupon_codes))
    found = _coupons_by_lookup(conn, application_id, case_sensitivity, codes, profile)
    coupons = tuple(
        CouponView(code, *found.get(in_application_case(code, case_sensitivity), (None, False)))
        for code in codes
    )
    referral = None
    if session.referral_code:
        lookup = in_application_case(session.referral_code, case_sensitivity)
        matches = referral_store.referrals_with_codes(conn, application_id, [lookup])
        referral = ReferralView(session.referral_code, matches[0] if matches else None)
    return coupons, referral


def _coupons_by_lookup(
    conn: Connection,
    application_id: int,
    case_sensitivity: str,
    codes: list[str],
    profile: CustomerProfile | None,
) -> dict[str, tuple[Coupon, bool]]:
    """One query: the coupons with these codes, each with whether the profile reserved it."""
    if not codes:
        return {}
    coupons, reservations = tables.coupons, tables.coupon_reservations
    holder = profile.integration_id if profile is not None else None
    joined = coupons.outerjoin(
        reservations,
        sa.and_(
            reservations.c.application_id == application_id,
            reservations.c.coupon_id == coupons.c.id,
            reservations.c.profile_integration_id == holder,
        ),
    )
    rows = conn.execute(
        sa.select(coupons, reservations.c.id.label("reservation_id"))
        .select_from(joined)
        .where(
            coupons.c.application_id == application_id,
            coupons.c.value_lookup.in_([in_application_case(c, case_sensitivity) for c in codes]),
        )
    )
    return {
        row.value_lookup: (coupon_store.coupon_from_row(row), row.reservation_id is not None)
        for row in rows
    }


class CodeMaker:
    """Fresh codes for createCoupon/createReferral, from the campaign's couponSettings or
    referralSettings in the application's case: not taken in the application, nor given
    earlier in this call."""

    def __init__(
        self,
        conn: Connection,
        application_id: int,
        case_sensitivity: str,
        campaigns: dict[int, Campaign],
    ) -> None:
        self._conn = conn
        self._application_id = application_id
        self._case = case_sensitivity
        self._campaigns = campaigns
        self._given: set[str] = set()

    def __call__(self, campaign_id: int, kind: str) -> str:
        campaign = self._campaigns.get(campaign_id)
        settings = None
        if campaign is not None:
            settings = campaign.coupon_settings if kind == "coupon" else campaign.referral_settings
        pattern = CodeRequest().pattern(settings, self._case)
        table, column = (
            (tables.coupons, "value_lookup")
            if kind == "coupon"
            else (tables.referrals, "code_lookup")
        )
        for code in pattern.random_codes(CODE_DRAWS):
            if code in self._given:
                continue
            taken = self._conn.execute(
                sa.select(table.c.id).where(
                    table.c.application_id == self._application_id, table.c[column] == code
                )
            ).first()
            if taken is None:
                self._given.add(code)
                return code
        raise Conflict(
            f"Campaign {campaign_id}'s {kind} code pattern '{pattern.pattern}' makes no new "
            "codes any more; give the campaign a longer pattern."
        )


# --- consuming -------------------------------------------------------------------------


@dataclass(frozen=True)
class Taken:
    """What one evaluation consumed: its result, and the ledger entries to record once the
    session or event the rows point at is stored."""

    result: Any
    entries: list[ledger.Entry] = field(default_factory=list)


def evaluate_and_take(
    conn: Connection,
    application_id: int,
    evaluate: Callable[[], Any],
    takes_of: Callable[[Any], Sequence[Take]],
    *,
    consuming: bool,
) -> Taken:
    """Run `evaluate` and, when the call consumes, apply the takes of its result inside a
    savepoint. A guard that fails means another transaction took first: roll back to the
    savepoint, lock the counters it was about, evaluate again on what is left now (the answer
    then says what was really given), up to MAX_ATTEMPTS times; then 409."""
    lost: Sequence[Take] = ()
    for _ in range(MAX_ATTEMPTS):
        if lost:
            _lock(conn, application_id, lost)
        result = evaluate()
        takes = takes_of(result)
        if not consuming or not takes:
            return Taken(result)
        savepoint = conn.begin_nested()
        try:
            entries = ledger.consume(conn, application_id, takes)
        except sa.exc.OperationalError as error:
            if sqlstate(error) != DEADLOCK:
                raise
            entries = None
        if entries is None:
            savepoint.rollback()
            lost = takes
            continue
        savepoint.commit()
        return Taken(result, entries)
    raise Conflict(
        "Budgets, coupons or referrals this call needs were changed by other calls at the "
        "same time, again and again; nothing was stored. Send the call again."
    )


def _lock(conn: Connection, application_id: int, takes: Sequence[Take]) -> None:
    """Hold the counters a lost race was about, so the next evaluation reads values no other
    close can change before this one takes (a savepoint keeps a deadlock from ending the
    call: the evaluation then runs without the locks)."""
    savepoint = conn.begin_nested()
    try:
        ledger.lock_counters(conn, application_id, takes)
    except sa.exc.OperationalError as error:
        savepoint.rollback()
        if sqlstate(error) != DEADLOCK:
            raise
        return
    savepoint.commit()


def set_referral_friends(
    conn: Connection, takes: Sequence[Take], profile_integration_id: str
) -> None:
    """The friend of an accepted single-use referral (usageLimit 1) is the profile that
    redeemed it, when none is set. A multi-use referral (usageLimit 0 or more than 1) never
    gets one here: it invites several friends, each of whom may redeem it up to its limit."""
    if not profile_integration_id:
        return
    referrals = tables.referrals
    for take in takes:
        if isinstance(take.counter, ReferralCounter):
            conn.execute(
                referrals.update()
                .where(
                    referrals.c.id == take.counter.referral_id,
                    referrals.c.usage_limit == 1,
                    sa.or_(
                        referrals.c.friend_profile_integration_id.is_(None),
                        referrals.c.friend_profile_integration_id == "",
                    ),
                )
                .values(friend_profile_integration_id=profile_integration_id)
            )


def codes_now(
    conn: Connection,
    coupons: list[Coupon],
    referral: Referral | None,
    entries: Sequence[ledger.Entry],
) -> tuple[list[Coupon], Referral | None]:
    """The session's coupons and referral read again when this call changed their counters
    (or, for a referral, its friend), so the answer shows them as stored."""
    kinds = {entry.kind for entry in entries}
    if coupons and kinds & {ledger.COUPON_USAGE, ledger.COUPON_DISCOUNT}:
        rows = conn.execute(
            sa.select(tables.coupons).where(tables.coupons.c.id.in_([c.id for c in coupons]))
        )
        fresh = {row.id: coupon_store.coupon_from_row(row) for row in rows}
        coupons = [fresh.get(coupon.id, coupon) for coupon in coupons]
    if referral is not None and ledger.REFERRAL_USAGE in kinds:
        row = conn.execute(
            sa.select(tables.referrals).where(tables.referrals.c.id == referral.id)
        ).first()
        referral = referral if row is None else referral_store.referral_from_row(row)
    return coupons, referral


# --- what rules create -----------------------------------------------------------------


def store_created_coupons(
    conn: Connection, application_id: int, intents: Sequence[CouponIntent], when: datetime
) -> list[Coupon]:
    if not intents:
        return []
    batch = new_batch_id()
    rows = [
        {
            "application_id": application_id,
            "campaign_id": intent.campaign_id,
            "value": intent.value,
            "value_lookup": intent.value,
            "value_folded": folded(intent.value),
            "created": when,
            "usage_limit": intent.usage_limit,
            "discount_limit": intent.discount_limit,
            "reservation_limit": 0,
            "start_date": intent.start_date,
            "expiry_date": intent.expiry_date,
            "recipient_integration_id": intent.recipient_integration_id,
            "attributes": intent.attributes or {},
            "limits": [],
            "batch_id": batch,
            "import_id": None,
            "referral_id": None,
            "is_reservation_mandatory": False,
            "implicitly_reserved": False,
        }
        for intent in intents
    ]
    stored = coupon_store.insert_new(conn, tables.coupons, "value_lookup", rows)
    coupons = tables.coupons
    found = conn.execute(
        sa.select(coupons)
        .where(coupons.c.application_id == application_id, coupons.c.value_lookup.in_(stored))
        .order_by(coupons.c.id)
    )
    return [coupon_store.coupon_from_row(row) for row in found]


def store_created_referrals(
    conn: Connection, application_id: int, intents: Sequence[ReferralIntent], when: datetime
) -> list[Referral]:
    if not intents:
        return []
    rows: list[dict[str, Any]] = [
        {
            "application_id": application_id,
            "campaign_id": intent.campaign_id,
            "code": intent.code,
            "code_lookup": intent.code,
            "code_folded": folded(intent.code),
            "advocate_profile_integration_id": intent.advocate_profile_integration_id,
            "friend_profile_integration_id": None,
            "start_date": None,
            "expiry_date": None,
            "usage_limit": intent.usage_limit,
            "attributes": {},
            "batch_id": None,
            "import_id": None,
            "created": when,
        }
        for intent in intents
    ]
    stored = coupon_store.insert_new(conn, tables.referrals, "code_lookup", rows)
    return referral_store.referrals_with_codes(conn, application_id, sorted(stored))


def store_reservations(
    conn: Connection, application_id: int, intents: Sequence[ReservationIntent], when: datetime
) -> None:
    for intent in intents:
        reserve(conn, application_id, intent.coupon_id, intent.profile_integration_id, when)


def reserve(
    conn: Connection,
    application_id: int,
    coupon_id: int,
    profile_integration_id: str,
    when: datetime,
) -> bool | None:
    """Reserve the coupon for the profile: True when new, False when held already, None when
    the coupon's reservationLimit is reached (nothing changes then)."""
    reservations, coupons = tables.coupon_reservations, tables.coupons
    held = conn.execute(
        sa.select(reservations.c.id).where(
            reservations.c.application_id == application_id,
            reservations.c.coupon_id == coupon_id,
            reservations.c.profile_integration_id == profile_integration_id,
        )
    ).first()
    if held is not None:
        return False
    counted = conn.execute(
        coupons.update()
        .where(
            coupons.c.id == coupon_id,
            sa.or_(
                coupons.c.reservation_limit == 0,
                coupons.c.reservation_counter + 1 <= coupons.c.reservation_limit,
            ),
        )
        .values(reservation_counter=coupons.c.reservation_counter + 1)
    )
    if counted.rowcount != 1:
        return None
    conn.execute(
        reservations.insert().values(
            application_id=application_id,
            coupon_id=coupon_id,
            profile_integration_id=profile_integration_id,
            created=when,
        )
    )
    return True


def unreserve(
    conn: Connection, application_id: int, coupon_id: int, profile_integration_id: str
) -> bool:
    reservations, coupons = tables.coupon_reservations, tables.coupons
    deleted = conn.execute(
        reservations.delete().where(
            reservations.c.application_id == application_id,
            reservations.c.coupon_id == coupon_id,
            reservations.c.profile_integration_id == profile_integration_id,
        )
    )
    if deleted.rowcount != 1:
        return False
    conn.execute(
        coupons.update()
        .where(coupons.c.id == coupon_id, coupons.c.reservation_counter > 0)
        .values(reservation_counter=coupons.c.reservation_counter - 1)
    )
    return True


# --- giving back -----------------------------------------------------------------------


def give_back_session(conn: Connection, application_id: int, session_id: int) -> list[ledger.Entry]:
    """Give back everything the session holds (cancel, reopen): the negative entries to
    record."""
    held = ledger.session_net_takes(conn, application_id, session_id)
    return ledger.give_back(conn, held)


def give_back_returned(
    conn: Connection,
    application_id: int,
    session_id: int,
    rollbacks: Sequence[dict[str, Any]],
) -> list[ledger.Entry]:
    """A return gives back the money of its rolled-back discounts to the setDiscount budgets
    and coupon discount counters of their campaign, each at most what the session holds
    there. Counts and redemptions stay taken."""
    money: dict[int, Decimal] = defaultdict(Decimal)
    for effect in rollbacks:
        if effect.get("effectType") == "rollbackDiscount":
            money[effect["campaignId"]] += Decimal(str(effect["props"]["value"]))
    if not money:
        return []
    held = ledger.session_net_takes(conn, application_id, session_id)
    returned = [
        ledger.Entry(
            entry.kind,
            entry.counter_id,
            entry.campaign_id,
            min(entry.amount, money[entry.campaign_id]),
            entry.action,
        )
        for entry in held
        if entry.campaign_id in money
        and (
            entry.kind == ledger.COUPON_DISCOUNT
            or (entry.kind == ledger.BUDGET and entry.action == SET_DISCOUNT)
        )
    ]
    return ledger.give_back(conn, returned)
