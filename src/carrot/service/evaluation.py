"""Running the rules for one Integration API call: the application's campaigns compiled once
per process and kept current by the application's revision, the engine's outcome, and the
attribute updates it asks for.

Any change to an application's campaigns, its settings or the additional costs it may use bumps
`applications.revision` in the same transaction; every call reads the revision and rebuilds its
rule book (settings and additional costs with it) only when it moved. A ruleset that did not
change is never compiled twice in one process."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from carrot.domain import campaign as domain
from carrot.domain.coupon import Coupon
from carrot.domain.errors import BadRequest
from carrot.domain.money import minor_units
from carrot.domain.profile import CustomerProfile
from carrot.domain.referral import Referral
from carrot.domain.session import CustomerSession
from carrot.engine.budgets import budget_keys
from carrot.engine.evaluate import (
    CampaignRules,
    CampaignView,
    GroupNode,
    Outcome,
    RuleBook,
    evaluate,
)
from carrot.engine.host import CustomEffectView
from carrot.engine.rules import CompiledRuleset, RulesetInvalid, compile_ruleset
from carrot.engine.scope import ApplicationView, CallContext, EventView
from carrot.service.additional_costs import usable_additional_costs
from carrot.service.attributes import check_attributes
from carrot.service.keys import IntegrationCaller
from carrot.service.redemption import CodeMaker, code_views
from carrot.store import campaigns as campaign_store
from carrot.store import tables
from carrot.store.ledger import used_budgets


@dataclass(frozen=True)
class Compiled:
    """An application's rule book, the campaigns it was built from, and the settings (coupon
    caseSensitivity among them) and additional costs (name: "session", "item" or "both") it
    runs with."""

    book: RuleBook
    campaigns: dict[int, domain.Campaign]
    application: ApplicationView
    case_sensitivity: str
    additional_costs: dict[str, str]


class RuleBooks:
    """The per-process cache of compiled rule books, one per application."""

    def __init__(self) -> None:
        self._books: dict[int, Compiled] = {}
        self._rulesets: dict[tuple[int, int], CompiledRuleset | None] = {}
        self._lock = threading.Lock()

    def get(self, conn: sa.Connection, application_id: int, revision: int) -> Compiled:
        cached = self._books.get(application_id)
        if cached is not None and cached.book.revision == revision:
            return cached
        setup = campaign_store.load_evaluation_setup(conn, application_id)
        application, case_sensitivity, additional_costs = _application(conn, application_id)
        compiled = Compiled(
            RuleBook(setup.revision, self._tree(setup), _custom_effects(setup.custom_effects)),
            {active.campaign.id: active.campaign for active in setup.campaigns},
            application,
            case_sensitivity,
            additional_costs,
        )
        with self._lock:
            current = self._books.get(application_id)
            if current is None or current.book.revision <= setup.revision:
                self._books[application_id] = compiled
        return compiled

    def _tree(self, setup: domain.EvaluationSetup) -> GroupNode:
        children: dict[int | None, list[tuple[int, int, Any]]] = {}
        for group in setup.groups:
            children.setdefault(group.parent_id, []).append((group.position, 0, group))
        for active in setup.campaigns:
            place = (active.campaign.position, 1, active)
            children.setdefault(active.campaign.evaluation_group_id, []).append(place)
        roots = [group for group in setup.groups if group.parent_id is None]
        if not roots:
            # No group yet: every campaign is in the root, which is stackable.
            elements = tuple(self._campaign(a) for a in setup.campaigns)
            return GroupNode(0, "root", elements=elements)
        return self._node(roots[0], children)

    def _node(
        self, group: domain.EvaluationGroup, children: dict[int | None, list[tuple[int, int, Any]]]
    ) -> GroupNode:
        elements: list[GroupNode | CampaignRules] = []
        for _, kind, element in sorted(children.get(group.id, []), key=lambda c: (c[0], c[1])):
            if kind == 0:
                elements.append(self._node(element, children))
            else:
                elements.append(self._campaign(element))
        return GroupNode(group.id, group.name, group.mode.value, group.scope.value, tuple(elements))

    def _campaign(self, active: domain.ActiveCampaign) -> CampaignRules:
        campaign = active.campaign
        view = CampaignView(
            id=campaign.id,
            name=campaign.name,
            state=campaign.state.value,
            type=campaign.type.value,
            start_time=campaign.start_time,
            end_time=campaign.end_time,
            attributes=campaign.attributes,
            tags=campaign.tags,
            limits=campaign.limits,
            features=campaign.features,
        )
        return CampaignRules(
            view, None if active.ruleset is None else self._ruleset(active.ruleset)
        )

    def _ruleset(self, ruleset: domain.Ruleset) -> CompiledRuleset | None:
        key = (ruleset.campaign_id, ruleset.id)
        if key not in self._rulesets:
            try:
                compiled: CompiledRuleset | None = compile_ruleset(
                    ruleset.id,
                    [rule_document(rule) for rule in ruleset.rules],
                    [binding_document(binding) for binding in ruleset.bindings],
                )
            except RulesetInvalid:
                # Checked when saved; a ruleset that stopped compiling (a function removed
                # since) runs no rules rather than failing every call.
                compiled = None
            self._rulesets[key] = compiled
        return self._rulesets[key]


RULE_BOOKS = RuleBooks()


def rule_document(rule: domain.Rule) -> dict[str, Any]:
    return {
        "title": rule.title,
        "condition": rule.condition,
        "effects": list(rule.effects),
        "failureEffects": list(rule.failure_effects),
        "bindings": [binding_document(binding) for binding in rule.bindings],
    }


def binding_document(binding: domain.Binding) -> dict[str, Any]:
    return {"name": binding.name, "expression": binding.expression}


def _custom_effects(effects: Iterable[domain.CustomEffect]) -> dict[str, CustomEffectView]:
    return {
        effect.name: CustomEffectView(
            effect.id,
            effect.name,
            effect.payload,
            tuple((param.name, param.type) for param in effect.params),
            effect.is_per_item,
        )
        for effect in effects
    }


@dataclass(frozen=True)
class RulesRun:
    """The outcome of the rules for one call, with the campaigns that triggered and the
    session's codes as the store found them."""

    outcome: Outcome
    triggered: list[domain.Campaign] = field(default_factory=list)
    coupons: list[Coupon] = field(default_factory=list)
    referral: Referral | None = None

    @property
    def effects(self) -> list[dict[str, Any]]:
        return [effect.to_wire() for effect in self.outcome.effects]

    @property
    def failures(self) -> list[dict[str, Any]]:
        return [failure.to_wire() for failure in self.outcome.failures]


