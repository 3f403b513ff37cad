"""What the compiler makes of a node, and what its fast closures share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, Protocol

from carrot.talang.calls import select
from carrot.talang.checker import Call
from carrot.talang.errors import FunctionError, TalangRuntimeError
from carrot.talang.runtime import Frame, Thunk

# What makes a fast closure hand over to the general one: a missing key, a container that
# is not a Map, NaN in a comparison.
UNUSUAL = (KeyError, TypeError, IndexError, ArithmeticError)


class Evaluate(Protocol):
    """The signature of `Compiled.evaluate`."""

    def __call__(
        self,
        scope: Any = None,
        context: Any = None,
        now: datetime | None = None,
        max_steps: int | None = None,
    ) -> Any: ...


# The evaluation of a whole expression whose root is a shape (shapes.py), given the general
# evaluation: the shape's closure itself, with evaluate's signature, so that evaluating the
# commonest conditions costs one Python call. It runs on the host's scope when that is a
# dict and no budget of its own is asked for, and hands every other call to `outside`.
# Made with `outside=unreachable` it is the shape's ordinary closure, which is only ever
# called with a frame.
Entry = Callable[[Evaluate], Evaluate]


@dataclass(frozen=True, slots=True)
class Code:
    """A compiled node: its closure, if it is constant its value, and for some shapes the
    entry that evaluates an expression made of the node alone."""

    fn: Thunk
    const: bool = False
    value: Any = None
    entry: Entry | None = None


def with_entry(entry: Entry) -> Code:
    return Code(entry(unreachable), entry=entry)


def unreachable(
    scope: Any = None, context: Any = None, now: Any = None, max_steps: Any = None
) -> NoReturn:
    """The `outside` of a shape's ordinary closure: frames are dicts and carry no budget."""
    raise AssertionError("a compiled closure was called with something other than a frame")


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
