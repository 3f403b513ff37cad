"""Budgets: which counters a campaign's limits name for one call, and what each has left.

A counter is one (campaign, action, entity values, period) — a `BudgetKey`. Entity values come
from the call (the profile, the session, each identifier, the store, the campaign's coupon or
referral); periods are calendar periods in the application's timezone. The service loads the
used amount of every key `budget_keys` names; the engine caps effects at what is left."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from carrot.domain.campaign import LimitConfig
from carrot.engine.effects import money
from carrot.engine.money import ZERO, unit
from carrot.engine.redemption import (
    ADD_FREE_ITEM_EFFECT,
    CREATE_COUPON,
    CREATE_REFERRAL,
    CUSTOM_EFFECT,
    REDEEM_COUPON,
    REDEEM_REFERRAL,
    RESERVE_COUPON,
    SET_DISCOUNT,
    SET_DISCOUNT_EFFECT,
    BudgetKey,
    Counter,
    CouponCounter,
)
from carrot.engine.scope import CallContext

if TYPE_CHECKING:
    from carrot.engine.evaluate import RuleBook

PROFILE = "Profile"
COUPON = "Coupon"
REFERRAL = "Referral"


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def period_key(period: str | None, now: datetime, timezone: str) -> str:
    """The period `now` falls in, in the application's timezone: daily `2026-11-26`, weekly
    (ISO) `2026-W48`, monthly `2026-11`, yearly `2026`; "" for a limit without period."""
    if not period or period == "overall":
        return ""
    local = now.astimezone(_zone(timezone or "UTC"))
    if period == "daily":
        return local.strftime("%Y-%m-%d")
    if period == "weekly":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "monthly":
        return local.strftime("%Y-%m")
    if period == "yearly":
        return f"{local.year:04d}"
    raise ValueError(f"unknown budget period {period!r}")


def entity_key(pairs: Iterable[tuple[str, str]]) -> str:
    """One stable string per combination of entity values ("" campaign-wide): the JSON of the
    sorted [entity, value] pairs."""
    ordered = sorted(pairs)
    if not ordered:
        return ""
    return json.dumps([list(pair) for pair in ordered], separators=(",", ":"))


def profile_id(context: CallContext) -> str | None:
    """The integration id of the call's profile, None for anonymous calls."""
    if context.profile is not None:
        return context.profile.integration_id
    if context.session is not None and context.session.profile_integration_id:
        return context.session.profile_integration_id
    return None


class MissingEntity(Exception):
    """The call lacks a value of an entity a limit counts per (`entity`)."""

    def __init__(self, entity: str) -> None:
        super().__init__(entity)
        self.entity = entity


def _values(
    entity: str, context: CallContext, coupon_id: int | None, referral_id: int | None
) -> list[str]:
    session = context.session
    found: list[str] = []
    if entity == PROFILE:
        profile = profile_id(context)
        found = [] if profile is None else [profile]
    elif entity == "Session":
        found = [] if session is None else [session.integration_id]
    elif entity == "Identifier":
        found = [] if session is None else list(dict.fromkeys(session.identifiers))
    elif entity == "Store":
        found = (
            []
            if session is None or not session.store_integration_id
            else [session.store_integration_id]
        )
    elif entity == COUPON:
        found = [] if coupon_id is None else [str(coupon_id)]
    elif entity == REFERRAL:
        found = [] if referral_id is None else [str(referral_id)]
    if not found:
        raise MissingEntity(entity)
    return found


def limit_keys(
    campaign_id: int,
    limit: LimitConfig,
    context: CallContext,
    *,
    coupon_id: int | None = None,
    referral_id: int | None = None,
) -> list[BudgetKey]:
    """The counters `limit` names for this call: one per combination of entity values (several
    when the session has several identifiers). Raises MissingEntity when the call lacks one."""
    period = period_key(limit.period, context.now, context.application.timezone)
    entities = tuple(dict.fromkeys(limit.entities))
    if not entities:
        return [BudgetKey(campaign_id, limit.action, "", period)]
    columns = [_values(e, context, coupon_id, referral_id) for e in entities]
    return [
        BudgetKey(campaign_id, limit.action, entity_key(zip(entities, combo, strict=True)), period)
        for combo in itertools.product(*columns)
    ]


