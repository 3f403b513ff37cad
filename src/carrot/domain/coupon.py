"""Coupons as carrot keeps them: the code, its limits and counters, who may redeem it; the
filters that select coupons; the background jobs that generate many; the record of an import.
Validity and usability filters are shared with referrals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from carrot.domain.campaign import LimitConfig

# Talon.One's bounds: usage and reservation limits up to 999999 (0 = unlimited), a discount
# limit up to 1e15 (0 = no limit).
MAX_USAGE_LIMIT = 999_999
MAX_DISCOUNT_LIMIT = Decimal(10) ** 15


def folded(code: str) -> str:
    """Letters and digits only, lower-cased: what Talon.One's fuzzy code filters compare
    (the code `SUMMER-10` is found by `summer10`, `MER1`, …)."""
    return "".join(character for character in code.lower() if character.isalnum())


class Validity(StrEnum):
    """The `valid` filter: where the code's redemption period lies relative to now."""

    EXPIRED = "expired"  # expiryDate set and past
    VALID_NOW = "validNow"  # started (or no startDate) and not expired (or no expiryDate)
    VALID_FUTURE = "validFuture"  # startDate set and in the future


class CouponJobStatus(StrEnum):
    """Talon.One's coupon creation job states (carrot never needs "pending verification")."""

    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    COUPON_PATTERN_FULL = "coupon pattern full"


@dataclass(frozen=True)
class CouponTerms:
    """What each coupon of one creation request (or one updated coupon) carries besides its
    code. Limits of 0 mean unlimited."""

    usage_limit: int = 1
    discount_limit: Decimal = Decimal(0)
    reservation_limit: int = 0
    start_date: datetime | None = None
    expiry_date: datetime | None = None
    recipient_integration_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    is_reservation_mandatory: bool = False
    implicitly_reserved: bool = False
    limits: tuple[LimitConfig, ...] = ()


@dataclass(frozen=True)
class Coupon:
    id: int
    application_id: int
    campaign_id: int
    # The code in the application's case (upper- or lower-cased when the application's
    # caseSensitivity says so), as sessions must send it.
    value: str
    created: datetime
    batch_id: str
    terms: CouponTerms
    usage_counter: int = 0
    discount_counter: Decimal = Decimal(0)
    reservation_counter: int = 0
    import_id: int | None = None
    referral_id: int | None = None

    @property
    def discount_remainder(self) -> Decimal | None:
        """What the code may still give, when it has a discount limit."""
        if self.terms.discount_limit == 0:
            return None
        return max(self.terms.discount_limit - self.discount_counter, Decimal(0))

    @property
    def is_personal(self) -> bool:
        """Only its recipient may redeem it (Talon.One's `reservation: false`)."""
        return self.terms.recipient_integration_id is not None


@dataclass(frozen=True)
class CouponQuery:
    """Filters of the coupon list, bulk delete and export; None filters nothing. `value`
    matches codes containing it once both are folded to lower-case letters and digits;
    with `exact_match` the whole code must equal it, ignoring case."""

    campaign_id: int | None = None
    value: str | None = None
    exact_match: bool = False
    created_before: datetime | None = None
    created_after: datetime | None = None
    starts_before: datetime | None = None
    starts_after: datetime | None = None
    expires_before: datetime | None = None
    expires_after: datetime | None = None
    valid: Validity | None = None
    usable: bool | None = None
    redeemed: bool | None = None
    referral_id: int | None = None
    recipient_integration_id: str | None = None
    batch_id: str | None = None


@dataclass(frozen=True)
class CouponJob:
    """A background generation of coupons (POST …/coupons_async): how far it got."""

    id: int
    application_id: int
    campaign_id: int
    batch_id: str
    status: CouponJobStatus
    total: int
    created_count: int
    created: datetime
    updated: datetime
    finished: datetime | None = None
    error: str = ""


@dataclass(frozen=True)
class CodeImport:
    """One CSV import of coupons or referrals (Talon.One's Import)."""

    id: int
    account_id: int
    user_id: int
    entity: str
    amount: int
    created: datetime
