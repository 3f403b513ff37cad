"""Building blocks for engine tests: carts, applications and rule books in a line each."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from carrot.domain.coupon import Coupon, CouponTerms
from carrot.domain.referral import Referral, ReferralTerms
from carrot.domain.session import CartItem, CustomerSession, SessionState
from carrot.engine.evaluate import (
    CampaignRules,
    CampaignView,
    GroupNode,
    Outcome,
    RuleBook,
    evaluate,
)
from carrot.engine.host import CustomEffectView
from carrot.engine.rules import compile_ruleset
from carrot.engine.scope import ApplicationView, CallContext, EventView

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def item(sku: str, price: str, quantity: int = 1, category: str = "", **costs: str) -> CartItem:
    return CartItem(
        sku=sku,
        quantity=quantity,
        price=Decimal(price),
        category=category,
        additional_costs={name: Decimal(value) for name, value in costs.items()},
    )


def session(*items: CartItem, **costs: str) -> CustomerSession:
    return CustomerSession(
        id=1,
        application_id=1,
        integration_id="s1",
        profile_integration_id="p1",
        state=SessionState.OPEN,
        created=NOW,
        updated=NOW,
        cart_items=list(items),
        additional_costs={name: Decimal(value) for name, value in costs.items()},
    )


def app(**settings: Any) -> ApplicationView:
    defaults: dict[str, Any] = {"id": 1, "currency": "EUR", "places": 2, "timezone": "UTC",
                                "additional_cost_ids": {"shipping": 1, "wrapping": 2}}  # fmt: skip
    return ApplicationView(**{**defaults, **settings})


def rule(
    title: str, condition: Any, *effects: Any, failure: list[Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"title": title, "condition": condition, "effects": list(effects)}
    if failure:
        body["failureEffects"] = failure
    return body


def campaign(
    campaign_id: int,
    *rules: dict[str, Any],
    bindings: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> CampaignRules:
    ruleset = compile_ruleset(campaign_id * 10, list(rules), bindings or [])
    return CampaignRules(CampaignView(campaign_id, f"campaign {campaign_id}", **fields), ruleset)


def group(
    group_id: int, *elements: Any, mode: str = "stackable", scope: str = "session"
) -> GroupNode:
    return GroupNode(group_id, f"group {group_id}", mode, scope, tuple(elements))


def book(*elements: Any, custom: dict[str, CustomEffectView] | None = None) -> RuleBook:
    return RuleBook(1, group(1, *elements), custom or {})


def run(
    the_book: RuleBook,
    the_session: CustomerSession | None = None,
    application: ApplicationView | None = None,
    event: EventView | None = None,
    **kwargs: Any,
) -> Outcome:
    context = CallContext(application or app(), NOW, the_session, None, event)
    return evaluate(context, the_book, explain=True, **kwargs)


def values(outcome: Outcome) -> list[tuple[str, Any]]:
    """(effectType, value-or-props) per effect, the way tests spell expectations."""
    result = []
    for effect in outcome.effects:
        props = effect.props
        result.append((effect.effect_type, props.get("value", props)))
    return result


def total(path: str) -> list[Any]:
    return [".", *path.split(".")]


def a_coupon(
    campaign_id: int,
    value: str,
    coupon_id: int = 1,
    *,
    usage_counter: int = 0,
    discount_counter: str = "0",
    **terms: Any,
) -> Coupon:
    return Coupon(
        id=coupon_id,
        application_id=1,
        campaign_id=campaign_id,
        value=value,
        created=NOW,
        batch_id="b",
        terms=CouponTerms(**terms),
        usage_counter=usage_counter,
        discount_counter=Decimal(discount_counter),
    )


def a_referral(
    campaign_id: int,
    code: str,
    referral_id: int = 1,
    *,
    advocate: str = "advocate",
    usage_counter: int = 0,
    **terms: Any,
) -> Referral:
    return Referral(
        id=referral_id,
        application_id=1,
        campaign_id=campaign_id,
        code=code,
        advocate_profile_integration_id=advocate,
        created=NOW,
        terms=ReferralTerms(**terms),
        usage_counter=usage_counter,
    )


def call(
    the_book: RuleBook,
    the_session: CustomerSession | None = None,
    *,
    application: ApplicationView | None = None,
    only: frozenset[int] | None = None,
    explain: bool = True,
    **context: Any,
) -> Outcome:
    """Evaluate with any CallContext field (coupons, referral, budgets, codes, profile, …)."""
    the_context = CallContext(application or app(), context.pop("now", NOW), the_session, **context)
    return evaluate(the_context, the_book, only=only, explain=explain)


def wire(outcome: Outcome, effect_type: str) -> list[dict[str, Any]]:
    """The wire form of every effect of one type."""
    return [e.to_wire() for e in outcome.effects if e.effect_type == effect_type]
