"""The engine's Talang functions: effects. Each records what it gives through the `RuleSink`
passed as the evaluation context; discounts draw down the cart's buckets at once, so no later
discount can take what an earlier one took."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from carrot.domain.coupon import MAX_USAGE_LIMIT
from carrot.engine import effects as fx
from carrot.engine.budgets import CampaignBudget, Refusal, profile_id
from carrot.engine.cart import CartBuckets, ItemKey, line_key
from carrot.engine.codes import CodeBinding
from carrot.engine.effects import Effect, Origin
from carrot.engine.money import ZERO, round_money, split
from carrot.engine.redemption import (
    ADD_FREE_ITEM_EFFECT,
    CREATE_COUPON,
    CREATE_REFERRAL,
    CUSTOM_EFFECT,
    RESERVE_COUPON,
    CouponIntent,
    ReferralIntent,
    ReservationIntent,
)
from carrot.engine.scope import ApplicationView, CallContext
from carrot.talang.errors import FunctionError
from carrot.talang.registry import (
    STYLE_CONTEXT,
    Example,
    FunctionDef,
    Registry,
    default_registry,
    overload,
)

SESSION_SCOPES = ("sessionTotal", "cartItems", "additionalCosts")
ITEM_SCOPES = ("price", "additionalCosts", "itemTotal")
NOTIFICATION_TYPES = ("info", "warning", "error", "success")
ATTRIBUTE_PATH = re.compile(r"^(Profile|Session)\.Attributes\.([A-Za-z_][A-Za-z0-9_]*)$")
PLACEHOLDER = re.compile(r"\$\{\$([A-Za-z_][A-Za-z0-9_]*)\}")
_NUMBER_TYPES = (int, Decimal)
_NO_ORIGIN = Origin(0, 0, 0, "")


@dataclass(frozen=True)
class CustomEffectView:
    id: int
    name: str
    payload: str
    params: tuple[tuple[str, str], ...]
    """(name, type) of each parameter, in the order a rule passes them."""
    is_per_item: bool = False


@dataclass(frozen=True)
class Dropped:
    """An effect a budget dropped: its rule, its index among the rule's effects (None when
    the per-item choice of an evaluation group dropped it), why, and the codes it rejects —
    those its rule depends on (EffectCouldNotBeApplied)."""

    origin: Origin
    effect_index: int | None
    why: str
    rejects: tuple[CodeBinding, ...] = ()


@dataclass
class CampaignExtras:
    """What a campaign with a code or a budget adds to its sink; campaigns without either have
    none, and pay nothing for it."""

    budget: CampaignBudget | None = None
    coupon: CodeBinding | None = None
    referral: CodeBinding | None = None
    coupon_read: bool = False
    """couponValid was called by the current rule."""
    referral_read: bool = False
    gave: bool = False
    """The current rule gave a discount already."""
    effect_index: int = 0
    """The index of the effect running, among its rule's effects."""
    dropped: list[Dropped] = field(default_factory=list)
    """Each effect a budget dropped."""

    def start_rule(self) -> None:
        self.coupon_read = self.referral_read = self.gave = False

    def depended_on(self) -> tuple[CodeBinding, ...]:
        """The codes the current rule depends on: those its condition found valid."""
        return tuple(
            code
            for code, read in ((self.coupon, self.coupon_read), (self.referral, self.referral_read))
            if code is not None and read and code.valid
        )


@dataclass
class RuleSink:
    """Per-evaluation state the effect functions write to."""

    application: ApplicationView
    buckets: CartBuckets
    custom_effects: dict[str, CustomEffectView]
    campaign_type: str = "advanced"
    call: CallContext | None = None
    extra: CampaignExtras | None = None
    origin: Origin = _NO_ORIGIN
    effects: list[Effect] = field(default_factory=list)

    @property
    def places(self) -> int:
        return self.application.places

    def record(self, effect: Effect, counted: bool = True) -> None:
        self.effects.append(effect)
        extra = self.extra
        if extra is not None:
            if effect.discount > ZERO:
                extra.gave = True
            if extra.budget is not None:
                extra.budget.spend(self.buckets.spent, effect.effect_type, effect.discount, counted)

    def amount(self, value: Decimal, argument: int) -> Decimal:
        if value < ZERO:
            raise FunctionError(f"a discount cannot be negative, got {value}", argument)
        return round_money(value, self.places)