def run_rules(
    conn: sa.Connection,
    caller: IntegrationCaller,
    now: datetime,
    *,
    session: CustomerSession | None = None,
    profile: CustomerProfile | None = None,
    event: EventView | None = None,
    only: list[int] | None = None,
    explain: bool = False,
) -> RulesRun:
    compiled = current_rules(conn, caller)
    case_sensitivity = compiled.case_sensitivity
    coupons, referral = code_views(conn, caller.application_id, case_sensitivity, session, profile)
    context = CallContext(
        compiled.application,
        now,
        session,
        profile,
        event,
        coupons=coupons,
        referral=referral,
        codes=CodeMaker(conn, caller.application_id, case_sensitivity, compiled.campaigns),
    )
    keys = budget_keys(context, compiled.book)
    if keys:
        context = replace(context, budgets=used_budgets(conn, caller.application_id, keys))
    outcome = evaluate(
        context,
        compiled.book,
        only=None if only is None else frozenset(only),
        explain=explain,
    )
    triggered = [compiled.campaigns[c.id] for c in outcome.triggered if c.id in compiled.campaigns]
    found = [view.coupon for view in coupons if view.coupon is not None]
    return RulesRun(outcome, triggered, found, referral.referral if referral else None)


def current_rules(conn: sa.Connection, caller: IntegrationCaller) -> Compiled:
    """The caller's application as of this transaction: one query for its revision, the rest
    from this process's cache unless the revision moved. A transaction reads the revision once
    (a session update asks twice: to check additional costs and to run the rules); no
    Integration API call changes it, and one call should run on one rule book throughout."""
    transaction = conn.get_transaction()
    memo = conn.info.get(_RULES_OF_TRANSACTION)
    if memo is not None and memo[0] is transaction and memo[1] == caller.application_id:
        return memo[2]  # type: ignore[no-any-return]
    revision = campaign_store.current_revision(conn, caller.application_id)
    compiled = RULE_BOOKS.get(conn, caller.application_id, revision)
    conn.info[_RULES_OF_TRANSACTION] = (transaction, caller.application_id, compiled)
    return compiled


