"""What is left to discount: every price and additional cost of a session as a bucket that
discounts draw down. No discount takes more than its buckets hold, so no price goes below zero,
and the discounted totals that cascading discounts show are read off the same buckets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from carrot.engine.money import ZERO, split


@dataclass(frozen=True, slots=True)
class ItemKey:
    """One cart item line, or one unit of it when cart items are flattened."""

    position: int
    sub_position: int | None = None


PRICE = "price"


@dataclass
class ItemBuckets:
    key: ItemKey
    price: Decimal
    costs: dict[str, Decimal] = field(default_factory=dict)

    def amount(self, scope: str, cost: str | None = None) -> Decimal:
        """What is left of this item for a per-item scope: price, additionalCosts, itemTotal,
        or one named additional cost."""
        if cost is not None:
            return self.costs.get(cost, ZERO)
        if scope == PRICE:
            return self.price
        if scope == "additionalCosts":
            return sum(self.costs.values(), ZERO)
        return self.price + sum(self.costs.values(), ZERO)


@dataclass
class Allocation:
    """The share of one discount one bucket took."""

    key: ItemKey | None
    cost: str | None
    amount: Decimal


# One bucket: an item's price (cost None), one of its additional costs, or a session-level
# cost (item None).
_Slot = tuple[ItemBuckets | None, str | None]


@dataclass
class CartBuckets:
    """Buckets in cart order, indexed by item key."""

    by_key: dict[ItemKey, ItemBuckets]
    session_costs: dict[str, Decimal]
    places: int
    version: int = 0
    """Counts the draws, so a reader can tell whether discounted values changed."""
    spent: dict[Any, Decimal] = field(default_factory=dict)
    """What this evaluation took from each budget counter so far (budgets.py): it follows the
    buckets, so a trial copy's effects take from the trial's budgets."""

    @classmethod
    def of(
        cls, items: Iterable[ItemBuckets], session_costs: dict[str, Decimal], places: int
    ) -> CartBuckets:
        return cls({item.key: item for item in items}, dict(session_costs), places)

    def assign(self, other: CartBuckets) -> None:
        """Take over the state of `other` (a trial copy whose effects were chosen)."""
        self.by_key = other.by_key
        self.session_costs = other.session_costs
        self.spent = other.spent
        self.version = max(self.version, other.version) + 1

    def copy(self) -> CartBuckets:
        copied = CartBuckets.of(
            (ItemBuckets(i.key, i.price, dict(i.costs)) for i in self.items),
            self.session_costs,
            self.places,
        )
        copied.version = self.version
        if self.spent:
            copied.spent = dict(self.spent)
        return copied

    # Reading ---------------------------------------------------------------------------

    @property
    def items(self) -> Iterable[ItemBuckets]:
        return self.by_key.values()

    def item(self, key: ItemKey) -> ItemBuckets | None:
        return self.by_key.get(key)

    def cart_item_total(self) -> Decimal:
        return sum((i.price for i in self.items), ZERO)

    def additional_cost_total(self) -> Decimal:
        item_costs = sum((sum(i.costs.values(), ZERO) for i in self.items), ZERO)
        return item_costs + sum(self.session_costs.values(), ZERO)

    def total(self) -> Decimal:
        return self.cart_item_total() + self.additional_cost_total()

    def session_scope_amount(self, scope: str) -> Decimal:
        if scope == "cartItems":
            return self.cart_item_total()
        if scope == "additionalCosts":
            return self.additional_cost_total()
        return self.total()

    # Drawing down ----------------------------------------------------------------------
    # Slots hold the item itself, so drawing looks nothing up.

    def take_session(self, scope: str, amount: Decimal) -> list[Allocation]:
        """Spread a session-level discount over every bucket of its scope."""
        slots: list[_Slot] = []
        capacities: list[Decimal] = []
        if scope in ("sessionTotal", "cartItems"):
            slots += [(i, None) for i in self.items]
            capacities += [i.price for i in self.items]
        if scope in ("sessionTotal", "additionalCosts"):
            for item in self.items:
                if item.costs:
                    slots += [(item, name) for name in item.costs]
                    capacities += item.costs.values()
            slots += [(None, name) for name in self.session_costs]
            capacities += self.session_costs.values()
        if len(slots) == 1:
            return self._take(slots, amount)
        return self._spread(slots, capacities, amount)

    def take_item(self, key: ItemKey, scope: str, amount: Decimal) -> list[Allocation]:
        """A per-item discount: price, additionalCosts (all of the item's), or itemTotal."""
        item = self.item(key)
        if item is None:
            return []
        slots: list[_Slot] = []
        if scope in (PRICE, "itemTotal"):
            slots.append((item, None))
        if scope in ("additionalCosts", "itemTotal"):
            slots += [(item, name) for name in item.costs]
        return self._take(slots, amount)

    def take_cost(self, key: ItemKey | None, cost: str, amount: Decimal) -> list[Allocation]:
        """One named additional cost, of the session (key None) or of one item."""
        if key is None:
            return self._take([(None, cost)], amount)
        item = self.item(key)
        return [] if item is None else self._take([(item, cost)], amount)

    def retake(self, allocations: Iterable[Allocation]) -> list[Allocation]:
        """Take the same shares again, from this state, each capped at what is left of its
        bucket: how an effect found on a trial copy is applied for real."""
        taken = []
        for allocation in allocations:
            key, cost = allocation.key, allocation.cost
            item = None if key is None else self.item(key)
            if key is not None and item is None:
                continue  # nothing is left of a bucket that is not there
            part = min(allocation.amount, self._left(item, cost))
            if part > ZERO:
                self._draw(item, cost, part)
                taken.append(Allocation(key, cost, part))
        return taken

    def _take(self, slots: Sequence[_Slot], amount: Decimal) -> list[Allocation]:
        if len(slots) == 1:
            item, cost = slots[0]
            part = min(amount, self._left(item, cost))
            if part <= ZERO:
                return []
            self._draw(item, cost, part)
            return [Allocation(None if item is None else item.key, cost, part)]
        return self._spread(slots, [self._left(item, cost) for item, cost in slots], amount)

    def _spread(
        self, slots: Sequence[_Slot], capacities: list[Decimal], amount: Decimal
    ) -> list[Allocation]:
        """Take `amount` (capped at what the slots hold) from `slots`, whose `capacities` are
        what is left of each, in proportion to them."""
        amount = min(amount, sum(capacities, ZERO))
        parts = split(amount, capacities, self.places)
        taken = []
        # Drawing is inlined (not `_draw`): a session discount draws on every bucket of the
        # cart, and this loop runs for each one.
        for (item, cost), part in zip(slots, parts, strict=True):
            if part > ZERO:
                if item is None:
                    self.session_costs[cost or ""] -= part
                    taken.append(Allocation(None, cost, part))
                    continue
                if cost is None:
                    item.price -= part
                else:
                    item.costs[cost] -= part
                taken.append(Allocation(item.key, cost, part))
        self.version += len(taken)
        return taken

    def _left(self, item: ItemBuckets | None, cost: str | None) -> Decimal:
        if item is None:
            return self.session_costs.get(cost or "", ZERO)
        return item.price if cost is None else item.costs.get(cost, ZERO)

    def _draw(self, item: ItemBuckets | None, cost: str | None, amount: Decimal) -> None:
        self.version += 1
        if item is None:
            self.session_costs[cost or ""] -= amount
        elif cost is None:
            item.price -= amount
        else:
            item.costs[cost] -= amount


def total_of(allocations: Iterable[Allocation]) -> Decimal:
    return sum((a.amount for a in allocations), ZERO)
