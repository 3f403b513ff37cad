"""Coupon and referral codes in a session: checked before rules run (Talon.One's rejection
reasons, in its order), bound one per campaign, and accepted or rejected once the rules have
run — as `acceptCoupon` / `rejectCoupon` / `acceptReferral` / `rejectReferral` effects."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from carrot.domain.campaign import LimitConfig
from carrot.domain.coupon import Coupon
from carrot.domain.referral import Referral
from carrot.engine.budgets import PROFILE, MissingEntity, coupon_limits, limit_keys, profile_id
from carrot.engine.effects import Effect, Origin, money
from carrot.engine.redemption import REDEEM_REFERRAL, BudgetKey, CouponView, ReferralView
from carrot.engine.scope import CallContext, coupon_scope, referral_scope

# A campaign's limits when it runs in this call (selected by schedule and state, or among a
# dry call's evaluableCampaignIds); None when it does not.
Running = Callable[[int], tuple[LimitConfig, ...] | None]

COUPON = "coupon"
REFERRAL = "referral"

# Rejection reasons, as Talon.One names them. The coupon and referral variants differ only in
# their prefix; `reason(kind, NOT_FOUND)` spells the one a code of `kind` gets.
NOT_FOUND = "NotFound"
NOT_RUNNING = "PartOfNotRunningCampaign"
START_IN_FUTURE = "StartDateInFuture"
EXPIRED = "Expired"
RECIPIENT_MISMATCH = "RecipientDoesNotMatch"
LIMIT_REACHED = "LimitReached"
REJECTED_BY_CONDITION = "RejectedByCondition"
NOT_TRIGGERED = "PartOfNotTriggeredCampaign"
# Reasons shared by both kinds, without prefix.
CAMPAIGN_LIMIT_REACHED = "CampaignLimitReached"
PROFILE_LIMIT_REACHED = "ProfileLimitReached"
PROFILE_REQUIRED = "ProfileRequired"
EFFECT_NOT_APPLIED = "EffectCouldNotBeApplied"
RESERVATION_REQUIRED = "CouponReservationRequired"
SAME_AS_ADVOCATE = "ReferralRecipientIdSameAsAdvocate"

_SHARED = frozenset(
    {
        CAMPAIGN_LIMIT_REACHED,
        PROFILE_LIMIT_REACHED,
        PROFILE_REQUIRED,
        EFFECT_NOT_APPLIED,
        RESERVATION_REQUIRED,
        SAME_AS_ADVOCATE,
    }
)


def _noun(kind: str) -> str:
    return "Coupon" if kind == COUPON else "Referral"


def reason(kind: str, name: str) -> str:
    """`CouponExpired`, `ReferralExpired`, `CampaignLimitReached`, …"""
    return name if name in _SHARED else _noun(kind) + name


@dataclass
class CodeBinding:
    """One code of the session: what the checks before rules found, and — for the code bound
    to its campaign — what the campaign's rules did with it."""

    kind: str
    code: str
    campaign_id: int
    id: int | None
    scope: dict[str, Any] | None
    """What rules read as `Coupon` / `Referral`."""
    rejection: str | None = None
    details: str = ""
    redeem_keys: tuple[tuple[BudgetKey, Decimal], ...] = ()
    """redeemCoupon / redeemReferral counters a redemption takes 1 from, with their limits."""
    usage_limit: int = 0
    discount_limit: Decimal = Decimal(0)
    discount_left: Decimal | None = None
    bound: bool = False
    """The code the campaign is evaluated with (one per campaign)."""
    applies_instead: str = ""
    # Filled in while the campaign's rules run:
    ran: bool = False
    fired: bool = False
    accepted_by: Origin | None = None
    rules: set[int] = field(default_factory=set)
    """Indices of the campaign's rules that fired with this code valid in their condition: they
    depend on the code, and give nothing unless it is accepted."""
    failure: tuple[Origin, int | None, int | None, str] | None = None
    """(rule, conditionIndex, effectIndex, details) of the first rule that did not fire."""
    dropped: tuple[Origin, int | None, str] | None = None
    """(rule, effectIndex, details) of the effect that could not be applied and rejects the
    code (EffectCouldNotBeApplied): the rules that depend on the code then give nothing."""

    @property
    def valid(self) -> bool:
        return self.rejection is None

    @property
    def noun(self) -> str:
        """`Coupon` or `Referral`, as effect types and reasons spell it."""
        return _noun(self.kind)


