"""Which campaigns run, in which order, and what they give: `evaluate(context, book) -> Outcome`.

Campaigns sit in evaluation groups (a tree under the application's root group). Each group
applies its mode to the campaigns and subgroups it holds, in their order:

- stackable: every triggered element applies, each after the ones before it;
- listOrder: only the first element that triggers applies;
- lowestDiscount / highestDiscount: every element is tried against the same cart, and only the
  triggered one giving the lowest / highest total discount applies (ties: the first);
- with evaluationScope cartItem, listOrder / lowestDiscount / highestDiscount choose per cart
  item among the per-item discounts; effects that are not per-item discounts all apply.

A campaign triggers when at least one of its rules fires. A rule whose condition found a code
valid (couponValid / referralValid) depends on it and is all or nothing: when the code is
rejected — an effect of the rule that budgets cannot give included — the rule gives nothing
(docs/rules.md, Budgets).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, TypeAlias

from carrot.domain.campaign import LimitConfig
from carrot.engine.budgets import COUNTED, CampaignBudget, Refusal, campaign_budget
from carrot.engine.cart import Allocation, CartBuckets, ItemKey
from carrot.engine.codes import (
    COUPON,
    EFFECT_NOT_APPLIED,
    NOT_TRIGGERED,
    REJECTED_BY_CONDITION,
    CodeBinding,
    accepted,
    check_coupons,
    check_referral,
    reason,
    rejected,
)
from carrot.engine.effects import Effect, Origin, money, with_allocations
from carrot.engine.host import CampaignExtras, CustomEffectView, Dropped, RuleSink
from carrot.engine.money import ZERO
from carrot.engine.redemption import (
    BudgetKey,
    CouponCounter,
    CouponIntent,
    ReferralCounter,
    ReferralIntent,
    ReservationIntent,
    Take,
)
from carrot.engine.rules import CompiledRule, CompiledRuleset, ConditionPart
from carrot.engine.scope import CallContext, build_scope, cart_buckets
from carrot.engine.screening import ScreenPlan, held, holds, plan_screens
from carrot.talang import TalangError
from carrot.talang.types import value_text

STACKABLE = "stackable"
LIST_ORDER = "listOrder"
LOWEST = "lowestDiscount"
HIGHEST = "highestDiscount"

_NO_BINDING_ERRORS: dict[str, str] = {}
"""What `_bind` gives for a ruleset without bindings; shared, so never written to."""


@dataclass(frozen=True)
class CampaignView:
    id: int
    name: str
    state: str = "enabled"
    type: str = "advanced"
    start_time: datetime | None = None
    end_time: datetime | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    limits: tuple[LimitConfig, ...] = ()
    """Budgets: LimitConfig {action, limit, period, entities}."""
    features: tuple[str, ...] = ()
    """coupons, referrals, loyalty, …"""

    @cached_property
    def scope(self) -> dict[str, Any]:
        """What rules read as `Campaign`."""
        return {
            "Id": self.id,
            "Name": self.name,
            "Attributes": self.attributes,
            "Tags": list(self.tags),
        }

    def runs_at(self, now: datetime) -> bool:
        if self.state != "enabled":
            return False
        if self.start_time is not None and now < self.start_time:
            return False
        return self.end_time is None or now < self.end_time


@dataclass(frozen=True)
class CampaignRules:
    campaign: CampaignView
    ruleset: CompiledRuleset | None
    _origins: dict[tuple[int, str], tuple[Origin, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def origins(self, group: GroupNode) -> tuple[Origin, ...]:
        """Where the effects of each rule come from when the campaign runs in `group`. A book
        never changes, so they are made once, not on every evaluation."""
        key = (group.id, group.mode)
        origins = self._origins.get(key)
        if origins is None:
            ruleset = self.ruleset
            assert ruleset is not None, "a campaign without rules gives no effects"
            origins = tuple(
                Origin(self.campaign.id, ruleset.id, rule.index, rule.title, group.id, group.mode)
                for rule in ruleset.rules
            )
            self._origins[key] = origins
        return origins


Element: TypeAlias = "GroupNode | CampaignRules"


@dataclass(frozen=True)
class GroupNode:
    id: int
    name: str
    mode: str = STACKABLE
    scope: str = "session"
    elements: tuple[Element, ...] = ()
    _may_give: dict[str | None, tuple[tuple[Element, ...], frozenset[int]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _plans: dict[str | None, _RunningPlan] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def may_give(self, event_type: str) -> tuple[tuple[Element, ...], frozenset[int]]:
        """The elements that may give something on a call of `event_type` that brings no
        codes and asks for no explanations, and the ids of the campaigns left out: those
        whose every rule requires another `Event.Type`, or a code (couponValid /
        referralValid). Left out, such a campaign would have given an empty result, which no
        group mode chooses. Kept per event type a guard names; every other type shares one."""
        key = event_type if event_type in self._guarded_types else None
        found = self._may_give.get(key)
        if found is None:
            kept: list[Element] = []
            left_out = set()
            for element in self.elements:
                if isinstance(element, CampaignRules) and _cannot_fire(element, event_type):
                    left_out.add(element.campaign.id)
                else:
                    kept.append(element)
            found = self._may_give[key] = (tuple(kept), frozenset(left_out))
        return found

    def screen_plan(self, event_type: str, now: datetime) -> tuple[tuple[Element, ...], ScreenPlan]:
        """The elements `may_give(event_type)` keeps less the campaigns not running at `now`
        (disabled, or outside their schedule: they give nothing, and a shop keeps many, so
        their screens are not tested), and how to screen them: a campaign without budgets
        whose every rule has a screen (CompiledRuleset.screens) can be. A plan serves until
        the next start or end time of one of the group's campaigns."""
        key = event_type if event_type in self._guarded_types else None
        found = self._plans.get(key)
        if found is None or not found.since <= now < found.until:
            kept = self.may_give(event_type)[0]
            elements = tuple(
                element
                for element in kept
                if not isinstance(element, CampaignRules) or element.campaign.runs_at(now)
            )
            plan = plan_screens([_screens(element) for element in elements])
            since, until = _steady_around(kept, now)
            found = self._plans[key] = _RunningPlan(elements, plan, since, until)
        return found.elements, found.plan

    @cached_property
    def _guarded_types(self) -> frozenset[str]:
        return frozenset(
            event_type
            for element in self.elements
            if isinstance(element, CampaignRules) and element.ruleset is not None
            for event_type in element.ruleset.event_types or ()
        )