def _session_only(sink: RuleSink) -> None:
    if sink.campaign_type == "cartItem":
        raise FunctionError("campaigns of type cartItem can only give per-item effects")


def _item_key(sink: RuleSink, item: dict[str, Any], argument: int) -> ItemKey:
    position = item.get("Position")
    if not isinstance(position, _NUMBER_TYPES):
        raise FunctionError(
            "the item has no Position: pass an element of Session.CartItems", argument
        )
    sub = item.get("SubPosition")
    key = line_key(int(position)) if sub is None else ItemKey(int(position), int(sub))
    if not sink.buckets.has_item(key):
        raise FunctionError(f"the cart has no item at position {key.position}", argument)
    return key


def _units(key: ItemKey, item: dict[str, Any]) -> int:
    """A per-item value is per unit: a line that is not flattened gets it once per unit."""
    if key.sub_position is not None:
        return 1
    quantity = item.get("Quantity", 1)
    return int(quantity) if isinstance(quantity, _NUMBER_TYPES) else 1


def _scope(value: str, allowed: tuple[str, ...], argument: int) -> str:
    if value not in allowed:
        raise FunctionError(f"scope must be one of {', '.join(allowed)}; got {value!r}", argument)
    return value


# Discounts ---------------------------------------------------------------------------------


# Budgets cap a discount before it draws on the cart's buckets, at what the cart would give
# (`desired`), so the buckets only ever lose what the effect really gives. A rule that depends on
# a code (its condition found couponValid / referralValid true) is all or nothing: an effect it
# cannot give rejects the code (EffectCouldNotBeApplied) and the evaluation then takes back all
# of the rule's effects — except an effect that finds nothing left where capping applies, after
# the rule already gave a discount: the rule gave what the card or budget had.


# _NOTHING_TAKEN: a discount that finds nothing left to take gives no effect. Its campaign's
# result would leave the effect out (evaluate._empty_discount), and recording it neither counts
# against a budget nor makes its rule one that gave, so it is not made at all: once a cart is
# fully discounted, every later discount effect is such an effect.


def _budget(sink: RuleSink) -> CampaignBudget | None:
    extra = sink.extra
    return None if extra is None else extra.budget


def _capped(
    sink: RuleSink, budget: CampaignBudget, desired: Decimal
) -> tuple[Decimal, Decimal | None] | None:
    """(what the discount gives, its desiredValue when capped), or None when it is dropped."""
    if desired <= ZERO:
        return desired, None
    verdict = budget.cap(sink.buckets.spent, desired)
    if isinstance(verdict, Refusal):
        _drop(sink, verdict)
        return None
    return verdict


def _drop(sink: RuleSink, refusal: Refusal) -> None:
    extra = sink.extra
    assert extra is not None
    codes = extra.depended_on()
    if codes and refusal.partial and extra.gave:
        return  # nothing more is left: value 0 is no effect
    extra.dropped.append(Dropped(sink.origin, extra.effect_index, refusal.why, codes))


def _counted(sink: RuleSink, action: str) -> bool:
    """Whether one more effect fits the campaign's `action` budgets (dropped when not)."""
    budget = _budget(sink)
    if budget is None:
        return True
    refused = budget.count(sink.buckets.spent, action)
    if refused is not None:
        _drop(sink, Refusal(refused))
        return False
    return True