_RULES_OF_TRANSACTION = "carrot.rules_of_transaction"


def _application(
    conn: sa.Connection, application_id: int
) -> tuple[ApplicationView, str, dict[str, str]]:
    """The application as the engine sees it, its coupon caseSensitivity, and the additional
    costs it may use."""
    apps = tables.applications
    row = conn.execute(sa.select(apps).where(apps.c.id == application_id)).one()
    costs = usable_additional_costs(conn, row.account_id, application_id)
    view = ApplicationView(
        id=row.id,
        currency=row.currency,
        places=minor_units(row.currency),
        timezone=row.timezone,
        attributes=dict(row.attributes),
        default_discount_scope=row.default_discount_scope,
        default_item_scope=row.default_discount_additional_cost_per_item_scope,
        cascading=row.enable_cascading_discounts,
        flattened=row.enable_flattened_cart_items,
        additional_cost_ids={cost.name: cost.id for cost in costs},
        partial_discounts=row.enable_partial_discounts,
    )
    return view, row.case_sensitivity, {cost.name: cost.type for cost in costs}


# Applying what rules ask to store ------------------------------------------------------------

_ENTITY = {"Profile": "CustomerProfile", "Session": "CustomerSession"}


@dataclass
class Applied:
    """A session and profile after the rules' attribute updates, and the effects that stand."""

    session: CustomerSession | None
    profile: CustomerProfile | None
    effects: list[dict[str, Any]]
    failures: list[dict[str, Any]]


def apply_attribute_updates(
    conn: sa.Connection,
    caller: IntegrationCaller,
    run: RulesRun,
    session: CustomerSession | None,
    profile: CustomerProfile | None,
) -> Applied:
    """Write each updateAttribute effect to the profile, the session or a cart item, after
    checking the value against the attribute's definition. An update that does not fit its
    definition (or names an entity the call does not have) is dropped and said why."""
    effects, failures = [], list(run.failures)
    for effect in run.effects:
        if effect["effectType"] != "updateAttribute":
            effects.append(effect)
            continue
        path, value = effect["props"]["path"], effect["props"]["value"]
        try:
            session, profile = _update(conn, caller, path, value, session, profile)
        except BadRequest as error:
            failures.append(_dropped(effect, error.message))
            continue
        effects.append(effect)
    return Applied(session, profile, effects, failures)


def _update(
    conn: sa.Connection,
    caller: IntegrationCaller,
    path: str,
    value: Any,
    session: CustomerSession | None,
    profile: CustomerProfile | None,
) -> tuple[CustomerSession | None, CustomerProfile | None]:
    parts = path.split(".")
    name = parts[-1]
    if parts[0] == "Profile":
        if profile is None:
            raise BadRequest("the call has no customer profile to update")
        checked = _check(conn, caller, "CustomerProfile", name, value)
        return session, replace(profile, attributes={**profile.attributes, **checked})
    if session is None:
        raise BadRequest("the call has no customer session to update")
    if len(parts) == 3:
        checked = _check(conn, caller, "CustomerSession", name, value)
        return replace(session, attributes={**session.attributes, **checked}), profile
    position = int(parts[2])
    checked = _check(conn, caller, "CartItem", name, value)
    items = list(session.cart_items)
    items[position] = replace(items[position], attributes={**items[position].attributes, **checked})
    return replace(session, cart_items=items), profile


def _check(
    conn: sa.Connection, caller: IntegrationCaller, entity: str, name: str, value: Any
) -> dict[str, Any]:
    return check_attributes(
        conn, caller.account_id, caller.application_id, entity, {name: value}, "/value"
    )


def _dropped(effect: dict[str, Any], reason: str) -> dict[str, Any]:
    return {
        "campaignID": effect["campaignId"],
        "campaignName": "",
        "rulesetID": effect["rulesetId"],
        "ruleIndex": effect["ruleIndex"],
        "ruleName": effect["ruleName"],
        "details": f"updateAttribute {effect['props']['path']} was not applied: {reason}",
    }


def application_places(conn: sa.Connection, caller: IntegrationCaller) -> int:
    """Decimal places of the application's currency, from the settings cached with its
    rule book."""
    return current_rules(conn, caller).application.places