@dataclass(frozen=True)
class _RunningPlan:
    """A group's screen plan for the campaigns running from `since` until `until`."""

    elements: tuple[Element, ...]
    plan: ScreenPlan
    since: datetime
    until: datetime


_DAWN = datetime.min.replace(tzinfo=UTC)
_DUSK = datetime.max.replace(tzinfo=UTC)


def _steady_around(elements: Sequence[Element], now: datetime) -> tuple[datetime, datetime]:
    """The span around `now` in which none of the campaigns among `elements` starts or ends."""
    since, until = _DAWN, _DUSK
    for element in elements:
        if not isinstance(element, CampaignRules):
            continue
        for moment in (element.campaign.start_time, element.campaign.end_time):
            if moment is None:
                continue
            if moment <= now:
                since = max(since, moment)
            else:
                until = min(until, moment)
    return since, until


def _screens(element: Element) -> tuple[int, tuple[ConditionPart, ...]] | None:
    """A campaign element's id and its rules' screens, when it can be screened."""
    if isinstance(element, GroupNode) or element.ruleset is None or element.campaign.limits:
        return None
    screens = element.ruleset.screens
    return None if screens is None else (element.campaign.id, screens)


def _cannot_fire(rules: CampaignRules, event_type: str) -> bool:
    """Whether the campaign gives nothing on a call of `event_type` that brings no code of
    it."""
    ruleset = rules.ruleset
    if ruleset is None:
        return True
    if ruleset.event_types is not None and event_type not in ruleset.event_types:
        return True
    return ruleset.needs_code


@dataclass(frozen=True)
class RuleBook:
    """An application's campaigns, compiled, at one revision."""

    revision: int
    root: GroupNode
    custom_effects: dict[str, CustomEffectView] = field(default_factory=dict)
    _campaigns: dict[int, CampaignRules] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def campaigns(self) -> Iterable[CampaignRules]:
        """Every campaign of the book, in evaluation order."""
        return self._index().values()

    def campaign(self, campaign_id: int) -> CampaignRules | None:
        return self._index().get(campaign_id)

    def _index(self) -> dict[int, CampaignRules]:
        if not self._campaigns:
            pending: list[Element] = [self.root]
            while pending:
                element = pending.pop(0)
                if isinstance(element, GroupNode):
                    pending[0:0] = element.elements
                else:
                    self._campaigns[element.campaign.id] = element
        return self._campaigns


@dataclass(frozen=True)
class RuleFailure:
    """Why a rule did not fire (a condition was false or failed) or why an effect failed."""

    campaign_id: int
    campaign_name: str
    ruleset_id: int
    rule_index: int
    rule_name: str
    details: str
    condition_index: int | None = None
    effect_index: int | None = None
    evaluation_group_id: int | None = None
    evaluation_group_mode: str | None = None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "campaignID": self.campaign_id,
            "campaignName": self.campaign_name,
            "rulesetID": self.ruleset_id,
            "ruleIndex": self.rule_index,
            "ruleName": self.rule_name,
            "details": self.details,
        }
        if self.condition_index is not None:
            wire["conditionIndex"] = self.condition_index
        if self.effect_index is not None:
            wire["effectIndex"] = self.effect_index
        if self.evaluation_group_id is not None:
            wire["evaluationGroupID"] = self.evaluation_group_id
            wire["evaluationGroupMode"] = self.evaluation_group_mode
        return wire


@dataclass
class Result:
    """What one campaign or group gave."""

    effects: list[Effect] = field(default_factory=list)
    triggered: list[CampaignView] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)

    @property
    def discount(self) -> Decimal:
        return sum((effect.discount for effect in self.effects), ZERO)

    def absorb(self, other: Result) -> None:
        self.effects += other.effects
        self.triggered += other.triggered
        self.failures += other.failures


class _Untested:
    """The screens of a campaign's rules were not tested before it runs."""


UNTESTED = _Untested()
Screened: TypeAlias = "tuple[bool, ...] | _Untested | None"
"""A campaign's answer for each rule's screen, when its group tested them (None: its rules
have no screens); or UNTESTED."""

_NOTHING = Result()
"""What a campaign gives when no rule can fire (see _Evaluation._screens_held); shared, so
never written to: groups only read their elements' results."""


