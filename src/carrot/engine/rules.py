"""Rulesets compiled once: bindings, conditions split into their numbered parts, effects.
A rule that does not compile is refused when it is saved, with a JSON pointer to the bad node."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from carrot.engine.host import EFFECT_NAMES, FAILURE_EFFECT_NAMES, engine_registry
from carrot.talang import Compiled, TalangError, compile_expr, to_text
from carrot.talang.registry import Registry

COMPARISONS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_STEP = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class RuleError:
    """One thing wrong with a ruleset: a JSON pointer into the NewRuleset body and a sentence."""

    pointer: str
    message: str


@dataclass(frozen=True)
class ConditionPart:
    """One numbered condition of a rule: the parts of a top-level `and`, or the whole condition.
    For comparisons the two sides are compiled too, to say which values decided it."""

    code: Compiled
    text: str
    operator: str | None = None
    left: Compiled | None = None
    right: Compiled | None = None
    left_text: str = ""
    right_text: str = ""


@dataclass(frozen=True)
class CompiledBinding:
    name: str
    code: Compiled


@dataclass(frozen=True)
class CompiledRule:
    index: int
    title: str
    bindings: tuple[CompiledBinding, ...]
    condition: tuple[ConditionPart, ...]
    """Empty: the rule always fires."""
    effects: tuple[Compiled, ...]
    failure_effects: tuple[Compiled, ...]

    @cached_property
    def screen(self) -> ConditionPart | None:
        """The first condition part, when it can be tested on the campaign's scope alone:
        the rule has no bindings of its own and the part depends on the scope only. When it
        is false the rule does not fire, whatever the rest of the condition says."""
        if self.bindings or not self.condition or not self.condition[0].code.scope_only:
            return None
        return self.condition[0]


@dataclass(frozen=True)
class CompiledRuleset:
    id: int
    bindings: tuple[CompiledBinding, ...]
    rules: tuple[CompiledRule, ...]
    event_types: frozenset[str] | None = None
    """When every rule requires `Event.Type` to equal a literal, those types: the campaign
    cannot fire for any other call, so the engine skips it without evaluating anything."""
    creates: bool = False
    """Some effect creates or reserves codes: the outcome lists what the service must store."""
    needs_code: bool = False
    """Every rule requires `couponValid` or `referralValid` (and has no failure effects): the
    campaign cannot fire for a call that brings no code of it."""

    @cached_property
    def screens(self) -> tuple[ConditionPart, ...] | None:
        """Each rule's screen, when every rule has one that reads neither the campaign nor its
        codes, and no rule has failure effects, bindings or creates codes: when every screen
        is false on the call's scope, no rule fires and the campaign leaves no trace (unless
        explaining, or budgets or codes are in play)."""
        if self.bindings or self.creates:
            return None
        screens = []
        for rule in self.rules:
            screen = rule.screen
            if screen is None or rule.failure_effects or _reads_campaign(screen):
                return None
            screens.append(screen)
        return tuple(screens)


CAMPAIGN_NAMES = ("Campaign", "Coupon", "Referral")


def _reads_campaign(part: ConditionPart) -> bool:
    """Whether the part may read what only the campaign's scope holds (any text naming it)."""
    text = json.dumps(part.code.expr, default=str)
    return any(name in text for name in CAMPAIGN_NAMES)


class RulesetInvalid(Exception):
    def __init__(self, errors: list[RuleError]) -> None:
        super().__init__("; ".join(f"{e.pointer}: {e.message}" for e in errors))
        self.errors = errors


_REGISTRY: list[Registry] = []


def registry() -> Registry:
    if not _REGISTRY:
        _REGISTRY.append(engine_registry())
    return _REGISTRY[0]


def compile_ruleset(
    ruleset_id: int, rules: Sequence[dict[str, Any]], bindings: Sequence[dict[str, Any]]
) -> CompiledRuleset:
    """Compile every expression of a ruleset, or raise RulesetInvalid listing every problem."""
    errors: list[RuleError] = []
    compiled_bindings = _bindings(bindings, "/bindings", errors)
    compiled_rules = []
    for index, rule in enumerate(rules):
        compiled = _rule(index, rule, f"/rules/{index}", errors)
        if compiled is not None:
            compiled_rules.append(compiled)
    if errors:
        raise RulesetInvalid(errors)
    return CompiledRuleset(
        ruleset_id,
        compiled_bindings,
        tuple(compiled_rules),
        _event_guard(rules),
        _creates(rules),
        _code_guard(rules),
    )


CREATING_EFFECTS = frozenset({"createcoupon", "reservecoupon", "createreferral"})


def _creates(rules: Sequence[dict[str, Any]]) -> bool:
    return any(
        name.lower() in CREATING_EFFECTS
        for rule in rules
        for effect in rule.get("effects") or []
        for name, _ in _calls(effect, "")
    )


EVENT_TYPE = [".", "Event", "Type"]


def _event_guard(rules: Sequence[dict[str, Any]]) -> frozenset[str] | None:
    types: set[str] = set()
    for rule in rules:
        required = _required_event_type(rule.get("condition"))
        if required is None or rule.get("failureEffects"):
            return None
        types.add(required)
    return frozenset(types) if types else None


def _required_event_type(condition: Any) -> str | None:
    """The literal `Event.Type` a top-level condition part requires, if one does."""
    for part in _top_level_parts(condition):
        if isinstance(part, list) and len(part) == 3 and part[0] == "=":
            left, right = part[1], part[2]
            if left == EVENT_TYPE and isinstance(right, str):
                return right
            if right == EVENT_TYPE and isinstance(left, str):
                return left
    return None


