"""Calls whose overload is settled when the expression is compiled.

The checker keeps only the overloads that a call's arity and argument kinds allow; when one
is left, as it is for nearly every call a rule makes, the compiled call evaluates its
arguments and calls the implementation in its style at once: no choosing at run time and no
argument list built per call. Only the arguments the checker could not prove are looked at,
and a wrong one fails exactly as `calls.select` would have failed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from carrot.talang.calls import arithmetic_error, host_result
from carrot.talang.checker import Call, Node
from carrot.talang.code import Code, constant, mismatch
from carrot.talang.errors import FunctionError
from carrot.talang.registry import STYLE_CONTEXT, STYLE_FRAME, STYLE_SITE, STYLE_VALUES, VALUE
from carrot.talang.runtime import RUN, CallSite, Frame, Thunk
from carrot.talang.types import NULL, kind_of

Reader = Callable[[Frame], tuple[Any, ...]]
Runner = Callable[[Frame, tuple[Any, ...]], Any]


def settled_call(node: Call, args: list[Any]) -> Thunk:
    """The call of `node`'s only candidate. `args` holds a Code for each argument that is
    evaluated and the runtime object (Lazy, BlockArg, …) of any other."""
    overload = node.candidates[0]
    fns = tuple(arg.fn if isinstance(arg, Code) else constant(arg).fn for arg in args)
    checks = _needed_checks(node)
    plain = overload.style == STYLE_VALUES and not node.function.host
    if plain and not checks and len(fns) in (1, 2):
        return _values_call(node, fns)
    name, path, returns = node.function.name, node.path, overload.returns
    read, run = _reader(fns), _runner(node)
    host = node.function.host
    null_ok = bool(returns & NULL)

    def call(frame: Frame) -> Any:
        values = read(frame)
        try:
            for index, kinds in checks:
                if not kind_of(values[index]) & kinds:
                    raise mismatch(node, list(values))
            result = run(frame, values)
            if host and (result is not None or not null_ok):
                return host_result(name, overload, result)
            return result
        except FunctionError as error:
            raise error.at(path) from None
        except ArithmeticError as error:
            raise arithmetic_error(name, error, path) from None

    return call


def _needed_checks(node: Call) -> tuple[tuple[int, int], ...]:
    """(argument index, kinds) for each value argument the checker could not prove."""
    params = node.params[0]
    checks = []
    for index, (arg, form) in enumerate(zip(node.args, node.forms, strict=True)):
        if form == VALUE and isinstance(arg, Node) and arg.kinds & ~params[index].kinds:
            checks.append((index, params[index].kinds))
    return tuple(checks)


def _reader(fns: tuple[Thunk, ...]) -> Reader:
    """The argument values, without a loop for the common arities."""
    if not fns:
        return lambda frame: ()
    if len(fns) == 1:
        (first,) = fns
        return lambda frame: (first(frame),)
    if len(fns) == 2:
        first, second = fns
        return lambda frame: (first(frame), second(frame))
    if len(fns) == 3:
        first, second, third = fns
        return lambda frame: (first(frame), second(frame), third(frame))
    return lambda frame: tuple([fn(frame) for fn in fns])


def _runner(node: Call) -> Runner:
    """Calls the implementation in its style (see registry.py)."""
    overload = node.candidates[0]
    impl, style = overload.impl, overload.style
    if style == STYLE_CONTEXT:
        return lambda frame, values: impl(frame[RUN].context, *values)
    if style == STYLE_FRAME:
        return lambda frame, values: impl(frame, *values)
    if style == STYLE_SITE:
        site = CallSite(node.path, node.depth)
        return lambda frame, values: impl(frame, site, *values)
    return lambda frame, values: impl(*values)


def _values_call(node: Call, fns: tuple[Thunk, ...]) -> Thunk:
    """A builtin of one or two proven values: `impl(a)` or `impl(a, b)`, nothing else."""
    impl = node.candidates[0].impl
    name, path = node.function.name, node.path
    if len(fns) == 1:
        (only,) = fns

        def call1(frame: Frame) -> Any:
            try:
                return impl(only(frame))
            except FunctionError as error:
                raise error.at(path) from None
            except ArithmeticError as error:
                raise arithmetic_error(name, error, path) from None

        return call1

    first, second = fns

    def call2(frame: Frame) -> Any:
        try:
            return impl(first(frame), second(frame))
        except FunctionError as error:
            raise error.at(path) from None
        except ArithmeticError as error:
            raise arithmetic_error(name, error, path) from None

    return call2