@dataclass(frozen=True)
class Outcome:
    effects: list[Effect]
    triggered: list[CampaignView]
    failures: list[RuleFailure]
    takes: list[Take] = field(default_factory=list)
    """What closing the session consumes, one per counter (see redemption.py)."""
    created_coupons: list[CouponIntent] = field(default_factory=list)
    created_referrals: list[ReferralIntent] = field(default_factory=list)
    reservations: list[ReservationIntent] = field(default_factory=list)

    @property
    def total_discount(self) -> Decimal:
        return sum((effect.discount for effect in self.effects), ZERO)


def evaluate(
    context: CallContext,
    book: RuleBook,
    *,
    only: frozenset[int] | None = None,
    explain: bool = False,
) -> Outcome:
    """Run the book's campaigns for one call. `only` (dry calls' evaluableCampaignIds) runs
    exactly those campaigns, whatever their state and schedule; `explain` collects why rules
    did not fire, with the values that decided them (without it, `failures` stays empty)."""
    run = _Evaluation(context, book, only, explain)
    buckets = cart_buckets(context)
    result = run.group(book.root, buckets)
    if not run.special:
        return Outcome(result.effects, result.triggered, result.failures)
    return run.finish(result, buckets)


class _Evaluation:
    def __init__(
        self, context: CallContext, book: RuleBook, only: frozenset[int] | None, explain: bool
    ) -> None:
        self.context = context
        self.book = book
        self.only = only
        self.explain = explain
        self._scope_cache: tuple[int, dict[str, Any]] | None = None
        self._event_type = "" if context.event is None else context.event.type
        self._budgets: dict[int, CampaignBudget | None] = {}
        # Codes are checked before any rule runs; each campaign is evaluated with one.
        self.coupons: list[CodeBinding] = []
        self.coupon_of: dict[int, CodeBinding] = {}
        self.referrals: list[CodeBinding] = []
        self.referral_of: dict[int, CodeBinding] = {}
        if context.coupons:
            self.coupons, self.coupon_of = check_coupons(context, self._running)
        if context.referral is not None:
            self.referrals, self.referral_of = check_referral(context, self._running)
        self.has_codes = bool(self.coupons or self.referrals)
        self._code_campaigns = self.coupon_of.keys() | self.referral_of.keys()
        self.special = self.has_codes
        """Codes, budgets or created codes are in play: the outcome needs `finish`."""

    # Codes, budgets and intents ------------------------------------------------------------

    def finish(self, result: Result, buckets: CartBuckets) -> Outcome:
        """The outcome with the verdict on every code, what closing the session takes from
        each counter, and what it creates."""
        triggered = {campaign.id for campaign in result.triggered}
        verdicts = [self._verdict(code, triggered) for code in self.coupons + self.referrals]
        accepted = [code for code, effect in verdicts if effect.effect_type.startswith("accept")]
        by_coupon = {c.campaign_id: c.id for c in accepted if c.kind == COUPON}
        effects = result.effects
        if by_coupon:
            effects = [_triggered_by(effect, by_coupon) for effect in effects]
        outcome = Outcome(
            [effect for _, effect in verdicts] + effects,
            result.triggered,
            result.failures,
            self._takes(buckets, accepted, effects),
        )
        for effect in effects:
            intent = effect.intent
            if isinstance(intent, CouponIntent):
                outcome.created_coupons.append(intent)
            elif isinstance(intent, ReferralIntent):
                outcome.created_referrals.append(intent)
            elif isinstance(intent, ReservationIntent):
                outcome.reservations.append(intent)
        return outcome

    def _verdict(self, code: CodeBinding, triggered: set[int]) -> tuple[CodeBinding, Effect]:
        """acceptCoupon / rejectCoupon (or the referral ones) for one code, with the reason."""
        nowhere = Origin(code.campaign_id, 0, 0, "")
        if not code.valid:
            return code, rejected(code, code.rejection or "", code.details, nowhere)
        by_condition = reason(code.kind, REJECTED_BY_CONDITION)
        if not code.bound:
            details = f"one {code.kind} code per campaign applies: {code.applies_instead}"
            return code, rejected(code, by_condition, details, nowhere)
        if code.campaign_id not in triggered:
            if code.fired or not code.ran:
                details = "the campaign was not applied: its evaluation group chose another"
                return code, rejected(code, reason(code.kind, NOT_TRIGGERED), details, nowhere)
            if code.failure is None:
                return code, rejected(code, by_condition, "no rule of the campaign fired", nowhere)
            origin, condition, effect, details = code.failure
            return code, rejected(code, by_condition, details, origin, condition, effect)
        if code.dropped is not None:
            origin, index, why = code.dropped
            return code, rejected(code, EFFECT_NOT_APPLIED, why, origin, effect_index=index)
        if code.accepted_by is None:
            details = f"no rule that fired checks {code.kind}Valid"
            return code, rejected(code, by_condition, details, nowhere)
        return code, accepted(code, code.accepted_by)

    def _takes(
        self, buckets: CartBuckets, accepted: list[CodeBinding], effects: list[Effect]
    ) -> list[Take]:
        """One take per counter: the budgets the chosen effects drew on (`buckets.spent`
        followed the chosen trials), and the redemptions of accepted codes."""
        takes: list[Take] = []
        for counter, amount in buckets.spent.items():
            if isinstance(counter, BudgetKey) and amount > ZERO:
                budget = self._budgets.get(counter.campaign_id)
                limit = None if budget is None else budget.limits.get(counter)
                takes.append(Take(counter, amount, limit, counter.campaign_id))
        for code in accepted:
            assert code.id is not None
            campaign = code.campaign_id
            if code.kind == COUPON:
                usage = CouponCounter(code.id, "usage")
                takes.append(Take(usage, Decimal(1), _limit(code.usage_limit), campaign))
                given = sum((e.discount for e in effects if e.origin.campaign_id == campaign), ZERO)
                if given > ZERO:
                    counter = CouponCounter(code.id, "discount")
                    takes.append(Take(counter, given, _limit(code.discount_limit), campaign))
            else:
                counter_ = ReferralCounter(code.id)
                takes.append(Take(counter_, Decimal(1), _limit(code.usage_limit), campaign))
            takes += [Take(key, Decimal(1), limit, campaign) for key, limit in code.redeem_keys]
        return takes

    # Groups --------------------------------------------------------------------------------

    def group(self, node: GroupNode, buckets: CartBuckets) -> Result:
        elements = self._runnable(node, buckets)
        if node.mode == STACKABLE:
            result = Result()
            for element, answers in elements:
                result.absorb(self.element(element, node, buckets, answers))
            return result
        trials = []
        for element, answers in elements:
            trial = buckets.copy()
            trials.append((self.element(element, node, trial, answers), trial))
            if node.mode == LIST_ORDER and trials[-1][0].triggered and node.scope == "session":
                break
        if node.scope == "cartItem":
            return self._per_item(node, trials, buckets)
        return self._choose(node, trials, buckets)

    def _runnable(self, node: GroupNode, buckets: CartBuckets) -> list[tuple[Element, Screened]]:
        """The group's elements to run, each with its rules' screen answers when they were
        tested already (UNTESTED otherwise)."""
        if self.explain:
            return [(element, UNTESTED) for element in node.elements]
        # Cascading discounts change the scope as campaigns give (each is screened as it
        # runs); a campaign `may_give` left out for lacking a code, when the call brings its
        # code, is not in the group's plan, nor is a campaign that is not running, which
        # a dry call may name among those to evaluate (`only`).
        if (
            self.context.application.cascading
            or self.only is not None
            or not self._code_campaigns.isdisjoint(node.may_give(self._event_type)[1])
        ):
            return [(element, UNTESTED) for element in self._may_give(node)]
        return self._screened(node, buckets)

    def _screened(self, node: GroupNode, buckets: CartBuckets) -> list[tuple[Element, Screened]]:
        """Without cascading discounts every campaign is screened on the same scope: each
        distinct screen of the group is tested once (see screening.py), and the campaigns
        none of whose screens hold are left out (they would give nothing). A campaign the
        call brings a code of is not screened: it runs, to say what became of the code."""
        elements, plan = node.screen_plan(self._event_type, self.context.now)
        answers = plan.answers(self._base_scope(buckets)) if plan.screens else []
        codes = self._code_campaigns
        runnable: list[tuple[Element, Screened]] = []
        for index in plan.passing(answers, codes):
            element, positions = elements[index], plan.rules[index]
            screened: Screened = UNTESTED
            if (
                positions is not None
                and isinstance(element, CampaignRules)
                and element.campaign.id not in codes
            ):
                screened = held(positions, answers)
            runnable.append((element, screened))
        return runnable

    def _may_give(self, node: GroupNode) -> tuple[Element, ...]:
        """The group's elements less the campaigns that cannot fire on this call (see
        GroupNode.may_give); a campaign the call brings a code of runs all the same, to say
        what became of the code."""
        elements, left_out = node.may_give(self._event_type)
        if not left_out or left_out.isdisjoint(self._code_campaigns):
            return elements
        return tuple(
            element
            for element in node.elements
            if not isinstance(element, CampaignRules)
            or element.campaign.id not in left_out
            or element.campaign.id in self._code_campaigns
        )

    def _choose(
        self, node: GroupNode, trials: list[tuple[Result, CartBuckets]], buckets: CartBuckets
    ) -> Result:
        result = Result()
        triggered = [(r, b) for r, b in trials if r.triggered]
        chosen: tuple[Result, CartBuckets] | None = None
        if triggered:
            if node.mode == LIST_ORDER:
                chosen = triggered[0]
            elif node.mode == LOWEST:
                chosen = min(triggered, key=lambda rb: rb[0].discount)
            else:
                chosen = max(triggered, key=lambda rb: rb[0].discount)
        for trial, trial_buckets in trials:
            result.failures += trial.failures
            if chosen is not None and trial is chosen[0]:
                result.effects += trial.effects
                result.triggered += trial.triggered
                buckets.assign(trial_buckets)
            elif trial.triggered and chosen is not None:
                result.failures += self._excluded(node, trial, chosen[0])
        return result

    def _per_item(
        self, node: GroupNode, trials: list[tuple[Result, CartBuckets]], buckets: CartBuckets
    ) -> Result:
        """cartItem scope: the mode picks, for each item, whose per-item discount it gets, and
        the chosen effects are capped again at what budgets have left. An effect dropped there
        is a rule failure and rejects the codes its rule depends on; the choice is then made
        again without the effects of the rules that depended on them."""
        result = Result()
        for trial, _ in trials:
            result.failures += trial.failures
            result.triggered += trial.triggered
        start = buckets.copy()
        rejecting: list[Dropped] = []  # the drops that rejected codes, from earlier rounds
        while True:
            offered = [
                [effect for effect in trial.effects if not _withdrawn(self._depends(effect))]
                for trial, _ in trials
            ]
            result.effects, dropped = self._readmit_chosen(node, offered, buckets)
            if not self._reject(dropped):
                break
            rejecting += [drop for drop in dropped if drop.rejects]
            buckets.assign(start.copy())
        if self.explain:
            result.failures += [self._dropped(drop) for drop in rejecting + dropped]
        return result

    def _readmit_chosen(
        self, node: GroupNode, offered: list[list[Effect]], buckets: CartBuckets
    ) -> tuple[list[Effect], list[Dropped]]:
        """The per-item discounts the mode chooses, and every other effect, applied to
        `buckets` and capped at what budgets have left; and the effects dropped for lack of
        budget."""
        best: dict[ItemKey, tuple[int, Decimal]] = {}
        for index, effects in enumerate(offered):
            for key, amount in _item_discounts(effects).items():
                current = best.get(key)
                if current is None or _better(node.mode, amount, current[1]):
                    best[key] = (index, amount)
        admitted: list[Effect] = []
        dropped: list[Dropped] = []
        gave: set[tuple[int, int]] = set()
        counted: set[object] = set()  # pro-rata effects one part of which was counted
        for index, effects in enumerate(offered):
            for effect in effects:
                if _is_item_discount(effect) and best[effect.item][0] != index:  # type: ignore[index]
                    continue
                budget = self._budgets.get(effect.origin.campaign_id)
                if budget is None:
                    admitted.append(with_allocations(effect, buckets.retake(effect.allocations)))
                    continue
                whole = effect.part_of
                readmitted = _readmit(
                    effect, buckets, budget, whole is None or whole not in counted
                )
                rule = (effect.origin.campaign_id, effect.origin.rule_index)
                if isinstance(readmitted, Effect):
                    admitted.append(readmitted)
                    if readmitted.discount > ZERO:
                        gave.add(rule)
                        if whole is not None:
                            counted.add(whole)
                    continue
                codes = self._depends(effect)
                if codes and readmitted.partial and rule in gave:
                    continue  # the rule gave what was left: value 0 is no effect
                dropped.append(Dropped(effect.origin, None, readmitted.why, codes))
        return admitted, dropped

    def _excluded(self, node: GroupNode, loser: Result, winner: Result) -> list[RuleFailure]:
        if not self.explain:
            return []
        winner_names = ", ".join(f"{c.name} ({c.id})" for c in winner.triggered)
        reason = {
            LIST_ORDER: "an earlier campaign of the group applied",
            LOWEST: "another campaign of the group gives a lower discount",
            HIGHEST: "another campaign of the group gives a higher discount",
        }.get(node.mode, "another campaign of the group applied")
        failures = []
        for campaign in loser.triggered:
            first = next((e for e in loser.effects if e.origin.campaign_id == campaign.id), None)
            failures.append(
                RuleFailure(
                    campaign_id=campaign.id,
                    campaign_name=campaign.name,
                    ruleset_id=first.origin.ruleset_id if first else 0,
                    rule_index=first.origin.rule_index if first else 0,
                    rule_name=first.origin.rule_name if first else "",
                    details=f"Not applied: evaluation group '{node.name}' is {node.mode} and "
                    f"{reason}: {winner_names}.",
                    evaluation_group_id=node.id,
                    evaluation_group_mode=node.mode,
                )
            )
        return failures

    def element(
        self,
        element: Element,
        parent: GroupNode,
        buckets: CartBuckets,
        screened: Screened = UNTESTED,
    ) -> Result:
        if isinstance(element, GroupNode):
            return self.group(element, buckets)
        return self.campaign(element, parent, buckets, screened)

    # Campaigns -----------------------------------------------------------------------------

    def _selected(self, campaign: CampaignView) -> bool:
        if self.only is not None:
            return campaign.id in self.only
        return campaign.runs_at(self.context.now)

    def _running(self, campaign_id: int) -> tuple[LimitConfig, ...] | None:
        rules = self.book.campaign(campaign_id)
        if rules is None or not self._selected(rules.campaign):
            return None
        return rules.campaign.limits

    def _extras(
        self, campaign: CampaignView, coupon: CodeBinding | None, referral: CodeBinding | None
    ) -> CampaignExtras:
        """The budget and codes of a campaign that has either."""
        self.special = True
        if campaign.id not in self._budgets:
            self._budgets[campaign.id] = self._campaign_budget(campaign)
        return CampaignExtras(self._budgets[campaign.id], coupon, referral)

    def _campaign_budget(self, campaign: CampaignView) -> CampaignBudget | None:
        """What the campaign's effects draw on: its budgets, counted for its codes that may
        still be accepted (the coupon's discount limit caps like a gift card balance)."""
        coupon = self.coupon_of.get(campaign.id)
        coupon_id = _live_id(coupon)
        return campaign_budget(
            campaign.id,
            campaign.limits,
            self.context,
            coupon=None
            if coupon is None or coupon_id is None
            else (coupon_id, coupon.discount_left),
            referral_id=_live_id(self.referral_of.get(campaign.id)),
        )

    def _reject(self, dropped: Iterable[Dropped]) -> bool:
        """Reject (EffectCouldNotBeApplied) each code a dropped effect's rule depends on, unless
        already rejected; True when one was. Their campaigns' budgets no longer count them."""
        campaigns = set()
        for drop in dropped:
            for code in drop.rejects:
                if code.dropped is None:
                    code.dropped = (drop.origin, drop.effect_index, drop.why)
                    campaigns.add(code.campaign_id)
        for campaign_id in campaigns:
            rules = self.book.campaign(campaign_id)
            assert rules is not None, "a code's rules ran, so its campaign is in the book"
            self._budgets[campaign_id] = self._campaign_budget(rules.campaign)
        return bool(campaigns)

    def _depends(self, effect: Effect) -> tuple[CodeBinding, ...]:
        """The codes the rule that gave `effect` depends on."""
        if not self.has_codes:
            return ()
        origin = effect.origin
        codes = (self.coupon_of.get(origin.campaign_id), self.referral_of.get(origin.campaign_id))
        return tuple(code for code in codes if code is not None and origin.rule_index in code.rules)

    def campaign(
        self,
        rules: CampaignRules,
        group: GroupNode,
        buckets: CartBuckets,
        screened: Screened = UNTESTED,
    ) -> Result:
        """What one campaign gives; `screened`: its rules' screen answers, when the group
        tested them (it then has no code in the call). A rule is all or nothing with respect
        to the codes it depends on: when one of its effects cannot be applied, the code is
        rejected and the campaign runs again from the same cart and budgets, its rules that
        depend on the code giving nothing."""
        campaign, ruleset = rules.campaign, rules.ruleset
        if ruleset is None or not self._selected(campaign):
            return Result()
        coupon = referral = start = None
        if self.has_codes:
            coupon = self.coupon_of.get(campaign.id)
            referral = self.referral_of.get(campaign.id)
            if _live_id(coupon) is not None or _live_id(referral) is not None:
                start = buckets.copy()
        held = None
        if not isinstance(screened, _Untested):
            held = screened
        elif coupon is None and referral is None:
            held = self._screens_held(rules, buckets)
            if held is not None and not any(held):
                return _NOTHING
        while True:
            result, extra = self._run(rules, group, buckets, coupon, referral, held)
            if start is None or extra is None or not self._reject(extra.dropped):
                return result
            buckets.assign(start.copy())

    def _screens_held(self, rules: CampaignRules, buckets: CartBuckets) -> tuple[bool, ...] | None:
        """For a campaign without codes or budgets whose every rule has a screen
        (CompiledRuleset.screens), unless explaining: whether each screen holds on the call's
        scope. None screen holding, it gives an empty result without a scope or sink of its
        own; otherwise `_run` skips the rules whose screen failed and does not test the others'
        again (screens read neither the campaign nor its codes, so the campaign's scope gives
        them the same answers)."""
        ruleset = rules.ruleset
        assert ruleset is not None
        screens = ruleset.screens
        if screens is None or self.explain or rules.campaign.limits:
            return None
        scope = self._base_scope(buckets)
        return tuple(holds(screen.code.evaluate, scope) for screen in screens)

    def _run(
        self,
        rules: CampaignRules,
        group: GroupNode,
        buckets: CartBuckets,
        coupon: CodeBinding | None,
        referral: CodeBinding | None,
        held: tuple[bool, ...] | None = None,
    ) -> tuple[Result, CampaignExtras | None]:
        """What the campaign's rules give; `held` says which rules' screens hold, when
        `_screens_held` tested them already."""
        campaign, ruleset = rules.campaign, rules.ruleset
        assert ruleset is not None
        result = Result()
        # Rejecting a code says why its campaign's rules did not fire, explained or not.
        extra, explain = None, self.explain or coupon is not None or referral is not None
        if campaign.limits or ruleset.creates or coupon is not None or referral is not None:
            extra = self._extras(campaign, coupon, referral)
        if ruleset.event_types is not None and self._event_type not in ruleset.event_types:
            if explain:
                result.failures.append(self._wrong_event(campaign, ruleset, group))
            if extra is not None:
                self._codes_ran(extra, result, fired=False)
            return result, extra
        scope = {**self._base_scope(buckets), "Campaign": campaign.scope}
        if extra is not None:
            if coupon is not None:
                scope["Coupon"] = coupon.scope
            if referral is not None:
                scope["Referral"] = referral.scope
        # Most campaigns give nothing on a given call. Without codes, budgets, bindings or
        # explaining, a rule without failure effects whose first condition part is false
        # leaves no trace, so that part is tested first, and the campaign's sink is only made
        # for a rule that may fire.
        screening = extra is None and not explain and not ruleset.bindings
        sink: RuleSink | None = None
        binding_errors = _NO_BINDING_ERRORS
        fired = False
        for index, (rule, origin) in enumerate(
            zip(ruleset.rules, rules.origins(group), strict=True)
        ):
            checked = 0
            if screening and rule.screen is not None and not rule.failure_effects:
                passed = (
                    held[index] if held is not None else holds(rule.screen.code.evaluate, scope)
                )
                if not passed:
                    continue
                checked = 1
            if sink is None:
                sink = RuleSink(
                    self.context.application,
                    buckets,
                    self.book.custom_effects,
                    campaign.type,
                    self.context,
                    extra,
                )
                if ruleset.bindings:
                    binding_errors = _bind(scope, ruleset.bindings, sink, self.context.now)
            if self._rule(
                rule, origin, scope, sink, result, campaign, binding_errors, explain, checked
            ):
                fired = True
        if sink is not None and sink.effects:
            result.effects = [e for e in sink.effects if not _empty_discount(e)]
        if fired:
            result.triggered.append(campaign)
        if extra is not None:
            if self.explain:
                result.failures += [self._dropped(drop) for drop in extra.dropped]
            self._codes_ran(extra, result, fired)
        return result, extra

    def _dropped(self, drop: Dropped) -> RuleFailure:
        """The rule failure of an effect a budget dropped."""
        rules = self.book.campaign(drop.origin.campaign_id)
        assert rules is not None
        details = f"Effect could not be applied: {drop.why}."
        return _failure(rules.campaign, drop.origin, details, effect=drop.effect_index)

    def _not_applied(
        self, campaign: CampaignView, origin: Origin, code: CodeBinding
    ) -> RuleFailure:
        """The rule failure of a rule that gives nothing because its code was rejected."""
        assert code.dropped is not None
        by, index, why = code.dropped
        if by.rule_index == origin.rule_index:
            return _failure(campaign, origin, f"Effect could not be applied: {why}.", effect=index)
        details = (
            f"Not applied: the rule depends on {code.kind} {code.code}, rejected because an "
            f"effect of rule '{by.rule_name}' could not be applied: {why}."
        )
        return _failure(campaign, origin, details)

    def _codes_ran(self, extra: CampaignExtras, result: Result, fired: bool) -> None:
        """What the campaign's rules did with its codes; failures collected only for them are
        dropped again."""
        first = result.failures[0] if result.failures else None
        for code in (extra.coupon, extra.referral):
            if code is None:
                continue
            code.ran, code.fired = True, fired
            if first is not None and code.failure is None:
                code.failure = (
                    Origin(first.campaign_id, first.ruleset_id, first.rule_index, first.rule_name,
                           first.evaluation_group_id, first.evaluation_group_mode),
                    first.condition_index, first.effect_index, first.details,
                )  # fmt: skip
        if not self.explain:
            result.failures.clear()

    def _wrong_event(
        self, campaign: CampaignView, ruleset: CompiledRuleset, group: GroupNode
    ) -> RuleFailure:
        wanted = " or ".join(sorted(ruleset.event_types or ()))
        first = ruleset.rules[0]
        return RuleFailure(
            campaign.id,
            campaign.name,
            ruleset.id,
            first.index,
            first.title,
            f"Event.Type is {self._event_type or 'not set'}; the condition needs = {wanted}",
            0,
            None,
            group.id,
            group.mode,
        )

    def _base_scope(self, buckets: CartBuckets) -> dict[str, Any]:
        version = buckets.version if self.context.application.cascading else 0
        if self._scope_cache is None or self._scope_cache[0] != version:
            self._scope_cache = (version, build_scope(self.context, buckets))
        return self._scope_cache[1]

    def _rule(
        self,
        rule: CompiledRule,
        origin: Origin,
        campaign_scope: dict[str, Any],
        sink: RuleSink,
        result: Result,
        campaign: CampaignView,
        binding_errors: dict[str, str],
        explain: bool,
        checked: int = 0,
    ) -> bool:
        """Whether the rule fires; runs its effects, or its failure effects. The first
        `checked` condition parts are known to hold already."""
        scope = campaign_scope
        if rule.bindings:
            scope = dict(campaign_scope)
            binding_errors = {
                **binding_errors,
                **_bind(scope, rule.bindings, sink, self.context.now),
            }

        sink.origin = origin
        extra = sink.extra
        if extra is not None:
            extra.start_rule()
        for index, part in enumerate(rule.condition[checked:], start=checked):
            passed, details = self._check(part, scope, sink, binding_errors, explain)
            if not passed:
                # Failures are only ever shown when explaining; not building them otherwise
                # saves an object per failed rule on every call.
                if explain:
                    result.failures.append(_failure(campaign, origin, details, condition=index))
                if rule.failure_effects:
                    self._effects(rule.failure_effects, scope, sink, result, campaign, explain)
                return False
        if extra is not None:
            depends = extra.depended_on()
            for code in depends:
                _accepts(code, origin)
            rejected = next((code for code in depends if code.dropped is not None), None)
            if rejected is not None:
                if explain:
                    result.failures.append(self._not_applied(campaign, origin, rejected))
                return True
        self._effects(rule.effects, scope, sink, result, campaign, explain)
        return True

    def _effects(
        self,
        effects: Sequence[Any],
        scope: dict[str, Any],
        sink: RuleSink,
        result: Result,
        campaign: CampaignView,
        explain: bool,
    ) -> None:
        extra = sink.extra
        for effect_index, effect in enumerate(effects):
            if extra is not None:
                extra.effect_index = effect_index
            error = _run_effect(effect, scope, sink, self.context.now)
            if error is not None and explain:
                result.failures.append(_failure(campaign, sink.origin, error, effect=effect_index))

    def _check(
        self,
        part: ConditionPart,
        scope: dict[str, Any],
        sink: RuleSink,
        binding_errors: dict[str, str],
        explain: bool,
    ) -> tuple[bool, str]:
        try:
            value = part.code.evaluate(scope, context=sink, now=self.context.now)
        except TalangError as error:
            cause = next(
                (f" ({msg})" for name, msg in binding_errors.items() if name in error.message), ""
            )
            return False, f"{part.text} could not be evaluated: {error.message}{cause}"
        if value is True:
            return True, ""
        return False, self._explain(part, scope, sink) if explain else ""

    def _explain(self, part: ConditionPart, scope: dict[str, Any], sink: RuleSink) -> str:
        if part.operator is not None and part.left is not None and part.right is not None:
            try:
                left = part.left.evaluate(scope, context=sink, now=self.context.now)
                right = part.right.evaluate(scope, context=sink, now=self.context.now)
            except TalangError:
                return f"{part.text} is false"
            shown = (
                value_text(right)
                if part.right_text == value_text(right)
                else f"{part.right_text} ({value_text(right)})"
            )
            return f"{part.left_text} is {value_text(left)}; the condition needs {part.operator} {shown}"
        return f"{part.text} is false"


