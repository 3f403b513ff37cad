"""What undoes an effect when its session is cancelled, revoked, reopened or partly returned.
Works on effects as stored (their wire form), so a session's effects can be rolled back long
after the rules that gave them have changed."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from carrot.engine.effects import money
from carrot.engine.money import ZERO, unit

WireEffect = dict[str, Any]

DISCOUNT_TYPES = (
    "setDiscount",
    "setDiscountPerItem",
    "setDiscountPerAdditionalCost",
    "setDiscountPerAdditionalCostPerItem",
)


def _rollback_discount(effect: WireEffect, value: Decimal) -> WireEffect:
    props = effect["props"]
    rolled: dict[str, Any] = {"name": props["name"], "value": money(value)}
    if "position" in props:
        rolled["cartItemPosition"] = props["position"]
        if "subPosition" in props:
            rolled["cartItemSubPosition"] = props["subPosition"]
    if "additionalCost" in props:
        rolled["additionalCostId"] = props["additionalCostId"]
        rolled["additionalCost"] = props["additionalCost"]
    if "scope" in props:
        rolled["scope"] = props["scope"]
    envelope = {k: v for k, v in effect.items() if k not in ("effectType", "props")}
    return {**envelope, "effectType": "rollbackDiscount", "props": rolled}


def _rollback_code(kind: str) -> Callable[[WireEffect], WireEffect | None]:
    """An accepted coupon or referral is redeemed no more: rollbackCoupon / rollbackReferral."""

    def undo(effect: WireEffect) -> WireEffect:
        envelope = {k: v for k, v in effect.items() if k not in ("effectType", "props")}
        return {**envelope, "effectType": kind, "props": {"value": effect["props"]["value"]}}

    return undo


def _rollback_stored_discount(effect: WireEffect) -> WireEffect | None:
    value = Decimal(str(effect["props"]["value"]))
    return _rollback_discount(effect, value) if value > ZERO else None


# Discounts and redemptions are given back. Notifications, free items, custom effects,
# attribute updates and created or reserved coupons and referrals stay as they were, as in
# Talon.One.
ROLLBACKS: dict[str, Callable[[WireEffect], WireEffect | None]] = {
    **{kind: _rollback_stored_discount for kind in DISCOUNT_TYPES},
    "acceptCoupon": _rollback_code("rollbackCoupon"),
    "acceptReferral": _rollback_code("rollbackReferral"),
}


def rollback_all(effects: list[WireEffect]) -> list[WireEffect]:
    """The rollback effects that undo everything `effects` gave (cancel, revoke, reopen)."""
    rolled = []
    for effect in effects:
        undo = ROLLBACKS.get(effect["effectType"])
        if undo is not None:
            result = undo(effect)
            if result is not None:
                rolled.append(result)
    return rolled


def rollback_returned(
    effects: list[WireEffect],
    lines: dict[int, tuple[int, int, int]],
    places: int,
) -> tuple[list[WireEffect], list[WireEffect]]:
    """Give back the per-item discounts of returned units.

    `lines` maps a cart item position to (quantity, returned before, returned now). Flattened
    units are returned from the last unit backwards; a discount on a whole line is given back in
    proportion, rounded so that returning every unit gives back exactly the whole discount.
    Session-level discounts are kept. Answers (rollback effects, effects still in force)."""
    rollbacks: list[WireEffect] = []
    in_force: list[WireEffect] = []
    for effect in effects:
        props = effect["props"]
        position = props.get("position")
        if effect["effectType"] not in DISCOUNT_TYPES or position not in lines:
            in_force.append(effect)
            continue
        quantity, before, now = lines[position]
        value = Decimal(str(props["value"]))
        remaining_before = quantity - before
        if "subPosition" in props:
            # Units already returned have no effect in force any more.
            returned = props["subPosition"] >= remaining_before - now
            give_back = value if returned else ZERO
        else:
            give_back = proportional_share(value, now, remaining_before, places)
        if give_back > ZERO:
            rollbacks.append(_rollback_discount(effect, give_back))
        kept = value - give_back
        if kept > ZERO:
            in_force.append({**effect, "props": {**props, "value": money(kept)}})
    return rollbacks, in_force


def proportional_share(value: Decimal, units: int, of_units: int, places: int) -> Decimal:
    """The part of `value` (spread over `of_units` units) that `units` of them carry; all of it
    when they are all, so successive returns give back exactly the whole."""
    if units >= of_units:
        return value
    return (value * units / of_units).quantize(unit(places), rounding=ROUND_HALF_EVEN)
