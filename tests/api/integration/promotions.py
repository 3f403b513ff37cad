"""Helpers for the coupon, referral and budget tests: campaigns with rules, codes, closes,
and reading counters and the ledger straight from the database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from carrot.store import tables
from carrot.store.db import Database
from carrot.store.ledger import ledger_differences
from tests.api.integration.test_sessions import put_session
from tests.conftest import Api

COUPON_VALID = ["couponValid"]
REFERRAL_VALID = ["referralValid"]


def rule(title: str, condition: list[Any], *effects: list[Any]) -> dict[str, Any]:
    return {"title": title, "condition": ["and", *condition], "effects": list(effects)}


def discount(value: float, name: str = "off") -> list[Any]:
    return ["setDiscount", name, value]


def campaign_with(
    mgmt: Api, application: dict[str, Any], *rules: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """A running campaign with these rules (features coupons and referrals by default)."""
    base = f"/v1/applications/{application['id']}/campaigns"
    body = {"name": "promotion", "features": ["coupons", "referrals"], **fields}
    created = mgmt.post(base, json=body)
    assert created.status_code == 201, created.text
    campaign: dict[str, Any] = created.json()
    ruleset = mgmt.post(
        f"{base}/{campaign['id']}/rulesets", json={"rules": list(rules), "activate": True}
    )
    assert ruleset.status_code == 201, ruleset.text
    return campaign


def coupons_of(
    mgmt: Api, application: dict[str, Any], campaign: dict[str, Any], count: int = 1, **terms: Any
) -> list[dict[str, Any]]:
    url = f"/v1/applications/{application['id']}/campaigns/{campaign['id']}/coupons"
    body = {"numberOfCoupons": count, "usageLimit": 1, **terms}
    response = mgmt.post(url, params={"silent": "no"}, json=body)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def coupon_now(mgmt: Api, application: dict[str, Any], coupon: dict[str, Any]) -> dict[str, Any]:
    url = f"/v1/applications/{application['id']}/campaigns/{coupon['campaignId']}/coupons/no_total"
    response = mgmt.get(url, params={"value": coupon["value"], "exactMatch": "true"})
    assert response.status_code == 200, response.text
    [found] = response.json()["data"]
    result: dict[str, Any] = found
    return result


def session(integration: Api, session_id: str, **fields: Any) -> dict[str, Any]:
    fields.setdefault("cartItems", [{"sku": "a", "price": 100, "quantity": 1}])
    response = put_session(integration, session_id, **fields)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def close(integration: Api, session_id: str, **fields: Any) -> dict[str, Any]:
    return session(integration, session_id, state="closed", **fields)


def cancel(integration: Api, session_id: str) -> dict[str, Any]:
    response = put_session(integration, session_id, state="cancelled")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def effects_of(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [effect for effect in body["effects"] if effect["effectType"] == kind]


def rejection(body: dict[str, Any]) -> str:
    [rejected] = effects_of(body, "rejectCoupon")
    reason: str = rejected["props"]["rejectionReason"]
    return reason


def discounts(body: dict[str, Any]) -> list[float]:
    return [effect["props"]["value"] for effect in effects_of(body, "setDiscount")]


def ledger_rows(db: Database) -> list[Any]:
    with db.read() as conn:
        return list(conn.execute(sa.select(tables.ledger).order_by(tables.ledger.c.id)))


def budget_counters(db: Database) -> dict[tuple[str, str, str], Decimal]:
    c = tables.budget_counters.c
    with db.read() as conn:
        rows = conn.execute(sa.select(c.action, c.entity_key, c.period_key, c.counter))
        return {(r.action, r.entity_key, r.period_key): r.counter for r in rows}


def differences(db: Database) -> list[str]:
    with db.read() as conn:
        return [str(d) for d in ledger_differences(conn)]