def _limit(value: Decimal | int) -> Decimal | None:
    """A code's limit as a take's guard: 0 means unlimited."""
    return Decimal(value) if value else None


def _triggered_by(effect: Effect, by_coupon: dict[int, int | None]) -> Effect:
    coupon_id = by_coupon.get(effect.origin.campaign_id)
    if coupon_id is None:
        return effect
    return replace(effect, origin=replace(effect.origin, triggered_by_coupon=coupon_id))


def _withdrawn(codes: Iterable[CodeBinding]) -> bool:
    """Whether one of the codes an effect depends on was rejected (its rule gives nothing)."""
    return any(code.dropped is not None for code in codes)


def _readmit(
    effect: Effect, buckets: CartBuckets, budget: CampaignBudget, counted: bool = True
) -> Effect | Refusal:
    """An effect found on a trial copy, applied for real: capped again at what the budget
    has left in this state (per-item choice mixes effects of several trials). `counted`
    False: a further part of a pro-rata effect, which counts once."""
    if effect.discount > ZERO:
        verdict = budget.cap(buckets.spent, effect.discount, counted)
        if isinstance(verdict, Refusal):
            return verdict
        give, desired = verdict
        readmitted = with_allocations(effect, buckets.retake(_up_to(effect.allocations, give)))
        if desired is not None:
            readmitted.props.setdefault("desiredValue", money(desired))
    elif effect.effect_type in COUNTED:
        refused = budget.count(buckets.spent, COUNTED[effect.effect_type])
        if refused is not None:
            return Refusal(refused)
        readmitted = effect
    else:
        readmitted = with_allocations(effect, buckets.retake(effect.allocations))
    budget.spend(buckets.spent, readmitted.effect_type, readmitted.discount, counted)
    return readmitted