def coupon_limits(
    campaign_limits: Sequence[LimitConfig], overrides: Sequence[LimitConfig]
) -> list[LimitConfig]:
    """The redeemCoupon limits one coupon is held to. A coupon's own limits (per-profile
    overrides) replace the campaign's per-profile redeemCoupon limits, and count per coupon."""
    limits = [limit for limit in campaign_limits if limit.action == REDEEM_COUPON]
    if not overrides:
        return limits
    kept = [limit for limit in limits if PROFILE not in limit.entities]
    for override in overrides:
        entities = (
            override.entities if COUPON in override.entities else (*override.entities, COUPON)
        )
        kept.append(LimitConfig(REDEEM_COUPON, override.limit, override.period, entities))
    return kept


def budget_keys(context: CallContext, book: RuleBook) -> set[BudgetKey]:
    """Every counter evaluating `book` for this call may read: the service loads their used
    amounts in one query and puts them on the context as `budgets`."""
    keys: set[BudgetKey] = set()
    coupons: dict[int, list[tuple[int, tuple[LimitConfig, ...]]]] = {}
    for view in context.coupons:
        if view.coupon is not None:
            coupons.setdefault(view.coupon.campaign_id, []).append(
                (view.coupon.id, view.coupon.terms.limits)
            )
    referral = context.referral.referral if context.referral is not None else None
    for rules in book.campaigns():
        campaign = rules.campaign
        own = coupons.get(campaign.id, [])
        if not campaign.limits and not own:
            continue  # no budget of its own, none from a coupon: most campaigns of a book
        coupon_ids: list[int | None] = [None, *(coupon_id for coupon_id, _ in own)]
        referral_ids: list[int | None] = [None]
        if referral is not None and referral.campaign_id == campaign.id:
            referral_ids.append(referral.id)
        limits = list(campaign.limits)
        for _, overrides in own:
            limits += [lim for lim in coupon_limits((), overrides) if lim not in limits]
        for limit in limits:
            if limit.action == REDEEM_REFERRAL and len(referral_ids) == 1:
                continue
            for coupon_id in coupon_ids:
                for referral_id in referral_ids:
                    try:
                        keys.update(
                            limit_keys(
                                campaign.id,
                                limit,
                                context,
                                coupon_id=coupon_id,
                                referral_id=referral_id,
                            )
                        )
                    except MissingEntity:
                        continue
    return keys


def left(key: Counter, limit: Decimal, context: CallContext) -> Decimal:
    """What a counter has left before this evaluation takes anything."""
    used = context.budgets.get(key, ZERO) if isinstance(key, BudgetKey) else ZERO
    return limit - used


# Which count budget each effect type takes 1 from; discounts take setDiscountEffect (and their
# money from setDiscount).
COUNTED: dict[str, str] = {
    "addFreeItem": ADD_FREE_ITEM_EFFECT,
    "customEffect": CUSTOM_EFFECT,
    "couponCreated": CREATE_COUPON,
    "referralCreated": CREATE_REFERRAL,
    "reserveCoupon": RESERVE_COUPON,
}
DISCOUNT_EFFECTS = frozenset(
    {
        "setDiscount",
        "setDiscountPerItem",
        "setDiscountPerAdditionalCost",
        "setDiscountPerAdditionalCostPerItem",
    }
)

Spent = dict[Counter, Decimal]


@dataclass(frozen=True)
class Refusal:
    """Why a budget refuses an effect. `partial`: capping applied and found nothing left (the
    coupon's discount limit, or a setDiscount / setDiscountEffect budget with partial discounts
    on), so a rule that already gave a discount simply gives no more; otherwise the effect
    does not fit, and a rule that depends on a code cannot be applied at all."""

    why: str
    partial: bool = False


