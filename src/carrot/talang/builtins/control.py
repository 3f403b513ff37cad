"""Control and bindings: `. .| catch do fn noop set`."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from carrot.talang.errors import FunctionError, StepLimitError, TalangRuntimeError
from carrot.talang.registry import STYLE_FRAME, Example, FunctionDef, overload
from carrot.talang.runtime import BlockArg, Frame, Lazy, block_applier, key_text, lookup
from carrot.talang.types import describe_value, kind_of, kinds_phrase, to_value

FAMILY = "control"


def read(frame: Frame, *keys: Any) -> Any:
    return lookup(frame, [key_text(key) for key in keys])


def read_or(frame: Frame, fallback: Lazy, body: Lazy) -> Any:
    """The reference also insists that a found value has the default's kind."""
    try:
        value = body.run(frame)
    except StepLimitError:
        raise
    except TalangRuntimeError:
        return fallback.run(frame)
    if not kind_of(value) & fallback.kinds:
        raise FunctionError(
            f"`.|` found {describe_value(value)}, but its default is "
            f"{kinds_phrase(fallback.kinds)}",
            argument=2,
        )
    return value


def recover(frame: Frame, fallback: Lazy, body: Lazy) -> Any:
    try:
        return body.run(dict(frame))
    except StepLimitError:
        raise
    except TalangRuntimeError:
        return fallback.run(frame)


def apply_block(frame: Frame, value: Any, block: BlockArg) -> Any:
    return block_applier(frame, block)(value)


def nothing() -> None:
    return None


def assign(frame: Frame, name: str, *rest: Any) -> None:
    """`(set K v)` or `(set K1 K2 … v)`: nested Maps are copied, never changed in place."""
    keys = [name, *(key_text(key) for key in rest[:-1])]
    value = rest[-1]
    if len(keys) == 1:
        frame[name] = value
        return
    frame[name] = _with(frame.get(name), keys, 1, value)


def _with(container: Any, keys: Sequence[str], depth: int, value: Any) -> dict[str, Any]:
    container = to_value(container)
    if container is None:
        container = {}
    elif type(container) is not dict:
        raise FunctionError(
            f"`{'.'.join(keys[:depth])}` is {describe_value(container)}, not a Map, "
            f"so `{'.'.join(keys[: depth + 1])}` cannot be set"
        )
    updated = dict(container)
    key = keys[depth]
    if depth == len(keys) - 1:
        updated[key] = value
    else:
        updated[key] = _with(container.get(key), keys, depth + 1, value)
    return updated


def block_outside_block(frame: Frame, variable: str, body: Lazy) -> None:
    """Where a block is expected the checker reads `fn` as the block; anywhere else it is
    a mistake, reported when compiled (or at run time, inside `catch`)."""
    raise FunctionError(
        "`fn` makes a block; use it as the block argument of map, filter, exists, every, "
        "sum, sortByNumber, sortByString or do"
    )


def _first_or_second(kinds: Sequence[int]) -> int:
    return kinds[0] | kinds[1]


def _first(kinds: Sequence[int]) -> int:
    return kinds[0]


def _block_result(kinds: Sequence[int]) -> int:
    return kinds[1]


FUNCTIONS = (
    FunctionDef(
        name=".",
        overloads=(overload("(name: Atom, keys: Atom...) -> Any", read, style=STYLE_FRAME),),
        doc="Reads a binding and descends through Maps: `(. Session Total)` is "
        'scope["Session"]["Total"]. A missing or Null value is an error; use `.|` or '
        "`catch` for a default.",
        family=FAMILY,
        pure=False,
        examples=(
            Example(
                "(. Session Total)",
                Decimal("80.00"),
                scope={"Session": {"Total": Decimal("80.00")}},
            ),
            Example(
                "(. Session Coupon)", error="`Session.Coupon` is not set", scope={"Session": {}}
            ),
        ),
    ),
    FunctionDef(
        name=".|",
        overloads=(
            overload(
                "(default: lazy Any, body: lazy Any) -> Any",
                read_or,
                style=STYLE_FRAME,
                infer=_first,
            ),
        ),
        doc="Evaluates the body; if it fails (typically a missing binding), gives the default. "
        "A value found must have the default's kind.",
        family=FAMILY,
        pure=False,
        examples=(
            Example(".| boo (. List)", "XJK_992", scope={"List": "XJK_992"}),
            Example(".| boo (. Meh)", "boo"),
            Example(".| 2 (. List SKU)", error="its default is", scope={"List": {"SKU": "asda"}}),
        ),
    ),
    FunctionDef(
        name="catch",
        overloads=(
            overload(
                "(fallback: lazy Any, body: lazy Any) -> Any",
                recover,
                style=STYLE_FRAME,
                infer=_first_or_second,
            ),
        ),
        doc="Evaluates the body in a child scope; if it fails at run time, evaluates and "
        "gives the fallback instead. Running out of steps is not recoverable.",
        family=FAMILY,
        examples=(
            Example("(catch 22 2)", Decimal(2)),
            Example('(catch "22" (. Profile))', "22"),
            Example("(catch (+ 2 (* 5 (- 3 4))) (/ 1 0))", Decimal(-3)),
            Example("(catch (noop) (. Profile Name))", None),
        ),
    ),
    FunctionDef(
        name="do",
        overloads=(
            overload(
                "(value: Atom|Collection, block: Block[Any]) -> Any",
                apply_block,
                style=STYLE_FRAME,
                infer=_block_result,
            ),
        ),
        doc="Binds a value to the block's variable and gives the block's value.",
        family=FAMILY,
        examples=(
            Example("(do (list 1 2 3) Item (. Item))", [Decimal(1), Decimal(2), Decimal(3)]),
            Example(
                "(do (. Session) ((S) (+ (. S Total) 5)))",
                Decimal(15),
                scope={"Session": {"Total": 10}},
            ),
        ),
    ),
    FunctionDef(
        name="fn",
        overloads=(
            overload(
                "(variable: String, body: lazy Any) -> Any", block_outside_block, style=STYLE_FRAME
            ),
        ),
        doc='Writes a block: `["fn", "Item", body]` (text `(fn Item body)`) is the same as '
        '`[["Item"], body]`. It can stand only where a block is expected.',
        family=FAMILY,
        examples=(
            Example("(map (list 1 2) (fn x (* (. x) 10)))", [Decimal(10), Decimal(20)]),
            Example("(fn x 1)", error="`fn` makes a block"),
        ),
    ),
    FunctionDef(
        name="noop",
        overloads=(overload("() -> Null", nothing),),
        doc="Does nothing; gives Null.",
        family=FAMILY,
        examples=(Example("(noop)", None),),
    ),
    FunctionDef(
        name="set",
        overloads=(
            overload(
                "(name: String, value: Atom|Collection, values: Atom|Collection...) -> Null",
                assign,
                style=STYLE_FRAME,
            ),
        ),
        doc="Sets a binding in the current scope: `(set K v)`, or `(set K1 K2 … v)` inside "
        "nested Maps (made as needed). Gives Null. A `set` inside a block or `catch` body "
        "stays there.",
        family=FAMILY,
        pure=False,
        writes=True,
        examples=(
            Example("((set Integer 2) (+ (. Integer) 1))", Decimal(3)),
            Example("((set Order Total 5) (. Order))", {"Total": Decimal(5)}),
        ),
    ),
)
