"""What crosses the line between the engine and the store for coupons, referrals and budgets.

In: the service looks up the codes a session carries (`CouponView`, `ReferralView`) and the
used amount of every budget counter the evaluation may read (`BudgetKey` → used), and puts
them on the `CallContext`. The engine decides, purely, which codes are accepted or rejected
and why, caps discounts at what budgets have left, and says what closing the session would
consume (`Take`s) and what it would create (`CouponIntent`, `ReferralIntent`,
`ReservationIntent`).

Out: the service applies every `Take` through a guarded conditional update, with a ledger row,
in the closing transaction (events and profile updates: at once, unless dry). A take whose
guard fails means another transaction got there first: the service rolls back to its savepoint,
reloads, and evaluates again, so the answer states what was really given."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from carrot.domain.coupon import Coupon
from carrot.domain.referral import Referral

# Budget actions (LimitConfig.action) the engine counts.
REDEEM_COUPON = "redeemCoupon"
REDEEM_REFERRAL = "redeemReferral"
SET_DISCOUNT = "setDiscount"  # money: the discount given
SET_DISCOUNT_EFFECT = "setDiscountEffect"  # count: discount effects
CREATE_COUPON = "createCoupon"
CREATE_REFERRAL = "createReferral"
ADD_FREE_ITEM_EFFECT = "addFreeItemEffect"
CUSTOM_EFFECT = "customEffect"
RESERVE_COUPON = "reserveCoupon"

# Entities a LimitConfig can count per (empty: campaign-wide).
ENTITIES = ("Coupon", "Referral", "Profile", "Identifier", "Session", "Store")
PERIODS = ("daily", "weekly", "monthly", "yearly")


@dataclass(frozen=True)
class CouponView:
    """One code a session carries, as the store found it (`coupon` None: no such code in the
    application). `reserved` says whether the session's profile holds a reservation of it."""

    code: str
    coupon: Coupon | None
    reserved: bool = False


@dataclass(frozen=True)
class ReferralView:
    """The session's referral code, as the store found it (`referral` None: no such code)."""

    code: str
    referral: Referral | None


@dataclass(frozen=True)
class BudgetKey:
    """One budget counter: `action` of `campaign_id`, for one combination of entity values
    (`entity_key`, "" campaign-wide) in one period (`period_key`: "" ever, "2026-11-26" daily,
    "2026-W48" weekly (ISO week), "2026-11" monthly, "2026" yearly, in the application's
    timezone)."""

    campaign_id: int
    action: str
    entity_key: str = ""
    period_key: str = ""


@dataclass(frozen=True)
class CouponCounter:
    """A coupon's own counter: `usage` (redemptions) or `discount` (money given)."""

    coupon_id: int
    field: str


@dataclass(frozen=True)
class ReferralCounter:
    """A referral's redemption counter."""

    referral_id: int


Counter = BudgetKey | CouponCounter | ReferralCounter


@dataclass(frozen=True)
class Take:
    """What closing the session consumes from one counter. The guard the store applies is
    `used + amount <= limit`; `limit` None means the counter has no limit (it is counted
    anyway, so that cancels and returns can give back exactly what was taken)."""

    counter: Counter
    amount: Decimal
    limit: Decimal | None
    campaign_id: int


@dataclass(frozen=True)
class CouponIntent:
    """A coupon a `createCoupon` effect asks for; the service stores it when the session
    closes (events and profile updates: at once) and lists it in `createdCoupons`. `value`
    comes from the code generator the service passes in on the `CallContext`."""

    campaign_id: int
    value: str
    recipient_integration_id: str | None
    usage_limit: int = 1
    discount_limit: Decimal = Decimal(0)
    start_date: Any = None
    expiry_date: Any = None
    attributes: dict[str, Any] | None = None


@dataclass(frozen=True)
class ReferralIntent:
    """A referral code a `createReferral` effect asks for (the session's profile advocates)."""

    campaign_id: int
    code: str
    advocate_profile_integration_id: str
    usage_limit: int = 1


@dataclass(frozen=True)
class ReservationIntent:
    """A `reserveCoupon` effect: reserve `coupon_id` for the profile."""

    campaign_id: int
    coupon_id: int
    coupon_value: str
    profile_integration_id: str
