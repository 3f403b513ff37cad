"""Which campaigns of an evaluation group may fire, decided for the whole group at once.

A rule's screen (CompiledRule.screen) is a first condition part that depends on the call's
scope alone. Without cascading discounts that scope is the same for every campaign of the
call, so each distinct screen of a group is tested once per call, and the campaigns none of
whose screens hold are left out before the group runs them: they would give nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from carrot.engine.rules import ConditionPart
from carrot.talang import TalangError
from carrot.talang.code import Evaluate

ONE_HELD = (True,)
"""The answers of a one-rule campaign whose screen holds; shared, as tuples are."""


@dataclass(frozen=True)
class ScreenPlan:
    """A group's distinct screens, and for each of its elements the index of each of its
    rules' screen among them (None: the element cannot be screened; it always runs)."""

    screens: tuple[Evaluate, ...]
    rules: tuple[tuple[int, ...] | None, ...]

    def answers(self, scope: dict[str, Any]) -> list[bool]:
        """Whether each screen holds on the call's scope; one that fails does not."""
        answers = []
        for evaluate in self.screens:
            try:
                answers.append(evaluate(scope) is True)
            except TalangError:
                answers.append(False)
        return answers


def plan_screens(elements: Sequence[tuple[ConditionPart, ...] | None]) -> ScreenPlan:
    """The plan for a group whose elements have these screens (None: not screened).
    Screens of the same expression, compiled alike, are tested once."""
    index: dict[tuple[str, int, int], int] = {}
    screens: list[Evaluate] = []
    rules: list[tuple[int, ...] | None] = []
    for parts in elements:
        if parts is None:
            rules.append(None)
            continue
        positions = []
        for part in parts:
            code = part.code
            key = (repr(code.expr), id(code.registry), id(code.limits))
            if key not in index:
                index[key] = len(screens)
                screens.append(code.evaluate)
            positions.append(index[key])
        rules.append(tuple(positions))
    return ScreenPlan(tuple(screens), tuple(rules))


def held(positions: tuple[int, ...], answers: list[bool]) -> tuple[bool, ...] | None:
    """A campaign's answer for each of its rules, or None when no rule's screen holds."""
    if len(positions) == 1:
        return ONE_HELD if answers[positions[0]] else None
    found = tuple(answers[position] for position in positions)
    return found if any(found) else None
