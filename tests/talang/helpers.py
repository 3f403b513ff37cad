"""Evaluate an expression with both evaluators and insist they agree."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from carrot.talang import Registry, TalangError, compile_expr, default_registry, parse_text
from carrot.talang.walker import Walker

D = Decimal


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def tree(expr: Any) -> Any:
    return parse_text(expr) if isinstance(expr, str) else expr


def outcome(expr: Any, scope: Any = None, registry: Registry | None = None, **options: Any) -> Any:
    """("value", v) or ("error", type name, message, path), from the compiled evaluator."""
    try:
        compiled = compile_expr(tree(expr), registry=registry)
        return ("value", compiled.evaluate(scope, **options))
    except TalangError as error:
        return ("error", error.message, error.path)


def walked(expr: Any, scope: Any = None, registry: Registry | None = None, **options: Any) -> Any:
    try:
        return ("value", Walker(registry).evaluate(tree(expr), scope, **options))
    except TalangError as error:
        return ("error", error.message, error.path)


def same_outcome(left: Any, right: Any) -> bool:
    if left[0] != right[0]:
        return False
    if left[0] == "error":
        return bool(left == right)
    return strictly_equal(left[1], right[1])


def strictly_equal(left: Any, right: Any) -> bool:
    """Equal values of the same types (True is not 1, Decimal("1.0") equals Decimal("1"))."""
    if type(left) is not type(right):
        return False
    if isinstance(left, list):
        return len(left) == len(right) and all(map(strictly_equal, left, right))
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(strictly_equal(left[k], right[k]) for k in left)
    return bool(left == right)


def run(expr: Any, scope: Any = None, registry: Registry | None = None, **options: Any) -> Any:
    """The value of `expr`; fails the test if the compiled and walked results differ."""
    compiled = outcome(expr, scope, registry, **options)
    reference = walked(expr, scope, registry, **options)
    if compiled[0] == "error" and reference[0] == "error":
        assert compiled[1:] == reference[1:], (compiled, reference)
    else:
        assert same_outcome(compiled, reference), (compiled, reference)
    if compiled[0] == "error":
        raise TalangError(compiled[1], compiled[2])
    return compiled[1]


def error_of(
    expr: Any, scope: Any = None, registry: Registry | None = None, **options: Any
) -> TalangError:
    """The error `expr` raises (both evaluators must raise the same one)."""
    with pytest.raises(TalangError) as caught:
        run(expr, scope, registry, **options)
    return caught.value


REGISTRY = default_registry()
