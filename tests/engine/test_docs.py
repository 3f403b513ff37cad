"""docs/rules.md is generated from the engine, and documents every path rules can read."""

from __future__ import annotations

from typing import Any

from carrot.domain.profile import CustomerProfile
from carrot.engine.docs import DOCS_PATH, render
from carrot.engine.scope import (
    PATHS,
    CallContext,
    EventView,
    build_scope,
    cart_buckets,
    coupon_scope,
    referral_scope,
)
from tests.engine.support import NOW, a_coupon, a_referral, app, item, session


def test_rules_reference_is_up_to_date() -> None:
    assert DOCS_PATH.read_text(encoding="utf-8") == render(), (
        "docs/rules.md is stale; run `python -m carrot.engine.docs`"
    )


def _paths(value: Any, prefix: str) -> set[str]:
    if not isinstance(value, dict):
        return {prefix}
    found: set[str] = set()
    for key, inner in value.items():
        path = f"{prefix}.{key}"
        if key in ("Attributes", "AdditionalCosts"):
            found.add(f"{path}.<name>")
        elif key == "CartItems":
            found.add(path)
            for element in inner:
                found |= {p.replace(path, "Item", 1) for p in _paths(element, path)}
        else:
            found |= _paths(inner, path)
    return found


def test_every_path_the_scope_offers_is_documented() -> None:
    profile = CustomerProfile(1, 1, "p", False, NOW, NOW)
    the_session = session(item("a", "2"), shipping="1")
    offered: set[str] = set()
    for flattened in (False, True):
        context = CallContext(
            app(cascading=True, flattened=flattened), NOW, the_session, profile, EventView("x")
        )
        scope = build_scope(context, cart_buckets(context))
        scope["Campaign"] = {"Id": 1, "Name": "c", "Attributes": {}, "Tags": []}
        scope["Coupon"] = coupon_scope(a_coupon(1, "C1"))
        scope["Referral"] = referral_scope(a_referral(1, "R1"))
        offered |= set().union(*(_paths(value, key) for key, value in scope.items()))
    assert offered == {path for path, _, _ in PATHS}