def set_discount(sink: RuleSink, name: str, value: Decimal, scope: str | None = None) -> None:
    _session_only(sink)
    chosen = _scope(scope or sink.application.default_discount_scope, SESSION_SCOPES, 3)
    amount, desired = sink.amount(value, 2), None
    budget = None if sink.extra is None else sink.extra.budget
    if budget is not None:
        room = sink.buckets.session_scope_amount(chosen)
        capped = _capped(sink, budget, min(amount, room))
        if capped is None:
            return
        amount, desired = capped
    taken = sink.buckets.take_session(chosen, amount)
    if taken.total <= ZERO:
        return  # see _NOTHING_TAKEN
    sink.record(fx.set_discount(sink.origin, name, chosen, taken, desired))


def set_discount_per_item(
    sink: RuleSink, name: str, item: dict[str, Any], value: Decimal, scope: str | None = None
) -> None:
    key = _item_key(sink, item, 2)
    chosen = _scope(scope or sink.application.default_item_scope, ITEM_SCOPES, 4)
    amount, desired = sink.amount(value, 3) * _units(key, item), None
    budget = None if sink.extra is None else sink.extra.budget
    if budget is not None:
        capped = _capped(sink, budget, min(amount, _left(sink, key, chosen)))
        if capped is None:
            return
        amount, desired = capped
    taken = sink.buckets.take_item(key, chosen, amount)
    if not taken:
        return  # see _NOTHING_TAKEN
    sink.record(fx.set_discount_per_item(sink.origin, name, key, chosen, taken, desired=desired))


def set_discount_per_item_pro_rata(
    sink: RuleSink, name: str, items: list[Any], total: Decimal, scope: str | None = None
) -> None:
    """Spread `total` over `items` in proportion to what is left of each, to the cent."""
    chosen = _scope(scope or sink.application.default_item_scope, ITEM_SCOPES, 4)
    keys = []
    for item in items:
        if not isinstance(item, dict):
            raise FunctionError("every element of the list must be a cart item", 2)
        key = _item_key(sink, item, 2)
        if key not in keys:
            keys.append(key)
    room = [_left(sink, key, chosen) for key in keys]
    whole, desired = min(sink.amount(total, 3), sum(room, ZERO)), None
    budget = _budget(sink)
    if budget is not None:
        capped = _capped(sink, budget, whole)
        if capped is None:
            return
        whole, desired = capped
    # One effect of the rule, spread over items: it counts once against count budgets.
    counted, call = True, object()
    for key, part in zip(keys, split(whole, room, sink.places), strict=True):
        taken = sink.buckets.take_item(key, chosen, part)
        if not taken:
            continue  # see _NOTHING_TAKEN
        effect = fx.set_discount_per_item(
            sink.origin,
            name,
            key,
            chosen,
            taken,
            pro_rata_total=whole,
            desired_total=desired,
            part_of=call,
        )
        sink.record(effect, counted)
        counted = counted and effect.discount <= ZERO


def _left(sink: RuleSink, key: ItemKey, scope: str) -> Decimal:
    item = sink.buckets.item(key)
    return ZERO if item is None else item.amount(scope)


def set_discount_per_additional_cost(sink: RuleSink, name: str, cost: str, value: Decimal) -> None:
    _session_only(sink)
    cost_id = _cost_id(sink, cost)
    amount, desired = sink.amount(value, 3), None
    budget = _budget(sink)
    if budget is not None:
        capped = _capped(sink, budget, min(amount, sink.buckets.session_cost(cost)))
        if capped is None:
            return
        amount, desired = capped
    taken = sink.buckets.take_cost(None, cost, amount)
    if not taken:
        return  # see _NOTHING_TAKEN
    sink.record(
        fx.set_discount_per_additional_cost(sink.origin, name, cost, cost_id, taken, desired)
    )


def set_discount_per_additional_cost_per_item(
    sink: RuleSink, name: str, item: dict[str, Any], cost: str, value: Decimal
) -> None:
    key = _item_key(sink, item, 2)
    cost_id = _cost_id(sink, cost)
    amount, desired = sink.amount(value, 4) * _units(key, item), None
    budget = _budget(sink)
    if budget is not None:
        capped = _capped(sink, budget, min(amount, _left_cost(sink, key, cost)))
        if capped is None:
            return
        amount, desired = capped
    taken = sink.buckets.take_cost(key, cost, amount)
    if not taken:
        return  # see _NOTHING_TAKEN
    sink.record(
        fx.set_discount_per_additional_cost_per_item(
            sink.origin, name, key, cost, cost_id, taken, desired
        )
    )