def _up_to(allocations: Sequence[Allocation], amount: Decimal) -> list[Allocation]:
    """The first allocations, the last one cut, adding up to at most `amount`."""
    kept = []
    for allocation in allocations:
        if amount <= ZERO:
            break
        part = min(allocation.amount, amount)
        kept.append(Allocation(allocation.key, allocation.cost, part))
        amount -= part
    return kept


def _accepts(code: CodeBinding, origin: Origin) -> None:
    """A rule that fires having found couponValid / referralValid true accepts the code, and
    depends on it."""
    code.rules.add(origin.rule_index)
    if code.accepted_by is None:
        code.accepted_by = origin


def _live_id(code: CodeBinding | None) -> int | None:
    """The id of a code that may still be accepted: it passed the checks before rules, and no
    effect of a rule depending on it was refused."""
    if code is None or not code.valid or code.dropped is not None:
        return None
    return code.id


def _bind(
    scope: dict[str, Any], bindings: Sequence[Any], sink: RuleSink, now: datetime
) -> dict[str, str]:
    errors = {}
    for binding in bindings:
        try:
            scope[binding.name] = binding.code.evaluate(scope, context=sink, now=now)
        except TalangError as error:
            scope.pop(binding.name, None)
            errors[binding.name] = f"binding {binding.name} failed: {error.message}"
    return errors


