"""Shared steps of the customer use cases: the environment's profiles, the caller's clock,
and the checks every write makes before it changes anything."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from carrot.domain.campaign import Campaign
from carrot.domain.coupon import Coupon
from carrot.domain.errors import Forbidden, bad_parameter
from carrot.domain.profile import CustomerProfile, Event
from carrot.domain.referral import Referral
from carrot.domain.session import CustomerSession
from carrot.service.clock import utcnow
from carrot.service.keys import IntegrationCaller


@dataclass(frozen=True)
class Evaluation:
    """What one Integration API call answers with, besides the entities themselves: the
    effects (Talon.One's wire form), the campaigns that triggered and why rules did not fire."""

    effects: list[dict[str, Any]] = field(default_factory=list)
    triggered_campaigns: list[Campaign] = field(default_factory=list)
    rule_failure_reasons: list[dict[str, Any]] = field(default_factory=list)
    created_coupons: list[Coupon] = field(default_factory=list)
    created_referrals: list[Referral] = field(default_factory=list)
    # The session's codes found in the application, as they stand after the call.
    coupons: list[Coupon] = field(default_factory=list)
    referral: Referral | None = None


@dataclass(frozen=True)
class IntegrationState:
    """The outcome of a session, profile or event call: the IntegrationStateV2 of the wire."""

    evaluation: Evaluation
    session: CustomerSession | None = None
    profile: CustomerProfile | None = None
    event: Event | None = None
    returned: Any = None
    previous_returns: list[Any] = field(default_factory=list)


def evaluation_time(caller: IntegrationCaller, dry: bool, now: datetime | None) -> datetime:
    """The instant rules see: `now` (dry calls only, never in the past), else the clock plus
    the key's timeOffset."""
    clock = utcnow()
    if now is not None:
        if not dry:
            raise bad_parameter("now", "`now` may only be given with dry=true.")
        if now.tzinfo is None:
            raise bad_parameter("now", "`now` must carry a time zone.")
        try:
            now = now.astimezone(UTC)
        except OverflowError:
            raise bad_parameter(
                "now", "`now` lies beyond the last representable instant."
            ) from None
        if now < clock - timedelta(seconds=1):
            raise bad_parameter("now", "`now` must not be in the past.")
        return now
    return clock + timedelta(microseconds=caller.time_offset_ns // 1000)


def require_dry_for_staging(caller: IntegrationCaller, dry: bool) -> None:
    if caller.staging and not dry:
        raise Forbidden("Staging API keys may only make dry requests (dry=true).")


class DryRun(Exception):
    """Raised at the end of a dry use case so its transaction rolls back: a dry call runs
    every step of the real one and stores nothing at all."""

    def __init__(self, result: Any) -> None:
        super().__init__("dry run")
        self.result = result


def finish(conn: sa.Connection, dry: bool, result: Any) -> Any:
    if dry:
        raise DryRun(result)
    return result