def _left_cost(sink: RuleSink, key: ItemKey, cost: str) -> Decimal:
    item = sink.buckets.item(key)
    return ZERO if item is None else item.costs.get(cost, ZERO)


def _cost_id(sink: RuleSink, cost: str) -> int:
    cost_id = sink.application.additional_cost_ids.get(cost)
    if cost_id is None:
        raise FunctionError(f"there is no additional cost named {cost!r}")
    return cost_id


# Other effects -----------------------------------------------------------------------------


def add_free_item(sink: RuleSink, sku: str, name: str) -> None:
    _session_only(sink)
    if not _counted(sink, ADD_FREE_ITEM_EFFECT):
        return
    sink.record(fx.add_free_item(sink.origin, sku, name))


def show_notification(sink: RuleSink, kind: str, title: str, body: str) -> None:
    sink.record(fx.show_notification(sink.origin, kind, title, body))


def update_attribute(sink: RuleSink, path: str, value: Any) -> None:
    if ATTRIBUTE_PATH.match(path) is None:
        raise FunctionError(
            "the path must read Profile.Attributes.<name> or Session.Attributes.<name>", 1
        )
    sink.record(fx.update_attribute(sink.origin, path, _plain(value)))


def update_item_attribute(sink: RuleSink, item: dict[str, Any], name: str, value: Any) -> None:
    key = _item_key(sink, item, 1)
    path = f"Session.CartItems.{key.position}.Attributes.{name}"
    sink.record(fx.update_attribute(sink.origin, path, _plain(value)))


def custom_effect(sink: RuleSink, name: str, *args: Any) -> None:
    definition = _custom(sink, name, per_item=False)
    payload = _payload(definition, args)
    if not _counted(sink, CUSTOM_EFFECT):
        return
    sink.record(fx.custom_effect(sink.origin, definition.id, definition.name, payload))


def custom_effect_per_item(sink: RuleSink, name: str, item: dict[str, Any], *args: Any) -> None:
    definition = _custom(sink, name, per_item=True)
    key = _item_key(sink, item, 2)
    payload = _payload(definition, args)
    if not _counted(sink, CUSTOM_EFFECT):
        return
    sink.record(fx.custom_effect(sink.origin, definition.id, definition.name, payload, key))


# Coupons and referrals ---------------------------------------------------------------------


def coupon_valid(sink: RuleSink) -> bool:
    """Whether the campaign's coupon (the session's code for it) passed the checks before
    rules; a rule that fires having asked accepts the coupon."""
    extra = sink.extra
    if extra is None or extra.coupon is None:
        return False
    extra.coupon_read = True
    return extra.coupon.valid


def referral_valid(sink: RuleSink) -> bool:
    extra = sink.extra
    if extra is None or extra.referral is None:
        return False
    extra.referral_read = True
    return extra.referral.valid


def _call(sink: RuleSink) -> CallContext:
    assert sink.call is not None, "the evaluation passes its context to every sink"
    return sink.call


def _new_code(sink: RuleSink, kind: str) -> str:
    codes = _call(sink).codes
    if codes is None:
        raise FunctionError(f"this call cannot create {kind} codes")
    return codes(sink.origin.campaign_id, kind)


def _count_argument(value: Decimal, argument: int, what: str) -> int:
    if value != value.to_integral_value() or not 0 <= value <= MAX_USAGE_LIMIT:
        raise FunctionError(f"{what} must be a whole number from 0 to {MAX_USAGE_LIMIT}", argument)
    return int(value)


