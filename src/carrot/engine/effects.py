"""Effects: what a rule gives, as Talon.One's Effect envelope plus type-specific props.
One builder per effect kind; `rollback.py` says what undoes each."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from carrot.engine.cart import Allocation, ItemKey, Spread, total_of
from carrot.engine.money import ZERO
from carrot.engine.redemption import CouponIntent, ReferralIntent, ReservationIntent


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an effect comes from: the envelope fields every effect carries."""

    campaign_id: int
    ruleset_id: int
    rule_index: int
    rule_name: str
    evaluation_group_id: int | None = None
    evaluation_group_mode: str | None = None
    triggered_by_coupon: int | None = None


@dataclass(frozen=True)
class Effect:
    origin: Origin
    effect_type: str
    props: dict[str, Any]
    discount: Decimal = ZERO
    """The money this effect takes off the session (0 for non-discount effects)."""
    item: ItemKey | None = None
    """The cart item (or unit) a per-item effect applies to."""
    allocations: Sequence[Allocation] = field(default=(), compare=False)
    """Which buckets the discount took from (a session discount's may be worked out only
    when read: see CartBuckets.take_session)."""
    intent: Any = field(default=None, compare=False)
    """What the service must store for it (a CouponIntent, ReferralIntent or
    ReservationIntent), kept with the effect so only chosen effects leave intents."""
    part_of: object | None = field(default=None, compare=False)
    """The setDiscountPerItemProRata call this is one part of: its parts count once against
    count budgets, also when an evaluation group's per-item choice keeps only some."""

    def to_wire(self) -> dict[str, Any]:
        origin = self.origin
        wire: dict[str, Any] = {
            "campaignId": origin.campaign_id,
            "rulesetId": origin.ruleset_id,
            "ruleIndex": origin.rule_index,
            "ruleName": origin.rule_name,
            "effectType": self.effect_type,
            "props": self.props,
        }
        if origin.evaluation_group_id is not None:
            wire["evaluationGroupID"] = origin.evaluation_group_id
            wire["evaluationGroupMode"] = origin.evaluation_group_mode
        if origin.triggered_by_coupon is not None:
            wire["triggeredByCoupon"] = origin.triggered_by_coupon
        return wire

    def in_group(self, group_id: int, mode: str) -> Effect:
        return replace(
            self,
            origin=replace(self.origin, evaluation_group_id=group_id, evaluation_group_mode=mode),
        )


def money(value: Decimal) -> int | float:
    """A rounded amount as a JSON number."""
    return int(value) if value == value.to_integral_value() else float(value)


def _item_position(key: ItemKey) -> dict[str, Any]:
    props: dict[str, Any] = {"position": key.position}
    if key.sub_position is not None:
        props["subPosition"] = key.sub_position
    return props


def _desired(props: dict[str, Any], desired: Decimal | None) -> dict[str, Any]:
    """A discount a budget capped says what it would have been (Talon.One's desiredValue)."""
    if desired is not None:
        props["desiredValue"] = money(desired)
    return props


def set_discount(
    origin: Origin,
    name: str,
    scope: str,
    taken: Spread,
    desired: Decimal | None = None,
) -> Effect:
    value = taken.total
    props = _desired({"name": name, "value": money(value), "scope": scope}, desired)
    return Effect(origin, "setDiscount", props, value, allocations=taken)


def set_discount_per_item(
    origin: Origin,
    name: str,
    key: ItemKey,
    scope: str,
    taken: list[Allocation],
    *,
    pro_rata_total: Decimal | None = None,
    desired: Decimal | None = None,
    desired_total: Decimal | None = None,
    part_of: object | None = None,
) -> Effect:
    value = total_of(taken)
    props: dict[str, Any] = {
        "name": f"{name}#{key.position}",
        "value": money(value),
        **_item_position(key),
        "scope": scope,
    }
    if desired is not None:  # inline: per-item effects are the most numerous
        props["desiredValue"] = money(desired)
    if pro_rata_total is not None:
        props["totalDiscount"] = money(pro_rata_total)
    if desired_total is not None:
        props["desiredTotalDiscount"] = money(desired_total)
    return Effect(origin, "setDiscountPerItem", props, value, key, tuple(taken), part_of=part_of)


def set_discount_per_additional_cost(
    origin: Origin,
    name: str,
    cost: str,
    cost_id: int,
    taken: list[Allocation],
    desired: Decimal | None = None,
) -> Effect:
    value = total_of(taken)
    props = {
        "name": name,
        "additionalCostId": cost_id,
        "additionalCost": cost,
        "value": money(value),
    }
    _desired(props, desired)
    return Effect(origin, "setDiscountPerAdditionalCost", props, value, allocations=tuple(taken))


def set_discount_per_additional_cost_per_item(
    origin: Origin,
    name: str,
    key: ItemKey,
    cost: str,
    cost_id: int,
    taken: list[Allocation],
    desired: Decimal | None = None,
) -> Effect:
    value = total_of(taken)
    props = {
        "name": f"{name}#{key.position}",
        "additionalCostId": cost_id,
        "additionalCost": cost,
        "value": money(value),
        **_item_position(key),
    }
    _desired(props, desired)
    return Effect(origin, "setDiscountPerAdditionalCostPerItem", props, value, key, tuple(taken))


def add_free_item(origin: Origin, sku: str, name: str) -> Effect:
    return Effect(origin, "addFreeItem", {"sku": sku, "name": name})


def show_notification(origin: Origin, notification_type: str, title: str, body: str) -> Effect:
    props = {"notificationType": notification_type, "title": title, "body": body}
    return Effect(origin, "showNotification", props)


def update_attribute(origin: Origin, path: str, value: Any) -> Effect:
    return Effect(origin, "updateAttribute", {"path": path, "value": value})


def custom_effect(
    origin: Origin, effect_id: int, name: str, payload: Any, key: ItemKey | None = None
) -> Effect:
    props: dict[str, Any] = {"effectId": effect_id, "name": name, "payload": payload}
    if key is not None:
        props["cartItemPosition"] = key.position
        if key.sub_position is not None:
            props["cartItemSubPosition"] = key.sub_position
    return Effect(origin, "customEffect", props, item=key)


def coupon_created(origin: Origin, intent: CouponIntent) -> Effect:
    props = {"value": intent.value, "profileId": intent.recipient_integration_id or ""}
    return Effect(origin, "couponCreated", props, intent=intent)


def referral_created(origin: Origin, intent: ReferralIntent) -> Effect:
    return Effect(origin, "referralCreated", {"value": intent.code}, intent=intent)


def reserve_coupon(origin: Origin, intent: ReservationIntent, is_new: bool) -> Effect:
    props = {
        "couponValue": intent.coupon_value,
        "profileIntegrationId": intent.profile_integration_id,
        "isNewReservation": is_new,
    }
    return Effect(origin, "reserveCoupon", props, intent=intent)


def with_allocations(effect: Effect, taken: list[Allocation]) -> Effect:
    """The same effect giving what `taken` adds up to (after re-capping on another state)."""
    if not effect.allocations:
        return effect
    value = total_of(taken)
    return replace(
        effect,
        props={**effect.props, "value": money(value)},
        discount=value,
        allocations=tuple(taken),
    )
