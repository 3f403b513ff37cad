"""Calling a function at run time: choosing the overload that fits the argument values,
calling it in its style, and vetting what a host function gives back.

Both evaluators use these, so a type error found at run time reads the same in each.
"""

from __future__ import annotations

from typing import Any

from carrot.talang.checker import Call
from carrot.talang.errors import FunctionError, TalangRuntimeError
from carrot.talang.registry import (
    STYLE_CONTEXT,
    STYLE_FRAME,
    STYLE_SITE,
    VALUE,
    Overload,
)
from carrot.talang.runtime import CallSite, Frame, run_of
from carrot.talang.types import describe_value, kind_of, kinds_phrase, to_value


def argument_error(function: str, position: int, expected: int, value: Any) -> FunctionError:
    return FunctionError(
        f"`{function}` argument {position} must be {kinds_phrase(expected)}, "
        f"got {describe_value(value)}",
        argument=position,
    )


def select(call: Call, args: list[Any]) -> Overload:
    """The first candidate whose value parameters accept the evaluated arguments."""
    alive = list(range(len(call.candidates)))
    for index, form in enumerate(call.forms):
        if form != VALUE:
            continue
        kind = kind_of(args[index])
        fitting = [c for c in alive if kind & call.params[c][index].kinds]
        if not fitting:
            expected = 0
            for c in alive:
                expected |= call.params[c][index].kinds
            raise argument_error(call.function.name, call.positions[index], expected, args[index])
        alive = fitting
    return call.candidates[alive[0]]


def invoke(call: Call, overload: Overload, frame: Frame, args: list[Any]) -> Any:
    style = overload.style
    if style == STYLE_FRAME:
        result = overload.impl(frame, *args)
    elif style == STYLE_SITE:
        result = overload.impl(frame, CallSite(call.path, call.depth), *args)
    elif style == STYLE_CONTEXT:
        result = overload.impl(run_of(frame).context, *args)
    else:
        result = overload.impl(*args)
    if call.function.host:
        return host_result(call.function.name, overload, result)
    return result


def host_result(name: str, overload: Overload, result: Any) -> Any:
    result = to_value(result)
    if not kind_of(result) & overload.returns:
        raise FunctionError(
            f"`{name}` gave {describe_value(result)}, but it is declared to give "
            f"{kinds_phrase(overload.returns)}"
        )
    return result


def arithmetic_error(name: str, error: ArithmeticError, path: str) -> TalangRuntimeError:
    reason = type(error).__name__
    return TalangRuntimeError(f"`{name}` failed: the arithmetic is invalid ({reason})", path)
