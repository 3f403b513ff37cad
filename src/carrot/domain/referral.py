"""Referral codes: an advocate shares a code, a friend redeems it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from carrot.domain.coupon import Validity


@dataclass(frozen=True)
class ReferralTerms:
    """What a referral carries besides its code and advocate. A usage limit of 0 means
    unlimited."""

    usage_limit: int = 1
    start_date: datetime | None = None
    expiry_date: datetime | None = None
    friend_profile_integration_id: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Referral:
    id: int
    application_id: int
    campaign_id: int
    # The code in the application's case, as sessions must send it.
    code: str
    advocate_profile_integration_id: str
    created: datetime
    terms: ReferralTerms
    usage_counter: int = 0
    batch_id: str | None = None
    import_id: int | None = None


@dataclass(frozen=True)
class ReferralQuery:
    """Filters of the referral list and export; None filters nothing. `code` matches codes
    containing it once both are folded to lower-case letters and digits."""

    campaign_id: int | None = None
    code: str | None = None
    created_before: datetime | None = None
    created_after: datetime | None = None
    valid: Validity | None = None
    usable: bool | None = None
    advocate: str | None = None
    batch_id: str | None = None
