"""Talang, the rule language of carrot (and of Talon.One): Lisp in JSON.

A rule condition such as ``["and", [">", [".", "Session", "Total"], 100], ["couponValid"]]``
is checked once, compiled once into Python closures, then evaluated for every session.
The text form ``(and (> (. Session Total) 100) (couponValid))`` is the same tree.
This package imports nothing else of carrot. The language reference is docs/talang.md,
generated from the registry by ``python -m carrot.talang.docs``.

Evaluating::

    from carrot.talang import compile_expr, evaluate, parse_text, to_text
    rule = compile_expr([">", [".", "Session", "Total"], 100])      # TalangCheckError if bad
    rule.evaluate({"Session": {"Total": Decimal("120.00")}})        # -> True
    evaluate(parse_text("(+ 1 2)"))                                 # -> Decimal("3")

``expr`` is the JSON form as Python lists, strings, numbers and booleans. ``scope`` maps
binding names to plain Python values (dicts are Maps, lists, Decimal/int/float, str, bool,
timezone-aware datetime, None); floats become ``Decimal(str(x))``. A list of Strings may be
declared once as a ``TextList(codes)`` (exact strs only, checked when it is made): Talang
treats it as the plain list, and a membership test over it is one C-level ``in``. Results
come back as plain Python values, numbers as Decimal. Every failure is a ``TalangError``
with ``message`` and ``path`` (``$[1][2]``): ``TalangSyntaxError`` (text),
``TalangCheckError`` (before running), ``TalangRuntimeError`` (while running; ``catch``
recovers from it) and its subclass ``StepLimitError`` (the step budget ran out; nothing
recovers from it).

Extending it (the host, i.e. the campaign engine)::

    def set_discount(ctx, name, value):            # ctx is what evaluate(context=...) got
        ctx.effects.append(("setDiscount", name, value))

    registry = default_registry().extend(
        host_function("couponValid", "() -> Boolean", lambda ctx: ctx.coupon_valid,
                      doc="True when the session's coupon is valid.", takes_context=True),
        host_function("setDiscount", "(name: String, value: Decimal) -> Null", set_discount,
                      doc="Gives a discount on the session total.", takes_context=True),
    )
    effect = compile_expr(["setDiscount", "10% off", ["*", [".", "Session", "Total"], 0.1]],
                          registry=registry)
    effect.evaluate(scope, context=ctx, now=now)

Host functions get normalised argument values (Decimal, str, bool, datetime, None, list,
dict); elements inside lists and maps are as the scope gave them (``to_plain`` normalises
a copy). They return a value of their declared kind or None, and raise ``FunctionError``
to fail with a message. ``now`` is the clock the time functions use (default: the time of
the call); ``max_steps`` overrides the step budget of ``Limits``.

Explaining a condition that does not hold::

    result = explain(compile_expr(condition, registry=registry), scope, context=ctx)
    result.holds          # False
    result.failed_index   # 0: the first argument of the root `and` that is not true
    result.reason         # "Session.Total is 80.00; the condition needs it to be greater than 100."
    result.values         # {"Session.Total": Decimal("80.00")}
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from carrot.talang.checker import DEFAULT_LIMITS, Limits
from carrot.talang.compiler import Compiled, compile_expr
from carrot.talang.errors import (
    FunctionError,
    StepLimitError,
    TalangCheckError,
    TalangError,
    TalangRuntimeError,
    TalangSyntaxError,
)
from carrot.talang.explain import Explanation, explain
from carrot.talang.registry import (
    Example,
    FunctionDef,
    Overload,
    Registry,
    default_registry,
    host_function,
    overload,
)
from carrot.talang.text import parse_text, to_text
from carrot.talang.types import TextList, kinds_name, to_plain

__all__ = [
    "DEFAULT_LIMITS",
    "Compiled",
    "Example",
    "Explanation",
    "FunctionDef",
    "FunctionError",
    "Limits",
    "Overload",
    "Registry",
    "StepLimitError",
    "TalangCheckError",
    "TalangError",
    "TalangRuntimeError",
    "TalangSyntaxError",
    "TextList",
    "compile_expr",
    "default_registry",
    "evaluate",
    "explain",
    "host_function",
    "kinds_name",
    "overload",
    "parse_text",
    "to_plain",
    "to_text",
]


def evaluate(
    expr: Any,
    scope: Mapping[str, Any] | None = None,
    *,
    registry: Registry | None = None,
    context: Any = None,
    now: datetime | None = None,
) -> Any:
    """Check, compile and evaluate once. Use `compile_expr` to evaluate repeatedly."""
    return compile_expr(expr, registry=registry).evaluate(scope, context=context, now=now)
