"""`carrot demo`: an application with sample customers, ready to be called."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from carrot.domain.errors import Conflict
from carrot.domain.session import CartItem, SessionState
from carrot.service import additional_costs, applications, campaigns, rulesets, sessions
from carrot.service.clock import utcnow
from carrot.service.keys import (
    IntegrationCaller,
    ManagementCaller,
    create_management_key,
    ensure_default_account,
)
from carrot.store import tables
from carrot.store.db import Database

DEMO_APPLICATION = "carrot demo"


@dataclass(frozen=True)
class Demo:
    application_id: int
    integration_key: str
    management_key: str
    created: bool


def prepare_demo(db: Database) -> Demo:
    """Create the demo application once (later runs reuse it) and mint fresh keys for it."""
    account_id = ensure_default_account(db)
    owner = ManagementCaller(account_id=account_id, key_id=0, allowed_application_ids=None)
    application_id = _existing_demo(db, account_id)
    created = application_id is None
    if application_id is None:
        settings = applications.ApplicationSettings(
            name=DEMO_APPLICATION,
            description="Sample shop created by `carrot demo`.",
            timezone="Europe/Berlin",
            currency="EUR",
            enable_flattened_cart_items=True,
        )
        application_id = applications.create_application(db, owner, settings).id
    key_row, integration_key = applications.create_api_key(
        db,
        owner,
        application_id,
        applications.NewApiKey(title="demo", expires=utcnow() + timedelta(days=30)),
    )
    if created:
        _demo_campaigns(db, owner, application_id)
        caller = IntegrationCaller(
            account_id=account_id,
            application_id=application_id,
            key_id=key_row.id,
            staging=False,
            time_offset_ns=0,
            sandbox=False,
        )
        _sample_customers(db, caller)
    management_key = create_management_key(db, "demo", allowed_application_ids=None)
    return Demo(application_id, integration_key, management_key, created)


def _existing_demo(db: Database, account_id: int) -> int | None:
    with db.read() as conn:
        found = conn.execute(
            sa.select(tables.applications.c.id)
            .where(
                tables.applications.c.account_id == account_id,
                tables.applications.c.name == DEMO_APPLICATION,
            )
            .order_by(tables.applications.c.id)
            .limit(1)
        ).first()
    return None if found is None else int(found.id)


def _sample_customers(db: Database, caller: IntegrationCaller) -> None:
    tea = CartItem(
        sku="TEA-01", name="Green tea", quantity=2, price=Decimal("4.95"), category="Tea"
    )
    pot = CartItem(
        sku="POT-02", name="Tea pot", quantity=1, price=Decimal("29.00"), category="Kitchen"
    )
    cup = CartItem(sku="CUP-03", name="Cup", quantity=4, price=Decimal("6.50"), category="Kitchen")
    orders = [
        ("demo-order-1", "demo-alice", [tea, pot], SessionState.CLOSED),
        ("demo-order-2", "demo-alice", [cup], SessionState.CLOSED),
        ("demo-order-3", "demo-bob", [tea], SessionState.CLOSED),
        ("demo-cart-4", "demo-carol", [pot, cup], SessionState.OPEN),
    ]
    for session_id, profile_id, items, state in orders:
        changes = sessions.SessionChanges(profile_id=profile_id, cart_items=items, state=state)
        sessions.update_customer_session(db, caller, session_id, changes)


TOTAL = [".", "Session", "Total"]
KITCHEN = [
    "filter",
    [".", "Session", "CartItems"],
    [["Item"], ["=", [".", "Item", "Category"], "Kitchen"]],
]
SHIPPING_THRESHOLD = 60


def _three_for_two(nth: int) -> dict[str, Any]:
    """Every third kitchen unit is free, cheapest first: one rule per free unit (up to 9 units)."""
    cheapest_first = ["sortByNumber", KITCHEN, [["Item"], [".", "Item", "Price"]], False]
    free = ["item", cheapest_first, nth - 1]
    return {
        "title": f"unit {nth} of 3 for 2",
        "condition": ["and", [">=", ["count", KITCHEN], 3 * nth]],
        "bindings": [{"name": "Free", "expression": free}],
        "effects": [["setDiscountPerItem", "3 for 2", [".", "Free"], [".", "Free", "Price"]]],
    }


DEMO_CAMPAIGNS: list[tuple[str, list[dict[str, Any]]]] = [
    (
        "10% off orders over 100",
        [
            {
                "title": "10% off over 100",
                "condition": ["and", [">", TOTAL, 100]],
                "effects": [["setDiscount", "10% off", ["*", TOTAL, 0.1]]],
            }
        ],
    ),
    ("3 for 2 in Kitchen", [_three_for_two(n) for n in (1, 2, 3)]),
    (
        f"Free shipping over {SHIPPING_THRESHOLD}",
        [
            {
                "title": f"free shipping over {SHIPPING_THRESHOLD}",
                "condition": ["and", [">", [".", "Session", "CartItemTotal"], SHIPPING_THRESHOLD]],
                "effects": [
                    ["setDiscountPerAdditionalCost", "Free shipping", "shipping", [".", "Session", "AdditionalCosts", "shipping"]]
                ],
                "failureEffects": [
                    [
                        "showNotification",
                        "info",
                        "Almost free shipping",
                        ["+", "Add ", ["toString", ["-", SHIPPING_THRESHOLD, [".", "Session", "CartItemTotal"]]], " EUR for free shipping"],
                    ]
                ],
            }
        ],
    ),
]  # fmt: skip


def _demo_campaigns(db: Database, owner: ManagementCaller, application_id: int) -> None:
    """The campaigns a shop typically starts with; the printed curl call shows their effects."""
    # Defined already when an earlier demo (or the operator) created it.
    with contextlib.suppress(Conflict):
        additional_costs.create_additional_cost(
            db, owner, additional_costs.AdditionalCostDefinition("shipping", "Shipping")
        )
    for name, rules in DEMO_CAMPAIGNS:
        campaign = campaigns.create_campaign(
            db, owner, application_id, campaigns.CampaignSettings(name=name, tags=["demo"])
        )
        rulesets.create_ruleset(
            db,
            owner,
            application_id,
            campaign.id,
            rulesets.NewRulesetInput(rules=rules, activate=True),
        )
