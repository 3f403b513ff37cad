"""What an evaluation runs in: frames of bindings, the per-run state and lookups.

A frame is a plain dict from binding names to values. A child scope (a block's item, the
body of `catch`) is a copy of its parent, so a `set` inside it never leaks out, and reading
a name is a single dict lookup. Per-evaluation state (`Run`: step budget, host context,
clock, template expansion) sits in the frame under the private key `RUN`; expressions that
need none of it evaluate directly on the host's scope without copying it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from carrot.talang.errors import FunctionError, StepLimitReached
from carrot.talang.types import describe_value, to_plain, to_value, value_text

Frame = dict[Any, Any]
Thunk = Callable[[Frame], Any]


class _Key:
    """A frame key that no Talang name can collide with (names are strings)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


RUN = _Key("run")
TEMPLATES = _Key("templates")


@dataclass(frozen=True, slots=True)
class CallSite:
    """Where a call sits in its expression (for functions that expand code at run time)."""

    path: str
    depth: int


@dataclass(frozen=True, slots=True)
class Lazy:
    """A lazy argument: evaluate it with `run(frame)`; `kinds` are its static kinds."""

    run: Thunk
    kinds: int


@dataclass(frozen=True, slots=True)
class BlockArg:
    """A block argument: the variable it binds and its body.

    `cost` is the body's size in steps, charged once per item. `limit` is the budget a loop
    checks itself against when the evaluation keeps no shared budget (see `charge_loop`).
    When `takes_item` is true the compiler made the body a function of the item itself
    (it reads nothing but the item), so no child frame is needed.
    """

    var: str
    body: Callable[[Any], Any]
    cost: int
    limit: int
    takes_item: bool = False


@dataclass(frozen=True, slots=True)
class PairArg:
    """A `["Key", value]` argument of `kv`."""

    key: str
    value: Thunk


@dataclass(frozen=True, slots=True)
class ExprArg:
    """An unevaluated argument (of `!`): its JSON form and its static kinds."""

    expr: Any
    kinds: int


@dataclass(frozen=True, slots=True)
class TemplateBody:
    """The body of `setTemplate`, kept as JSON with `["#", i]` placeholders."""

    expr: Any


Expander = Callable[[Frame, Any, CallSite, str], Any]


class Run:
    """State shared by one evaluation."""

    __slots__ = ("context", "depth_base", "expand", "max_steps", "now", "steps")

    def __init__(self, max_steps: int, context: Any, now: datetime | None, expand: Expander):
        self.steps = max_steps
        self.max_steps = max_steps
        self.context = context
        self.now = now
        self.expand = expand
        self.depth_base = 0

    def charge(self, amount: int) -> None:
        self.steps -= amount
        if self.steps < 0:
            raise StepLimitReached(
                f"the evaluation needs more than {self.max_steps} steps; "
                "it works through too many items"
            )

    def current_time(self) -> datetime:
        if self.now is None:
            self.now = datetime.now(UTC)
        return self.now


def run_of(frame: Frame) -> Run:
    run: Run = frame[RUN]
    return run


def lookup(frame: Frame, keys: Sequence[str]) -> Any:
    """`(. k1 k2 …)`: read a binding and descend through Maps (talang.md §3.4).

    A missing key or a Null value is "not set"; stepping into something that is not a Map
    is an error rather than the reference's silent stop.
    """
    value = frame.get(keys[0])
    if value is None:
        raise FunctionError(f"`{keys[0]}` is not set")
    for index in range(1, len(keys)):
        value = to_value(value)
        if type(value) is not dict:
            raise FunctionError(
                f"`{'.'.join(keys[:index])}` is {describe_value(value)}, not a Map, "
                f"so `{'.'.join(keys[: index + 1])}` cannot be read"
            )
        value = value.get(keys[index])
        if value is None:
            raise FunctionError(f"`{'.'.join(keys[: index + 1])}` is not set")
    return to_value(value)


def plain_result(value: Any) -> Any:
    """What an evaluation hands back: a plain copy. A value from the scope inside it that
    Talang cannot use (a NaN in a Map the expression returns) fails the whole expression."""
    try:
        return to_plain(value)
    except FunctionError as error:
        raise error.at("$") from None


def key_text(key: Any) -> str:
    """A path key given as a value: its text (`(. Root (+ 1 1))` reads key "2")."""
    if type(key) is str:
        return key
    return value_text(key)


def items_of(values: list[Any]) -> list[Any]:
    """The normalised elements of a list (elements from the scope may be raw)."""
    return [to_value(item) for item in values]


def charge_loop(frame: Frame, amount: int, limit: int) -> None:
    """Charge a loop's work. Expressions with nested loops, templates or host context keep
    one budget per evaluation; in any other expression each loop is checked on its own."""
    run: Run | None = frame.get(RUN)
    if run is not None:
        run.charge(amount)
    elif amount > limit:
        raise StepLimitReached(
            f"the evaluation needs more than {limit} steps; it works through too many items"
        )


def block_applier(frame: Frame, block: BlockArg) -> Callable[[Any], Any]:
    """A function from an item to the block's value for it."""
    if block.takes_item:
        return block.body
    scope = dict(frame)
    var, body = block.var, block.body

    def apply(item: Any) -> Any:
        scope[var] = item
        return body(scope)

    return apply


def loop_applier(frame: Frame, values: list[Any], block: BlockArg) -> Callable[[Any], Any]:
    """`block_applier` for a loop over `values`, after charging it."""
    charge_loop(frame, len(values) * block.cost, block.limit)
    return block_applier(frame, block)
