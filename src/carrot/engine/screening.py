"""Which campaigns of an evaluation group may fire, decided for the whole group at once.

A rule's screen (CompiledRule.screen) is a first condition part that depends on the call's
scope alone. Without cascading discounts that scope is the same for every campaign of the
call, so each distinct screen of a group is tested once per call, and the campaigns none of
whose screens hold are left out before the group runs them: they would give nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from carrot.engine.rules import ConditionPart
from carrot.talang import TalangError
from carrot.talang.code import Evaluate

ONE_HELD, NONE_HELD = (True,), (False,)
"""The answers of a one-rule campaign; shared, as tuples can be."""


@dataclass(frozen=True)
class ScreenPlan:
    """A group's distinct screens; for each of its elements the index of each of its rules'
    screen among them (None: the element cannot be screened; it always runs); and for each
    screen, the elements that have it."""

    screens: tuple[Evaluate, ...]
    rules: tuple[tuple[int, ...] | None, ...]
    elements_of: tuple[tuple[int, ...], ...]
    unscreened: tuple[int, ...]
    position_of: dict[int, int]
    """The index of each screened campaign (by id) among the elements."""

    def answers(self, scope: dict[str, Any]) -> list[bool]:
        """Whether each screen holds on the call's scope."""
        return [holds(evaluate, scope) for evaluate in self.screens]

    def passing(self, answers: list[bool], campaigns: Iterable[int]) -> list[int]:
        """The indices of the elements that may fire, in order: those not screened, those
        one of whose screens holds, and those of `campaigns` (ids). Most screens fail, so
        only the elements of those that hold are looked at."""
        chosen = set(self.unscreened)
        for screen, holds in enumerate(answers):
            if holds:
                chosen.update(self.elements_of[screen])
        position_of = self.position_of
        chosen.update(position_of[c] for c in campaigns if c in position_of)
        return sorted(chosen)


def holds(screen: Evaluate, scope: dict[str, Any]) -> bool:
    """Whether a screen (a condition part that depends on the scope alone) is true on `scope`:
    no sink is needed to evaluate it, and one that fails to evaluate does not hold."""
    try:
        return screen(scope) is True
    except TalangError:
        return False


def plan_screens(elements: Sequence[tuple[int, tuple[ConditionPart, ...]] | None]) -> ScreenPlan:
    """The plan for a group whose elements are campaigns (id, their rules' screens) or not
    screened (None). Screens of the same expression, compiled alike, are tested once."""
    index: dict[tuple[str, int, int], int] = {}
    screens: list[Evaluate] = []
    elements_of: list[list[int]] = []
    rules: list[tuple[int, ...] | None] = []
    position_of: dict[int, int] = {}
    for position, element in enumerate(elements):
        if element is None:
            rules.append(None)
            continue
        campaign_id, parts = element
        position_of[campaign_id] = position
        positions = []
        for part in parts:
            code = part.code
            key = (repr(code.expr), id(code.registry), id(code.limits))
            if key not in index:
                index[key] = len(screens)
                screens.append(code.evaluate)
                elements_of.append([])
            elements_of[index[key]].append(position)
            positions.append(index[key])
        rules.append(tuple(positions))
    unscreened = tuple(position for position, found in enumerate(rules) if found is None)
    return ScreenPlan(
        tuple(screens),
        tuple(rules),
        tuple(tuple(dict.fromkeys(found)) for found in elements_of),
        unscreened,
        position_of,
    )


def held(positions: tuple[int, ...], answers: list[bool]) -> tuple[bool, ...]:
    """A campaign's answer for each of its rules' screens."""
    if len(positions) == 1:
        return ONE_HELD if answers[positions[0]] else NONE_HELD
    return tuple(answers[position] for position in positions)