def _failure(
    campaign: CampaignView,
    origin: Origin,
    details: str,
    condition: int | None = None,
    effect: int | None = None,
) -> RuleFailure:
    return RuleFailure(
        campaign.id, campaign.name, origin.ruleset_id, origin.rule_index, origin.rule_name,
        details, condition, effect, origin.evaluation_group_id, origin.evaluation_group_mode,
    )  # fmt: skip


def _run_effect(effect: Any, scope: dict[str, Any], sink: RuleSink, now: datetime) -> str | None:
    try:
        effect.evaluate(scope, context=sink, now=now)
    except TalangError as error:
        return f"effect {effect.expr[0] if isinstance(effect.expr, list) and effect.expr else ''} failed: {error.message}"
    return None


def _empty_discount(effect: Effect) -> bool:
    return effect.effect_type.startswith("setDiscount") and effect.discount == ZERO


def _is_item_discount(effect: Effect) -> bool:
    return effect.item is not None and effect.discount > ZERO


def _item_discounts(effects: list[Effect]) -> dict[ItemKey, Decimal]:
    totals: dict[ItemKey, Decimal] = {}
    for effect in effects:
        if _is_item_discount(effect):
            assert effect.item is not None
            totals[effect.item] = totals.get(effect.item, ZERO) + effect.discount
    return totals


def _better(mode: str, amount: Decimal, current: Decimal) -> bool:
    if mode == LOWEST:
        return amount < current
    if mode == HIGHEST:
        return amount > current
    return False