def create_coupon(
    sink: RuleSink,
    usage_limit: Decimal = Decimal(1),
    discount_limit: Decimal = ZERO,
    start_date: datetime | None = None,
    expiry_date: datetime | None = None,
) -> None:
    limit = _count_argument(usage_limit, 1, "the usage limit")
    if discount_limit < ZERO:
        raise FunctionError("the discount limit cannot be negative", 2)
    if start_date is not None and expiry_date is not None and expiry_date <= start_date:
        raise FunctionError("the expiry date must be after the start date", 4)
    if not _counted(sink, CREATE_COUPON):
        return
    intent = CouponIntent(
        sink.origin.campaign_id,
        _new_code(sink, "coupon"),
        profile_id(_call(sink)),
        limit,
        round_money(discount_limit, sink.places),
        start_date,
        expiry_date,
    )
    sink.record(fx.coupon_created(sink.origin, intent))


def reserve_coupon(sink: RuleSink, code: str | None = None) -> None:
    call = _call(sink)
    profile = profile_id(call)
    if profile is None:
        raise FunctionError("reserveCoupon needs the session's profile")
    campaign_id = sink.origin.campaign_id
    found = [
        view
        for view in call.coupons
        if view.coupon is not None
        and view.coupon.campaign_id == campaign_id
        and (code is None or view.code == code or view.coupon.value == code)
    ]
    if not found:
        which = "a code of this campaign" if code is None else f"the code {code!r}"
        raise FunctionError(f"the session does not carry {which}", 1 if code else 0)
    view = found[0]
    coupon = view.coupon
    assert coupon is not None
    limit = coupon.terms.reservation_limit
    if not view.reserved and limit and coupon.reservation_counter >= limit:
        raise FunctionError(
            f"the code {coupon.value!r} is reserved by {coupon.reservation_counter} profiles, "
            f"its reservationLimit"
        )
    if not _counted(sink, RESERVE_COUPON):
        return
    intent = ReservationIntent(campaign_id, coupon.id, coupon.value, profile)
    sink.record(fx.reserve_coupon(sink.origin, intent, not view.reserved))


def create_referral(sink: RuleSink, usage_limit: Decimal = Decimal(1)) -> None:
    limit = _count_argument(usage_limit, 1, "the usage limit")
    advocate = profile_id(_call(sink))
    if advocate is None:
        raise FunctionError("createReferral needs the session's profile as the advocate")
    if not _counted(sink, CREATE_REFERRAL):
        return
    intent = ReferralIntent(sink.origin.campaign_id, _new_code(sink, "referral"), advocate, limit)
    sink.record(fx.referral_created(sink.origin, intent))


def _custom(sink: RuleSink, name: str, *, per_item: bool) -> CustomEffectView:
    definition = sink.custom_effects.get(name)
    if definition is None:
        raise FunctionError(f"there is no enabled custom effect named {name!r}", 1)
    if definition.is_per_item != per_item:
        wanted = "customEffectPerItem" if definition.is_per_item else "customEffect"
        raise FunctionError(f"custom effect {name!r} is called with {wanted}", 1)
    return definition


