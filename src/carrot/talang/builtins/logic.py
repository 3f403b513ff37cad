"""Logic: `and or not`.

There is no truthiness: conditions must be Booleans. As in the reference, a List or Map
argument is skipped by `and` and makes `or` true (talang.md §4.2). Unlike the reference,
which evaluates every argument first, carrot stops at the first argument that decides the
result, so `(and false (. Missing))` is false rather than an error.
"""

from __future__ import annotations

from typing import Any

from carrot.talang.errors import FunctionError
from carrot.talang.registry import STYLE_FRAME, Example, FunctionDef, overload
from carrot.talang.runtime import Frame, Lazy
from carrot.talang.types import describe_value

FAMILY = "logic"


def condition_error(function: str, index: int, value: Any) -> FunctionError:
    return FunctionError(
        f"`{function}` argument {index} must be a Boolean, got {describe_value(value)}",
        argument=index,
    )


def all_of(frame: Frame, *conditions: Lazy) -> bool:
    for index, condition in enumerate(conditions, 1):
        value = condition.run(frame)
        if value is False:
            return False
        if value is not True and type(value) is not list and type(value) is not dict:
            raise condition_error("and", index, value)
    return True


def any_of(frame: Frame, *conditions: Lazy) -> bool:
    for index, condition in enumerate(conditions, 1):
        value = condition.run(frame)
        if value is True or type(value) is list or type(value) is dict:
            return True
        if value is not False:
            raise condition_error("or", index, value)
    return False


def negate(value: bool) -> bool:
    return not value


FUNCTIONS = (
    FunctionDef(
        name="and",
        overloads=(
            overload(
                "(conditions: lazy Boolean|List|Map...) -> Boolean", all_of, style=STYLE_FRAME
            ),
        ),
        doc="True when every condition is true; stops at the first false one. "
        "`(and)` is true; a List or Map argument is skipped.",
        family=FAMILY,
        examples=(
            Example("(and true (> 2 1))", True),
            Example("(and false (> 2 1))", False),
            Example("(and)", True),
            Example("(and (list 1 2 3) false)", False),
            Example(
                "(and (> (. Session Total) 100) true)", True, scope={"Session": {"Total": 150}}
            ),
        ),
    ),
    FunctionDef(
        name="or",
        overloads=(
            overload(
                "(conditions: lazy Boolean|List|Map...) -> Boolean", any_of, style=STYLE_FRAME
            ),
        ),
        doc="True when at least one condition is true; stops at the first true one. "
        "`(or)` is false; a List or Map argument counts as true.",
        family=FAMILY,
        examples=(
            Example("(or false false false true false)", True),
            Example("(or false false)", False),
            Example("(or (list 1 2 3))", True),
        ),
    ),
    FunctionDef(
        name="not",
        overloads=(overload("(condition: Boolean) -> Boolean", negate),),
        doc="Inverts a Boolean.",
        family=FAMILY,
        examples=(Example("(not false)", True), Example("(not (not false))", False)),
    ),
)
