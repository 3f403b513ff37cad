"""What the compiler makes of a node, and what its fast closures share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carrot.talang.calls import select
from carrot.talang.checker import Call
from carrot.talang.errors import FunctionError, TalangRuntimeError
from carrot.talang.runtime import Frame, Thunk

# What makes a fast closure hand over to the general one: a missing key, a container that
# is not a Map, NaN in a comparison.
UNUSUAL = (KeyError, TypeError, IndexError, ArithmeticError)


@dataclass(frozen=True, slots=True)
class Code:
    """A compiled node: its closure and, if it is constant, its value."""

    fn: Thunk
    const: bool = False
    value: Any = None


def constant(value: Any) -> Code:
    def constant_value(frame: Frame) -> Any:
        return value

    return Code(constant_value, True, value)


def mismatch(node: Call, values: list[Any]) -> TalangRuntimeError:
    """The type error `node` raises for these argument values (as the tree walk words it)."""
    try:
        select(node, values)
    except FunctionError as error:
        return error.at(node.path)
    return TalangRuntimeError("internal error: no mismatch found", node.path)
