"""Customer sessions: cart items, totals and the state machine."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

_ZERO = Decimal(0)


class SessionState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    PARTIALLY_RETURNED = "partially_returned"
    CANCELLED = "cancelled"


# Transitions allowed through an update of the session (returns and reopen have their
# own endpoints and are checked there).
UPDATE_TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    SessionState.OPEN: frozenset({SessionState.OPEN, SessionState.CLOSED, SessionState.CANCELLED}),
    SessionState.CLOSED: frozenset({SessionState.CANCELLED}),
    SessionState.PARTIALLY_RETURNED: frozenset({SessionState.CANCELLED}),
    SessionState.CANCELLED: frozenset(),
}

INITIAL_STATES = frozenset({SessionState.OPEN, SessionState.CLOSED})

# The built-in event each change of state records.
EVENT_CREATED = "talon_session_created"
EVENT_UPDATED = "talon_session_updated"
EVENT_CLOSED = "talon_session_closed"
EVENT_CANCELLED = "talon_session_cancelled"
EVENT_REVOKED = "talon_session_revoked"
EVENT_PARTIALLY_RETURNED = "talon_session_partially_returned"
EVENT_REOPENED = "talon_session_reopened"


def transition_event(old: SessionState | None, new: SessionState) -> str:
    """The built-in event type recorded when a session goes from `old` (None: new) to `new`."""
    if old is None:
        return EVENT_CREATED
    if old is new:
        return EVENT_UPDATED
    if new is SessionState.CLOSED:
        return EVENT_CLOSED
    if new is SessionState.CANCELLED:
        return EVENT_CANCELLED if old is SessionState.OPEN else EVENT_REVOKED
    if new is SessionState.PARTIALLY_RETURNED:
        return EVENT_PARTIALLY_RETURNED
    return EVENT_REOPENED


def counts_as_sale(state: SessionState) -> bool:
    """Closed and partially returned sessions count in the profile's closedSessions and totalSales."""
    return state in (SessionState.CLOSED, SessionState.PARTIALLY_RETURNED)


@dataclass(frozen=True)
class CartItem:
    sku: str
    quantity: int
    price: Decimal
    name: str = ""
    category: str | None = None
    product: dict[str, Any] | None = None
    weight: Decimal | None = None
    height: Decimal | None = None
    width: Decimal | None = None
    length: Decimal | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    additional_costs: dict[str, Decimal] = field(default_factory=dict)
    returned_quantity: int = 0

    @property
    def remaining_quantity(self) -> int:
        return self.quantity - self.returned_quantity

    @property
    def total(self) -> Decimal:
        """Price times quantity: what the item adds to the session's cartItemTotal."""
        return self.price * self.quantity

    @property
    def additional_cost_total(self) -> Decimal:
        """The item's own additional costs, per unit, times quantity."""
        if not self.additional_costs:
            return _ZERO  # most items have none, and sums of the cart ask every item
        return sum(self.additional_costs.values(), _ZERO) * self.quantity

    def remaining_value(self) -> Decimal:
        """Price and the item's additional costs for the units not returned."""
        per_unit = self.price + sum(self.additional_costs.values(), Decimal(0))
        return per_unit * self.remaining_quantity


@dataclass(frozen=True)
class CustomerSession:
    id: int
    application_id: int
    integration_id: str
    profile_integration_id: str
    state: SessionState
    created: datetime
    updated: datetime
    store_integration_id: str | None = None
    coupon_codes: list[str] = field(default_factory=list)
    referral_code: str = ""
    loyalty_cards: list[str] = field(default_factory=list)
    cart_items: list[CartItem] = field(default_factory=list)
    additional_costs: dict[str, Decimal] = field(default_factory=dict)
    identifiers: list[str] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    first_session: bool = True
    update_count: int = 1
    profile_id: int | None = None
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None
    effects: list[dict[str, Any]] = field(default_factory=list)
    """The effects in force (Talon.One's wire form): what the last evaluation gave, less what
    was rolled back since."""

    @property
    def cart_item_total(self) -> Decimal:
        return sum((item.total for item in self.cart_items), Decimal(0))

    @property
    def additional_cost_total(self) -> Decimal:
        """Session-level additional costs plus those of every cart item."""
        session_costs = sum(self.additional_costs.values(), Decimal(0))
        return session_costs + sum(
            (item.additional_cost_total for item in self.cart_items), Decimal(0)
        )

    @property
    def total(self) -> Decimal:
        return self.cart_item_total + self.additional_cost_total

    @property
    def sales_value(self) -> Decimal:
        """What this session adds to the profile's totalSales: before discounts, less returns."""
        remaining = sum((item.remaining_value() for item in self.cart_items), Decimal(0))
        return remaining + sum(self.additional_costs.values(), Decimal(0))

    def with_changes(self, **changes: Any) -> CustomerSession:
        return replace(self, **changes)
