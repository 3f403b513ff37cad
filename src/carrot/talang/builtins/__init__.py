"""The core library of Talang, one module per family of functions."""

from __future__ import annotations

from carrot.talang.builtins import (
    compare,
    control,
    lists,
    logic,
    maps,
    math,
    strings,
    templates,
    time,
)
from carrot.talang.registry import FunctionDef

FAMILIES = (compare, logic, math, strings, lists, maps, time, control, templates)


def all_functions() -> list[FunctionDef]:
    return [function for family in FAMILIES for function in family.FUNCTIONS]
