"""What is left to discount: every price and additional cost of a session as a bucket that
discounts draw down. No discount takes more than its buckets hold, so no price goes below zero,
and the discounted totals that cascading discounts show are read off the same buckets."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from carrot.engine.money import ZERO, split, unit


@dataclass(frozen=True, slots=True)
class ItemKey:
    """One cart item line, or one unit of it when cart items are flattened."""

    position: int
    sub_position: int | None = None


# Lines of usual carts. A rule may name any position (a number from a session attribute, say),
# so keys beyond these are made on demand rather than kept: the cache must not grow with what
# callers send.
_KEPT_LINES = 1000
_LINE_KEYS = tuple(ItemKey(position) for position in range(_KEPT_LINES))


def line_key(position: int) -> ItemKey:
    """The key of the cart line at `position`. Keys are only ever compared, so one per line
    serves every call: a call would otherwise make one per line twice, and again for each
    per-item effect."""
    if 0 <= position < _KEPT_LINES:
        return _LINE_KEYS[position]
    return ItemKey(position)


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


class Spread(Sequence[Allocation]):
    """The allocations of one session discount, and what they add up to. The total is known
    when the discount is given; the allocations may be worked out only when first read (see
    CartBuckets.take_session)."""

    __slots__ = ("_allocations", "_buckets", "total")

    def __init__(
        self,
        total: Decimal,
        allocations: list[Allocation] | None,
        buckets: CartBuckets | None = None,
    ) -> None:
        self.total = total
        self._allocations = allocations
        self._buckets = buckets

    @classmethod
    def of(cls, allocations: list[Allocation]) -> Spread:
        return cls(total_of(allocations), allocations)

    def _resolved(self) -> list[Allocation]:
        if self._allocations is None:
            assert self._buckets is not None, "a deferred spread knows its buckets"
            self._buckets.settle()
        assert self._allocations is not None
        return self._allocations

    def settled(self, allocations: list[Allocation]) -> None:
        assert total_of(allocations) == self.total, "a deferred spread gives what it said"
        self._allocations = allocations
        self._buckets = None

    def __getitem__(self, index: Any) -> Any:
        return self._resolved()[index]

    def __len__(self) -> int:
        return len(self._resolved())

    def __iter__(self) -> Iterator[Allocation]:
        return iter(self._resolved())


@dataclass
class CartBuckets:
    """Buckets in cart order, indexed by item key.

    Spreading a session discount over every bucket is most of what a discount costs, and
    often nothing reads the buckets afterwards. So with `defer` on, a session discount whose
    total is certain without spreading it (see `_deferrable_room`) is only noted, and the
    noted discounts are spread, in the order given, before anything reads or draws on the
    buckets: every reader sees exactly what spreading at once would have left."""

    _by_key: dict[ItemKey, ItemBuckets]
    _session_costs: dict[str, Decimal]
    places: int
    version: int = 0
    """Counts the draws, so a reader can tell whether discounted values changed (read with
    cascading discounts, which do not defer)."""
    spent: dict[Any, Decimal] = field(default_factory=dict)
    """What this evaluation took from each budget counter so far (budgets.py): it follows the
    buckets, so a trial copy's effects take from the trial's budgets."""
    defer: bool = False
    _pending: list[tuple[str, Decimal, Spread]] = field(default_factory=list)
    """Session discounts given but not spread yet: (scope, amount, their allocations)."""
    _pending_scope: str = ""
    _room: Decimal = ZERO
    """What is left of `_pending_scope` once the pending discounts are spread."""
    _whole: bool | None = None
    """Every bucket holds whole minor units and nothing below zero (None: not looked at
    yet). Draws keep it so unless they take a fraction of a unit."""

    @classmethod
    def of(
        cls,
        items: Iterable[ItemBuckets],
        session_costs: dict[str, Decimal],
        places: int,
        defer: bool = False,
    ) -> CartBuckets:
        return cls({item.key: item for item in items}, dict(session_costs), places, defer=defer)

    def assign(self, other: CartBuckets) -> None:
        """Take over the state of `other` (a trial copy whose effects were chosen)."""
        self.settle()
        other.settle()
        self._by_key = other._by_key
        self._session_costs = other._session_costs
        self.spent = other.spent
        self._whole = other._whole
        self.version = max(self.version, other.version) + 1

    def copy(self) -> CartBuckets:
        copied = CartBuckets.of(
            (ItemBuckets(i.key, i.price, dict(i.costs)) for i in self.items),
            self._session_costs,
            self.places,
            self.defer,
        )
        copied.version = self.version
        copied._whole = self._whole
        if self.spent:
            copied.spent = dict(self.spent)
        return copied

    # Reading ---------------------------------------------------------------------------

    @property
    def items(self) -> Iterable[ItemBuckets]:
        self.settle()
        return self._by_key.values()

    def item(self, key: ItemKey) -> ItemBuckets | None:
        self.settle()
        return self._by_key.get(key)

    def has_item(self, key: ItemKey) -> bool:
        """Whether the cart has the item (discounts never add or remove one)."""
        return key in self._by_key

    def session_cost(self, name: str) -> Decimal:
        """What is left of a session-level additional cost."""
        self.settle()
        return self._session_costs.get(name, ZERO)

    def cart_item_total(self) -> Decimal:
        return sum((i.price for i in self.items), ZERO)

    def additional_cost_total(self) -> Decimal:
        item_costs = sum((sum(i.costs.values(), ZERO) for i in self.items), ZERO)
        return item_costs + sum(self._session_costs.values(), ZERO)

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

    def take_session(self, scope: str, amount: Decimal) -> Spread:
        """Spread a session-level discount over every bucket of its scope: now, or (with
        `defer`) before the buckets are next read."""
        if self.defer:
            room = self._deferrable_room(scope, amount)
            if room is not None:
                given = min(amount, room)
                if given <= ZERO:
                    return Spread(ZERO, [])
                # Spread now, the parts would be whole units adding up to `given`.
                spread = Spread(given.quantize(unit(self.places)), None, self)
                self._pending.append((scope, amount, spread))
                self._room = room - given
                return spread
        self.settle()
        return Spread.of(self._take_session(scope, amount))

    def settle(self) -> None:
        """Spread the pending session discounts, in the order they were given."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        for scope, amount, spread in pending:
            spread.settled(self._take_session(scope, amount))

    def _deferrable_room(self, scope: str, amount: Decimal) -> Decimal | None:
        """What is left of `scope` when a discount of `amount` on it can be deferred: when
        every bucket, like the amount, holds whole minor units, and the scope has two buckets
        or more (the parts are then whole units adding up exactly to what it gives). None
        otherwise, and with discounts of another scope pending (this one's room depends on
        their parts)."""
        if not (self._whole_buckets() and _whole_units(amount, self.places)):
            return None
        if self._pending:
            if scope == self._pending_scope:
                return self._room
            self.settle()
        capacities = self._session_slots(scope)[1]
        if len(capacities) < 2:
            return None  # one bucket takes what it holds, whatever the units
        self._pending_scope = scope
        return sum(capacities, ZERO)

    def _whole_buckets(self) -> bool:
        if self._whole is None:
            values = [*self._session_costs.values()]
            for item in self._by_key.values():
                values.append(item.price)
                values += item.costs.values()
            self._whole = all(v >= ZERO and _whole_units(v, self.places) for v in values)
        return self._whole

    def _session_slots(self, scope: str) -> tuple[list[_Slot], list[Decimal]]:
        """The buckets of a session scope, in cart order, and what is left of each."""
        items = self._by_key.values()
        slots: list[_Slot] = []
        capacities: list[Decimal] = []
        if scope in ("sessionTotal", "cartItems"):
            slots += [(i, None) for i in items]
            capacities += [i.price for i in items]
        if scope in ("sessionTotal", "additionalCosts"):
            for item in items:
                if item.costs:
                    slots += [(item, name) for name in item.costs]
                    capacities += item.costs.values()
            slots += [(None, name) for name in self._session_costs]
            capacities += self._session_costs.values()
        return slots, capacities

    def _take_session(self, scope: str, amount: Decimal) -> list[Allocation]:
        slots, capacities = self._session_slots(scope)
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
        self.settle()
        if key is None:
            return self._take([(None, cost)], amount)
        item = self.item(key)
        return [] if item is None else self._take([(item, cost)], amount)

    def retake(self, allocations: Iterable[Allocation]) -> list[Allocation]:
        """Take the same shares again, from this state, each capped at what is left of its
        bucket: how an effect found on a trial copy is applied for real."""
        self.settle()
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
        if self._whole and not _whole_units(amount, self.places):
            self._whole = False
        parts = split(amount, capacities, self.places)
        taken = []
        # Drawing is inlined (not `_draw`): a session discount draws on every bucket of the
        # cart, and this loop runs for each one.
        for (item, cost), part in zip(slots, parts, strict=True):
            if part > ZERO:
                if item is None:
                    self._session_costs[cost or ""] -= part
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
            return self._session_costs.get(cost or "", ZERO)
        return item.price if cost is None else item.costs.get(cost, ZERO)

    def _draw(self, item: ItemBuckets | None, cost: str | None, amount: Decimal) -> None:
        self.version += 1
        if self._whole and not _whole_units(amount, self.places):
            self._whole = False
        if item is None:
            self._session_costs[cost or ""] -= amount
        elif cost is None:
            item.price -= amount
        else:
            item.costs[cost] -= amount


def total_of(allocations: Iterable[Allocation]) -> Decimal:
    return sum((a.amount for a in allocations), ZERO)


def _whole_units(amount: Decimal, places: int) -> bool:
    """Whether `amount` is a whole number of minor units."""
    try:
        return amount % unit(places) == ZERO
    except InvalidOperation:
        return False  # too many digits to tell: not known to be whole