def check_coupons(
    context: CallContext, running: Running
) -> tuple[list[CodeBinding], dict[int, CodeBinding]]:
    """Every code of the session, checked in Talon.One's order, and the code each campaign is
    evaluated with: its first code that passed the checks, else its first code."""
    checked = [_check_coupon(view, context, running) for view in context.coupons]
    return checked, _bind(checked)


def check_referral(
    context: CallContext, running: Running
) -> tuple[list[CodeBinding], dict[int, CodeBinding]]:
    view = context.referral
    if view is None:
        return [], {}
    checked = [_check_referral(view, context, running)]
    return checked, _bind(checked)


def _bind(checked: Sequence[CodeBinding]) -> dict[int, CodeBinding]:
    by_campaign: dict[int, CodeBinding] = {}
    for binding in checked:
        if binding.id is None:
            continue
        current = by_campaign.get(binding.campaign_id)
        if current is None or (binding.valid and not current.valid):
            by_campaign[binding.campaign_id] = binding
    for binding in checked:
        chosen = by_campaign.get(binding.campaign_id)
        if chosen is binding:
            binding.bound = True
        elif chosen is not None and binding.valid:
            binding.applies_instead = chosen.code
    return by_campaign


def _check_coupon(view: CouponView, context: CallContext, running: Running) -> CodeBinding:
    coupon = view.coupon
    if coupon is None:
        return CodeBinding(
            COUPON, view.code, -1, None, None, reason(COUPON, NOT_FOUND), "no such coupon code"
        )
    terms = coupon.terms
    binding = CodeBinding(
        COUPON,
        coupon.value,
        coupon.campaign_id,
        coupon.id,
        coupon_scope(coupon),
        usage_limit=terms.usage_limit,
        discount_limit=terms.discount_limit,
        discount_left=coupon.discount_remainder,
    )
    rejection = _common_checks(COUPON, coupon, context, running)
    if rejection is None:
        rejection = _coupon_checks(coupon, view, context)
    limits: list[LimitConfig] = []
    if rejection is None:
        limits = coupon_limits(running(coupon.campaign_id) or (), terms.limits)
        rejection = _redeem_budgets(binding, limits, context, coupon_id=coupon.id)
    if rejection is not None:
        binding.rejection, binding.details = rejection
    return binding


def _coupon_checks(
    coupon: Coupon, view: CouponView, context: CallContext
) -> tuple[str, str] | None:
    terms = coupon.terms
    profile = profile_id(context)
    recipient = terms.recipient_integration_id
    if recipient is not None and recipient != profile:
        return reason(COUPON, RECIPIENT_MISMATCH), "the coupon is meant for another profile"
    # An implicitly reserved coupon is reserved for every profile (Talon.One's coupon
    # visibility), so it meets a mandatory reservation for anyone who has a profile.
    held = view.reserved or (terms.implicitly_reserved and profile is not None)
    if terms.is_reservation_mandatory and not held:
        if profile is None:
            return PROFILE_REQUIRED, "the coupon must be reserved, and the session has no profile"
        return RESERVATION_REQUIRED, "the coupon must be reserved by the session's profile"
    if 0 < terms.usage_limit <= coupon.usage_counter:
        return reason(
            COUPON, LIMIT_REACHED
        ), f"the coupon was redeemed {coupon.usage_counter} times"
    if coupon.discount_remainder is not None and coupon.discount_remainder <= 0:
        return reason(COUPON, LIMIT_REACHED), "the coupon's discount limit is used up"
    return None


