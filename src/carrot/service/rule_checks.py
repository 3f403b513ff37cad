"""The one place a ruleset's rules are checked before they are saved: their JSON shape now,
every expression compiled against the application later. Each problem points into the
request body."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Connection

from carrot.domain.errors import Problem
from carrot.engine.rules import check_ruleset
from carrot.service.attributes import json_pointer, unstorable_text

BINDING_TYPES = ("bundle", "cartItemFilter", "subledgerBalance", "templateParameter")
VALUE_TYPES = ("string", "number", "boolean")
MAX_TITLE = 1000


def check_rules(
    conn: Connection,
    application_id: int,
    rules: Any,
    bindings: Any,
    strikethrough_rules: Any = (),
) -> list[Problem]:
    """Everything wrong with the rules, the ruleset's bindings and its strikethrough rules,
    each given as the JSON sent (so anything). Pointers start at /rules, /bindings and
    /strikethroughRules."""
    problems = [
        *_rule_list_problems(rules, "/rules"),
        *_binding_list_problems(bindings, "/bindings"),
        *_rule_list_problems(strikethrough_rules, "/strikethroughRules"),
        *unstorable_json_problems(rules, "/rules"),
        *unstorable_json_problems(bindings, "/bindings"),
        *unstorable_json_problems(strikethrough_rules, "/strikethroughRules"),
    ]
    if problems:
        return problems
    # The shape is right: now every expression must compile with the rule engine.
    errors = check_ruleset(rules, bindings or [])
    strikethrough = [
        replace(error, pointer=error.pointer.replace("/rules", "/strikethroughRules", 1))
        for error in check_ruleset(strikethrough_rules or [], [])
    ]
    return [
        Problem(title="Invalid rule", details=error.message, pointer=error.pointer)
        for error in errors + strikethrough
    ]


def unstorable_json_problems(document: Any, pointer: str) -> list[Problem]:
    """Every string (key or value) in a JSON document that neither database could keep."""
    if isinstance(document, str):
        reason = unstorable_text(document)
        return [] if reason is None else [_bad(f"The text {reason}.", pointer)]
    if isinstance(document, list | tuple):
        items: Any = enumerate(document)
    elif isinstance(document, dict):
        items = document.items()
    else:
        return []
    problems = []
    for key, value in items:
        where = pointer + json_pointer(key)
        if isinstance(key, str) and unstorable_text(key) is not None:
            problems.append(_bad("A key holds text neither database can keep.", where))
        problems.extend(unstorable_json_problems(value, where))
    return problems


def _rule_list_problems(rules: Any, pointer: str) -> list[Problem]:
    if not isinstance(rules, list | tuple):
        return [_bad("Expected a list of rules.", pointer)]
    problems: list[Problem] = []
    for index, rule in enumerate(rules):
        problems.extend(_rule_problems(rule, f"{pointer}/{index}"))
    return problems


def _rule_problems(rule: Any, pointer: str) -> list[Problem]:
    if not isinstance(rule, dict):
        return [_bad("A rule is a JSON object with a title, a condition and effects.", pointer)]
    problems = []
    title = rule.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
        problems.append(
            _bad(
                f"A rule needs a title: a string of 1 to {MAX_TITLE} characters.",
                f"{pointer}/title",
            )
        )
    problems.extend(_optional_string(rule, "description", pointer))
    problems.extend(_optional_string(rule, "id", pointer))
    problems.extend(_optional_string(rule, "parentId", pointer))
    problems.extend(_condition_problems(rule.get("condition"), f"{pointer}/condition"))
    problems.extend(_effects_problems(rule.get("effects"), f"{pointer}/effects"))
    if rule.get("failureEffects") is not None:
        problems.extend(_effects_problems(rule["failureEffects"], f"{pointer}/failureEffects"))
    if rule.get("bindings") is not None:
        problems.extend(_binding_list_problems(rule["bindings"], f"{pointer}/bindings"))
    return problems


def _condition_problems(condition: Any, pointer: str) -> list[Problem]:
    if not _is_expression(condition):
        return [
            _bad(
                "A rule's condition is a Talang expression: a non-empty JSON array such as "
                '["and", ["couponValid"]] (["and"] always holds).',
                pointer,
            )
        ]
    return []


def _effects_problems(effects: Any, pointer: str) -> list[Problem]:
    if not isinstance(effects, list):
        return [_bad("A rule's effects are a list of Talang expressions.", pointer)]
    return [
        _bad(
            'An effect is a Talang expression: a non-empty JSON array such as ["setDiscount", '
            '"10% off", 10].',
            f"{pointer}/{index}",
        )
        for index, effect in enumerate(effects)
        if not _is_expression(effect)
    ]


def _binding_list_problems(bindings: Any, pointer: str) -> list[Problem]:
    if bindings is None:
        return []
    if not isinstance(bindings, list | tuple):
        return [_bad("Expected a list of bindings.", pointer)]
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, binding in enumerate(bindings):
        where = f"{pointer}/{index}"
        problems.extend(_binding_problems(binding, where))
        name = binding.get("name") if isinstance(binding, dict) else None
        if isinstance(name, str):
            if name in seen:
                problems.append(_bad(f"The binding name '{name}' is used twice.", f"{where}/name"))
            seen.add(name)
    return problems


def _binding_problems(binding: Any, pointer: str) -> list[Problem]:
    if not isinstance(binding, dict):
        return [_bad("A binding is a JSON object with a name and an expression.", pointer)]
    problems = []
    name = binding.get("name")
    if not isinstance(name, str) or not name or len(name) > MAX_TITLE:
        problems.append(
            _bad(
                f"A binding needs a name: a string of 1 to {MAX_TITLE} characters.",
                f"{pointer}/name",
            )
        )
    if not _is_expression(binding.get("expression")):
        problems.append(
            _bad(
                "A binding's expression is a Talang expression: a non-empty JSON array.",
                f"{pointer}/expression",
            )
        )
    problems.extend(_optional_choice(binding, "type", BINDING_TYPES, pointer))
    problems.extend(_optional_choice(binding, "valueType", VALUE_TYPES, pointer))
    for key in ("minValue", "maxValue"):
        value = binding.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            problems.append(_bad("Expected a number.", f"{pointer}/{key}"))
    attribute_id = binding.get("attributeId")
    if attribute_id is not None and (
        isinstance(attribute_id, bool) or not isinstance(attribute_id, int) or attribute_id < 1
    ):
        problems.append(_bad("Expected a positive integer.", f"{pointer}/attributeId"))
    problems.extend(_optional_string(binding, "description", pointer))
    return problems


def _is_expression(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 0


def _optional_string(document: dict[str, Any], key: str, pointer: str) -> list[Problem]:
    value = document.get(key)
    if value is not None and not isinstance(value, str):
        return [_bad("Expected a string.", f"{pointer}/{key}")]
    return []


def _optional_choice(
    document: dict[str, Any], key: str, choices: tuple[str, ...], pointer: str
) -> list[Problem]:
    value = document.get(key)
    if value is not None and value not in choices:
        return [
            _bad(
                f"Expected one of {', '.join(choices)} (or leave it out).",
                f"{pointer}/{key}",
            )
        ]
    return []


def _bad(details: str, pointer: str) -> Problem:
    return Problem(title="Invalid rule", details=details, pointer=pointer)