CODE_CHECKS = frozenset({"couponvalid", "referralvalid"})


def _code_guard(rules: Sequence[dict[str, Any]]) -> bool:
    return bool(rules) and all(
        not rule.get("failureEffects") and _requires_code(rule.get("condition")) for rule in rules
    )


def _requires_code(condition: Any) -> bool:
    """Whether a top-level condition part is `(couponValid)` or `(referralValid)`."""
    return any(
        isinstance(part, list)
        and len(part) == 1
        and isinstance(part[0], str)
        and part[0].lower() in CODE_CHECKS
        for part in _top_level_parts(condition)
    )


def _top_level_parts(condition: Any) -> list[Any]:
    """The parts of a condition that must all hold: those of a top-level `and`, or itself."""
    if not isinstance(condition, list) or not condition:
        return []
    return condition[1:] if condition[0] == "and" else [condition]


def check_ruleset(
    rules: Sequence[dict[str, Any]], bindings: Sequence[dict[str, Any]]
) -> list[RuleError]:
    try:
        compile_ruleset(0, rules, bindings)
    except RulesetInvalid as invalid:
        return invalid.errors
    return []


def _compile(expr: Any, pointer: str, errors: list[RuleError]) -> Compiled | None:
    try:
        return compile_expr(expr, registry=registry())
    except TalangError as error:
        errors.append(RuleError(pointer + _pointer(error.path), error.message))
        return None


def _pointer(path: str) -> str:
    """Talang's `$[1][2]` as the JSON pointer suffix `/1/2`."""
    return "".join(f"/{step}" for step in _STEP.findall(path))


def _bindings(
    bindings: Sequence[dict[str, Any]], pointer: str, errors: list[RuleError]
) -> tuple[CompiledBinding, ...]:
    compiled = []
    for index, binding in enumerate(bindings):
        where = f"{pointer}/{index}/expression"
        _refuse_effects(binding.get("expression"), where, errors, frozenset(), "bindings")
        code = _compile(binding.get("expression"), where, errors)
        if code is not None:
            compiled.append(CompiledBinding(str(binding.get("name", "")), code))
    return tuple(compiled)


def _rule(
    index: int, rule: dict[str, Any], pointer: str, errors: list[RuleError]
) -> CompiledRule | None:
    before = len(errors)
    bindings = _bindings(rule.get("bindings") or [], f"{pointer}/bindings", errors)
    condition = _condition(rule.get("condition"), f"{pointer}/condition", errors)
    effects = _effects(rule.get("effects") or [], f"{pointer}/effects", errors)
    failure = _effects(
        rule.get("failureEffects") or [],
        f"{pointer}/failureEffects",
        errors,
        (FAILURE_EFFECT_NAMES, "failure effects (only notifications and custom effects)"),
    )
    if len(errors) > before:
        return None
    return CompiledRule(index, str(rule.get("title", "")), bindings, condition, effects, failure)


def _condition(expr: Any, pointer: str, errors: list[RuleError]) -> tuple[ConditionPart, ...]:
    if expr is None or expr == [] or expr == ["and"]:
        return ()
    _refuse_effects(expr, pointer, errors, frozenset(), "conditions")
    if isinstance(expr, list) and expr and expr[0] == "and":
        parts = [(part, f"{pointer}/{i}") for i, part in enumerate(expr[1:], start=1)]
    else:
        parts = [(expr, pointer)]
    compiled = []
    for part, where in parts:
        code = _compile(part, where, errors)
        if code is not None:
            compiled.append(_part(part, code, where, errors))
    return tuple(compiled)


def _part(expr: Any, code: Compiled, pointer: str, errors: list[RuleError]) -> ConditionPart:
    text = _text(expr)
    if isinstance(expr, list) and len(expr) == 3 and expr[0] in COMPARISONS:
        left = _compile(expr[1], f"{pointer}/1", errors)
        right = _compile(expr[2], f"{pointer}/2", errors)
        return ConditionPart(code, text, expr[0], left, right, _text(expr[1]), _text(expr[2]))
    return ConditionPart(code, text)


def _text(expr: Any) -> str:
    if (
        isinstance(expr, list)
        and len(expr) > 1
        and expr[0] == "."
        and all(isinstance(k, str) for k in expr[1:])
    ):
        return ".".join(expr[1:])
    try:
        return to_text(expr)
    except TalangError:
        return str(expr)


def _effects(
    exprs: Sequence[Any],
    pointer: str,
    errors: list[RuleError],
    restricted: tuple[frozenset[str], str] | None = None,
) -> tuple[Compiled, ...]:
    compiled = []
    for index, expr in enumerate(exprs):
        where = f"{pointer}/{index}"
        if restricted is not None:
            _refuse_effects(expr, where, errors, *restricted)
        code = _compile(expr, where, errors)
        if code is not None:
            compiled.append(code)
    return tuple(compiled)


def _refuse_effects(
    expr: Any, pointer: str, errors: list[RuleError], allowed: frozenset[str], place: str
) -> None:
    """Effects belong among a rule's effects; failure effects may only notify or give custom
    effects; conditions and bindings give none."""
    for name, where in _calls(expr, pointer):
        key = name.lower()
        if key in EFFECT_NAMES and key not in allowed:
            errors.append(RuleError(where, f"`{name}` is an effect; it cannot be used in {place}"))


def _calls(expr: Any, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(expr, list) and expr:
        if isinstance(expr[0], str):
            yield expr[0], pointer
        for index, child in enumerate(expr):
            if isinstance(child, list):
                yield from _calls(child, f"{pointer}/{index}")