def _check_referral(view: ReferralView, context: CallContext, running: Running) -> CodeBinding:
    referral = view.referral
    if referral is None:
        return CodeBinding(
            REFERRAL,
            view.code,
            -1,
            None,
            None,
            reason(REFERRAL, NOT_FOUND),
            "no such referral code",
        )
    binding = CodeBinding(
        REFERRAL,
        referral.code,
        referral.campaign_id,
        referral.id,
        referral_scope(referral),
        usage_limit=referral.terms.usage_limit,
    )
    rejection = _common_checks(REFERRAL, referral, context, running)
    if rejection is None:
        rejection = _referral_checks(referral, context)
    if rejection is None:
        limits = [
            limit
            for limit in running(referral.campaign_id) or ()
            if limit.action == REDEEM_REFERRAL
        ]
        rejection = _redeem_budgets(binding, limits, context, referral_id=referral.id)
    if rejection is not None:
        binding.rejection, binding.details = rejection
    return binding


def _referral_checks(referral: Referral, context: CallContext) -> tuple[str, str] | None:
    profile = profile_id(context)
    if profile is not None and profile == referral.advocate_profile_integration_id:
        return SAME_AS_ADVOCATE, "the session's profile is the referral's advocate"
    friend = referral.terms.friend_profile_integration_id
    if friend is not None and friend != profile:
        return reason(REFERRAL, RECIPIENT_MISMATCH), "the referral is meant for another profile"
    if 0 < referral.terms.usage_limit <= referral.usage_counter:
        return (
            reason(REFERRAL, LIMIT_REACHED),
            f"the referral was redeemed {referral.usage_counter} times",
        )
    return None


def _common_checks(
    kind: str, code: Coupon | Referral, context: CallContext, running: Running
) -> tuple[str, str] | None:
    """The campaign runs, the code's validity period has started and not ended."""
    if running(code.campaign_id) is None:
        return reason(kind, NOT_RUNNING), f"campaign {code.campaign_id} is not running"
    terms = code.terms
    now = context.now
    if terms.start_date is not None and now < terms.start_date:
        return reason(kind, START_IN_FUTURE), f"valid from {terms.start_date.isoformat()}"
    if terms.expiry_date is not None and now >= terms.expiry_date:
        return reason(kind, EXPIRED), f"expired at {terms.expiry_date.isoformat()}"
    return None


def _redeem_budgets(
    binding: CodeBinding,
    limits: Sequence[LimitConfig],
    context: CallContext,
    *,
    coupon_id: int | None = None,
    referral_id: int | None = None,
) -> tuple[str, str] | None:
    """Room for one more redemption in every redeemCoupon / redeemReferral counter."""
    keys: list[tuple[BudgetKey, Decimal]] = []
    for limit in limits:
        try:
            named = limit_keys(
                binding.campaign_id, limit, context, coupon_id=coupon_id, referral_id=referral_id
            )
        except MissingEntity as missing:
            if missing.entity == PROFILE:
                return PROFILE_REQUIRED, f"the campaign limits {limit.action} per profile"
            continue
        for key in named:
            used = context.budgets.get(key, Decimal(0))
            if used + 1 > limit.limit:
                per_profile = PROFILE in limit.entities
                return (
                    PROFILE_LIMIT_REACHED if per_profile else CAMPAIGN_LIMIT_REACHED,
                    f"{limit.action} is limited to {money(limit.limit)}"
                    + (" per profile" if per_profile else ""),
                )
            keys.append((key, limit.limit))
    binding.redeem_keys = tuple(keys)
    return None


def accepted(binding: CodeBinding, origin: Origin) -> Effect:
    """acceptCoupon / acceptReferral."""
    return Effect(origin, f"accept{binding.noun}", {"value": binding.code})


def rejected(
    binding: CodeBinding,
    rejection: str,
    details: str,
    origin: Origin,
    condition_index: int | None = None,
    effect_index: int | None = None,
) -> Effect:
    """rejectCoupon / rejectReferral with Talon.One's props."""
    props: dict[str, Any] = {"value": binding.code, "rejectionReason": rejection}
    if condition_index is not None:
        props["conditionIndex"] = condition_index
    if effect_index is not None:
        props["effectIndex"] = effect_index
    if details:
        props["details"] = details
    return Effect(origin, f"reject{binding.noun}", props)