@dataclass(frozen=True)
class CampaignBudget:
    """The counters one campaign's effects draw on in this call, with what each had left
    before the call: `counters[action]` → (counter, left). What the evaluation has taken so
    far is kept beside the cart's buckets (`CartBuckets.spent`), so trial evaluations of
    evaluation groups take from their own copy."""

    campaign_id: int
    counters: dict[str, tuple[tuple[Counter, Decimal], ...]]
    limits: dict[Counter, Decimal]
    partial: bool
    step: Decimal
    coupon_discount: tuple[Counter, Decimal] | None = None
    """The bound coupon's discount counter and remainder: it caps like a gift card balance,
    always partially."""

    def room(self, spent: Spent, action: str) -> Decimal | None:
        """What every counter of `action` has left (None: no counter limits it)."""
        found = self.counters.get(action)
        if not found:
            return None
        return min(left - spent.get(counter, ZERO) for counter, left in found)

    def count(self, spent: Spent, action: str) -> str | None:
        """None when one more effect fits every counter of `action`; else why not."""
        room = self.room(spent, action)
        if room is None or room >= 1:
            return None
        return f"the campaign's {action} budget is used up"

    def cap(
        self, spent: Spent, desired: Decimal, counted: bool = True
    ) -> tuple[Decimal, Decimal | None] | Refusal:
        """What a discount of `desired` may give: (value, desiredValue or None when not
        capped), or why it is refused. `counted` False: a further part of one effect, which
        needs no room in count budgets."""
        refused = self.count(spent, SET_DISCOUNT_EFFECT) if counted else None
        if refused is not None:
            return Refusal(refused, self.partial)
        give = desired
        room = self.room(spent, SET_DISCOUNT)
        if room is not None and give > room:
            room = max(room, ZERO).quantize(self.step, ROUND_FLOOR)
            if room <= ZERO or not self.partial:
                return Refusal(
                    f"the campaign's setDiscount budget has {money(room)} left; "
                    f"the discount is {money(desired)}",
                    self.partial,
                )
            give = room
        if self.coupon_discount is not None:
            counter, left = self.coupon_discount
            room = max(left - spent.get(counter, ZERO), ZERO).quantize(self.step, ROUND_FLOOR)
            if give > room:
                if room <= ZERO:
                    return Refusal("the coupon's discount limit is used up", partial=True)
                give = room
        return give, (desired if give < desired else None)

    def spend(
        self, spent: Spent, effect_type: str, discount: Decimal, counted: bool = True
    ) -> None:
        """Count an effect that was given (`counted` False: its money only, when it is a
        further part of one effect)."""
        action = COUNTED.get(effect_type)
        if effect_type in DISCOUNT_EFFECTS:
            if discount <= ZERO:
                return
            for counter, _ in self.counters.get(SET_DISCOUNT, ()):
                spent[counter] = spent.get(counter, ZERO) + discount
            if self.coupon_discount is not None:
                counter = self.coupon_discount[0]
                spent[counter] = spent.get(counter, ZERO) + discount
            action = SET_DISCOUNT_EFFECT
        if action is None or not counted:
            return
        for counter, _ in self.counters.get(action, ()):
            spent[counter] = spent.get(counter, ZERO) + 1


def campaign_budget(
    campaign_id: int,
    limits: Sequence[LimitConfig],
    context: CallContext,
    *,
    coupon: tuple[int, Decimal | None] | None = None,
    referral_id: int | None = None,
) -> CampaignBudget | None:
    """The budget a campaign's effects draw on, None when nothing limits them. `coupon` is the
    campaign's accepted-so-far coupon (id, discount remainder or None)."""
    ceilings: dict[str, dict[Counter, Decimal]] = {}
    coupon_id = None if coupon is None else coupon[0]
    for limit in limits:
        if limit.action in (REDEEM_COUPON, REDEEM_REFERRAL):
            continue
        try:
            keys = limit_keys(
                campaign_id, limit, context, coupon_id=coupon_id, referral_id=referral_id
            )
        except MissingEntity:
            continue  # the call lacks what the limit counts per: it does not apply
        of_action = ceilings.setdefault(limit.action, {})
        for key in keys:
            of_action[key] = min(limit.limit, of_action.get(key, limit.limit))
    counters = {
        action: tuple((key, left(key, ceiling, context)) for key, ceiling in found.items())
        for action, found in ceilings.items()
    }
    coupon_discount = None
    if coupon is not None and coupon[1] is not None:
        coupon_discount = (CouponCounter(coupon[0], "discount"), coupon[1])
    if not counters and coupon_discount is None:
        return None
    return CampaignBudget(
        campaign_id,
        counters,
        {key: ceiling for found in ceilings.values() for key, ceiling in found.items()},
        context.application.partial_discounts,
        unit(context.application.places),
        coupon_discount,
    )
