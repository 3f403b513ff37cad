"""Rulesets: immutable versions of a campaign's rules. Saving one checks its rules
(`rule_checks.check_rules`, the one place rules are checked) and may make it the
campaign's active version."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from carrot.domain.campaign import Ruleset
from carrot.domain.errors import NotFound
from carrot.service.attributes import invalid
from carrot.service.clock import utcnow
from carrot.service.keys import ManagementCaller, load_application
from carrot.service.rule_checks import check_rules
from carrot.store import campaigns as store
from carrot.store import tables
from carrot.store.db import Database

RULE_KEYS = (
    "id",
    "parentId",
    "title",
    "description",
    "bindings",
    "condition",
    "effects",
    "failureEffects",
)
BINDING_KEYS = (
    "name",
    "type",
    "expression",
    "valueType",
    "minValue",
    "maxValue",
    "attributeId",
    "description",
)


@dataclass(frozen=True)
class NewRulesetInput:
    """NewRuleset. Rules and bindings are the JSON sent, checked by `check_rules`."""

    rules: Any
    bindings: Any = field(default_factory=list)
    strikethrough_rules: Any = field(default_factory=list)
    rb_version: str = ""
    activate: bool = False


def create_ruleset(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    new: NewRulesetInput,
) -> Ruleset:
    caller.check_application(application_id)
    with db.write() as conn:
        store.lock_application(conn, caller.account_id, application_id)
        _campaign(conn, application_id, campaign_id)
        return save_ruleset(conn, caller, application_id, campaign_id, new)


def save_ruleset(
    conn: Connection,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    new: NewRulesetInput,
) -> Ruleset:
    """Checks and stores a ruleset of a campaign whose application the caller has locked;
    also how a copied campaign gets its rules."""
    problems = check_rules(conn, application_id, new.rules, new.bindings, new.strikethrough_rules)
    if problems:
        raise invalid(problems)
    now = utcnow()
    rulesets = tables.rulesets
    ruleset_id = conn.execute(
        rulesets.insert()
        .values(
            application_id=application_id,
            campaign_id=campaign_id,
            created=now,
            user_id=caller.key_id,
            rules=[_rule_document(rule) for rule in new.rules],
            strikethrough_rules=[_rule_document(rule) for rule in new.strikethrough_rules],
            bindings=[_binding_document(binding) for binding in new.bindings or []],
            rb_version=new.rb_version,
            activated_at=now if new.activate else None,
        )
        .returning(rulesets.c.id)
    ).scalar_one()
    if new.activate:
        campaigns = tables.campaigns
        conn.execute(
            campaigns.update()
            .where(campaigns.c.id == campaign_id)
            .values(active_ruleset_id=ruleset_id, updated=now)
        )
    store.bump_revisions(conn, [application_id])
    return _ruleset(conn, campaign_id, ruleset_id)


def list_rulesets(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    *,
    page_size: int,
    skip: int,
) -> tuple[int, list[Ruleset]]:
    caller.check_application(application_id)
    rulesets = tables.rulesets
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
        _campaign(conn, application_id, campaign_id)
        where = rulesets.c.campaign_id == campaign_id
        total = conn.execute(
            sa.select(sa.func.count()).select_from(rulesets).where(where)
        ).scalar_one()
        rows = conn.execute(
            sa.select(rulesets).where(where).order_by(rulesets.c.id).limit(page_size).offset(skip)
        )
        return total, [store.ruleset_from_row(row) for row in rows]


def get_ruleset(
    db: Database, caller: ManagementCaller, application_id: int, campaign_id: int, ruleset_id: int
) -> Ruleset:
    caller.check_application(application_id)
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
        _campaign(conn, application_id, campaign_id)
        return _ruleset(conn, campaign_id, ruleset_id)


def _campaign(conn: Connection, application_id: int, campaign_id: int) -> None:
    if store.campaign_row(conn, application_id, campaign_id) is None:
        raise NotFound(f"Campaign {campaign_id} not found in application {application_id}.")


def _ruleset(conn: Connection, campaign_id: int, ruleset_id: int) -> Ruleset:
    row = store.ruleset_row(conn, campaign_id, ruleset_id)
    if row is None:
        raise NotFound(f"Ruleset {ruleset_id} not found in campaign {campaign_id}.")
    return store.ruleset_from_row(row)


def _rule_document(rule: dict[str, Any]) -> dict[str, Any]:
    """A checked rule as stored: the fields Talon.One's Rule has, every rule with its
    (maybe empty) description and bindings."""
    document = {key: rule[key] for key in RULE_KEYS if rule.get(key) is not None}
    document.setdefault("description", "")
    document["bindings"] = [_binding_document(binding) for binding in rule.get("bindings") or []]
    return document


def _binding_document(binding: dict[str, Any]) -> dict[str, Any]:
    return {key: binding[key] for key in BINDING_KEYS if binding.get(key) is not None}