def _payload(definition: CustomEffectView, args: tuple[Any, ...]) -> Any:
    if len(args) != len(definition.params):
        raise FunctionError(
            f"custom effect {definition.name!r} takes {len(definition.params)} parameter(s), "
            f"got {len(args)}"
        )
    values = {}
    for (param, kind), value in zip(definition.params, args, strict=True):
        values[param] = _param_text(definition.name, param, kind, value)
    text = PLACEHOLDER.sub(
        lambda match: values.get(match.group(1), match.group(0)), definition.payload
    )
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _param_text(effect: str, param: str, kind: str, value: Any) -> str:
    expected = {"string": str, "number": Decimal, "boolean": bool, "time": datetime}.get(kind)
    if expected is not None and not isinstance(value, expected):
        raise FunctionError(f"parameter {param!r} of custom effect {effect!r} must be a {kind}")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return fx.money(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _effect(name: str, signatures: list[str], impl: Any, doc: str, example: str) -> FunctionDef:
    return FunctionDef(
        name=name,
        overloads=tuple(overload(sig, impl, style=STYLE_CONTEXT) for sig in signatures),
        doc=doc,
        family="effects",
        examples=(Example(example, note="records an effect"),),
        pure=False,
        needs_run=True,
        host=True,
    )


EFFECTS: tuple[FunctionDef, ...] = (
    _effect(
        "setDiscount",
        [
            "(name: String, value: Decimal) -> Null",
            "(name: String, value: Decimal, scope: String) -> Null",
        ],
        set_discount,
        "Discount the session: scope sessionTotal, cartItems or additionalCosts (default: the application's defaultDiscountScope). Capped at what is left of the scope, then at what the campaign's setDiscount budgets (and its coupon's discount limit) have left: with partial discounts the effect gives what is left and says desiredValue, without them it is dropped (see Budgets). Each discount effect takes 1 from setDiscountEffect budgets.",
        '["setDiscount", "10% off", ["*", [".", "Session", "Total"], 0.1]]',
    ),
    _effect(
        "setDiscountPerItem",
        [
            "(name: String, item: Map, value: Decimal) -> Null",
            "(name: String, item: Map, value: Decimal, scope: String) -> Null",
        ],
        set_discount_per_item,
        "Discount one cart item (one unit when cart items are flattened): scope price, additionalCosts or itemTotal. Capped at what is left of the item and, like setDiscount, at the campaign's budgets.",
        '["map", [".", "Session", "CartItems"], [["Item"], ["setDiscountPerItem", "5 off", [".", "Item"], 5]]]',
    ),
    _effect(
        "setDiscountPerItemProRata",
        [
            "(name: String, items: List, total: Decimal) -> Null",
            "(name: String, items: List, total: Decimal, scope: String) -> Null",
        ],
        set_discount_per_item_pro_rata,
        "Spread one discount over the listed cart items in proportion to their value; the parts add up to the whole to the cent. Budgets cap the whole (desiredTotalDiscount); it counts as one effect.",
        '["setDiscountPerItemProRata", "10 off kitchen", [".", "KitchenItems"], 10]',
    ),
    _effect(
        "setDiscountPerAdditionalCost",
        ["(name: String, cost: String, value: Decimal) -> Null"],
        set_discount_per_additional_cost,
        "Discount a session-level additional cost by name.",
        '["setDiscountPerAdditionalCost", "Free shipping", "shipping", [".", "Session", "AdditionalCosts", "shipping"]]',
    ),
    _effect(
        "setDiscountPerAdditionalCostPerItem",
        ["(name: String, item: Map, cost: String, value: Decimal) -> Null"],
        set_discount_per_additional_cost_per_item,
        "Discount an additional cost of one cart item.",
        '["map", [".", "Session", "CartItems"], [["Item"], ["setDiscountPerAdditionalCostPerItem", "Free wrap", [".", "Item"], "wrapping", 1]]]',
    ),
    _effect(
        "addFreeItem",
        ["(sku: String, name: String) -> Null"],
        add_free_item,
        "Tell the shop to add a free item to the cart. Takes 1 from the campaign's addFreeItemEffect budgets.",
        '["addFreeItem", "GIFT-01", "Tote bag"]',
    ),
    _effect(
        "showNotification",
        ["(type: String, title: String, body: String) -> Null"],
        show_notification,
        "Show the customer a message (type info, warning, error, …). Allowed among failure effects.",
        '["showNotification", "info", "Almost there", "Spend 10 more for free shipping"]',
    ),
    _effect(
        "updateAttribute",
        ["(path: String, value: Any) -> Null"],
        update_attribute,
        "Set a custom attribute of the profile or the session; stored unless the call is dry.",
        '["updateAttribute", "Profile.Attributes.Tier", "gold"]',
    ),
    _effect(
        "updateCartItemAttribute",
        ["(item: Map, name: String, value: Any) -> Null"],
        update_item_attribute,
        "Set a custom attribute of one cart item; stored unless the call is dry.",
        '["map", [".", "Session", "CartItems"], [["Item"], ["updateCartItemAttribute", [".", "Item"], "Promo", true]]]',
    ),
    _effect(
        "customEffect",
        ["(name: String, params: Any...) -> Null"],
        custom_effect,
        "Give a custom effect (defined with POST /v1/custom_effects), its params in declared order. Allowed among failure effects. Takes 1 from the campaign's customEffect budgets.",
        '["customEffect", "sendSample", "SKU-9"]',
    ),
    _effect(
        "customEffectPerItem",
        ["(name: String, item: Map, params: Any...) -> Null"],
        custom_effect_per_item,
        "Give a per-item custom effect for one cart item.",
        '["map", [".", "Session", "CartItems"], [["Item"], ["customEffectPerItem", "engrave", [".", "Item"], "A"]]]',
    ),
    _effect(
        "createCoupon",
        [
            "() -> Null",
            "(usageLimit: Decimal, discountLimit: Decimal) -> Null",
            "(usageLimit: Decimal, discountLimit: Decimal, startDate: Time, expiryDate: Time) -> Null",
        ],
        create_coupon,
        "Create a coupon of the campaign for the session's profile (its recipient; anyone's for anonymous sessions): usage limit (0: unlimited; default 1), discount limit (0: none), validity. The code is listed in createdCoupons and stored when the session closes. Takes 1 from the campaign's createCoupon budgets; without room it is not created.",
        '["createCoupon", 1, 0, ["parseTime", "2026-12-01T00:00:00Z"], ["parseTime", "2026-12-31T00:00:00Z"]]',
    ),
    _effect(
        "reserveCoupon",
        ["() -> Null", "(code: String) -> Null"],
        reserve_coupon,
        "Reserve a coupon of the campaign that the session carries (the first, or the one named) for the session's profile; isNewReservation says whether the profile held it before. Stored at once, unless the call is dry. Takes 1 from the campaign's reserveCoupon budgets.",
        '["reserveCoupon"]',
    ),
    _effect(
        "createReferral",
        ["() -> Null", "(usageLimit: Decimal) -> Null"],
        create_referral,
        "Create a referral code of the campaign with the session's profile as advocate (usage limit default 1, 0: unlimited). Listed in createdReferrals and stored when the session closes. Takes 1 from the campaign's createReferral budgets.",
        '["createReferral", 5]',
    ),
)


def _condition(name: str, impl: Any, doc: str, note: str) -> FunctionDef:
    return FunctionDef(
        name=name,
        overloads=(overload("() -> Boolean", impl, style=STYLE_CONTEXT),),
        doc=doc,
        family="conditions",
        examples=(Example(f'["{name}"]', note=note),),
        pure=False,
        needs_run=True,
        host=True,
    )


CONDITIONS: tuple[FunctionDef, ...] = (
    _condition(
        "couponValid",
        coupon_valid,
        "True when the session carries a code of this campaign that passed the checks before rules (running campaign, validity dates, recipient, reservation, usage and discount limits, redeemCoupon budgets). A rule that fires having found it true accepts the coupon and depends on it: the rule's effects are given only if the coupon is accepted (see Budgets). The campaign's effects carry triggeredByCoupon.",
        "accepts the coupon when the rule fires",
    ),
    _condition(
        "referralValid",
        referral_valid,
        "True when the session's referral code belongs to this campaign and passed the checks before rules (running campaign, validity dates, not the advocate, the friend, usage limit, redeemReferral budgets). A rule that fires having found it true accepts the referral and depends on it, as with couponValid.",
        "accepts the referral when the rule fires",
    ),
)

EFFECT_NAMES = frozenset(function.key for function in EFFECTS)
FAILURE_EFFECT_NAMES = frozenset({"shownotification", "customeffect", "customeffectperitem"})


def engine_registry() -> Registry:
    """Talang's core library plus carrot's effect functions."""
    return default_registry().extend(*EFFECTS, *CONDITIONS)
