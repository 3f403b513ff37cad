"""Why a condition does not hold: which argument of an `and` failed, and on what values.

`explain` evaluates a compiled condition the way `evaluate` does, but looks inside
comparisons: it evaluates their operands once, keeps the values, and words the failure,
e.g. "Session.Total is 80.00; the condition needs it to be greater than 100."
It is meant for conditions; use it when a rule did not fire, not on the hot path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from carrot.talang.builtins.logic import condition_error
from carrot.talang.calls import arithmetic_error, select
from carrot.talang.checker import Call, Const, Node
from carrot.talang.compiler import Compiled
from carrot.talang.errors import FunctionError, TalangCheckError, TalangError, TalangRuntimeError
from carrot.talang.registry import VALUE
from carrot.talang.runtime import Frame
from carrot.talang.text import to_text
from carrot.talang.types import show_value, to_plain

_COMPARISONS = {
    ">": "be greater than",
    ">=": "be at least",
    "<": "be less than",
    "<=": "be at most",
    "=": "be equal to",
    "!=": "be different from",
    "after": "be after",
    "before": "be before",
    "contains": "contain",
    "notcontains": "not contain",
    "startswith": "start with",
    "endswith": "end with",
}
_FLIPPED = {
    ">": "<",
    ">=": "<=",
    "<": ">",
    "<=": ">=",
    "=": "=",
    "!=": "!=",
    "after": "before",
    "before": "after",
}


@dataclass(frozen=True)
class Explanation:
    """The outcome of a condition and, when it does not hold, why.

    value:        the plain result (None when evaluation failed)
    holds:        the result is exactly `true`
    failed_index: for a condition `["and", c0, c1, …]`, the 0-based index of the first
                  argument that is not true; None otherwise
    path:         JSON path of the node that decided the failure
    reason:       one sentence for a person, e.g. "Session.Total is 80.00; the condition
                  needs it to be greater than 100."
    values:       the operand values behind the reason, by operand ("Session.Total": 80.00)
    error:        the TalangError if evaluation failed
    """

    value: Any
    holds: bool
    failed_index: int | None = None
    path: str | None = None
    reason: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    error: TalangError | None = None


@dataclass
class _Verdict:
    value: Any = None
    reason: str = ""
    path: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    error: TalangError | None = None


def explain(
    compiled: Compiled,
    scope: Mapping[str, Any] | None = None,
    *,
    context: Any = None,
    now: datetime | None = None,
    max_steps: int | None = None,
) -> Explanation:
    """Evaluate a compiled condition and say why it does not hold."""
    frame = compiled.frame(scope, context, now, max_steps)
    root = compiled.node
    if isinstance(root, Call) and root.function.key == "and":
        return _explain_and(compiled, root, frame)
    verdict = _judge(compiled, root, frame)
    value = None if verdict.error else to_plain(verdict.value)
    holds = value is True
    return Explanation(
        value=value,
        holds=holds,
        path=None if holds else verdict.path,
        reason=verdict.reason if not holds else "the condition holds",
        values={k: to_plain(v) for k, v in verdict.values.items()},
        error=verdict.error,
    )


def _explain_and(compiled: Compiled, root: Call, frame: Frame) -> Explanation:
    for index, arg in enumerate(root.args):
        assert isinstance(arg, Node)
        verdict = _judge(compiled, arg, frame)
        if verdict.error is None and not _is_false(verdict.value):
            if verdict.value is True or type(verdict.value) in (list, dict):
                continue
            error = condition_error("and", index + 1, verdict.value).at(root.path)
            verdict = _Verdict(reason=_failed(arg, error), path=error.path, error=error)
        return Explanation(
            value=None if verdict.error else False,
            holds=False,
            failed_index=index,
            path=verdict.path,
            reason=verdict.reason,
            values={k: to_plain(v) for k, v in verdict.values.items()},
            error=verdict.error,
        )
    count = len(root.args)
    return Explanation(value=True, holds=True, reason=f"all {count} conditions hold")


def _is_false(value: Any) -> bool:
    return value is False


def _judge(compiled: Compiled, node: Node, frame: Frame) -> _Verdict:
    if isinstance(node, Call):
        key = node.function.key
        if key == "not":
            return _judge_not(compiled, node, frame)
        if key in ("and", "or"):
            return _judge_logic(compiled, node, frame)
        if (key in _COMPARISONS or key in ("between", "betweentimes", "~")) and all(
            form == VALUE for form in node.forms
        ):
            return _judge_comparison(compiled, node, frame)
    try:
        value = compiled.code_for(node).fn(frame)
    except (TalangRuntimeError, TalangCheckError) as error:
        return _Verdict(reason=_failed(node, error), path=error.path, error=error)
    reason = "" if value is True else f"{describe(node)} is {show_value(value)}"
    return _Verdict(value, reason + ("." if reason else ""), node.path)


def _judge_not(compiled: Compiled, node: Call, frame: Frame) -> _Verdict:
    inner = node.args[0]
    assert isinstance(inner, Node)
    verdict = _judge(compiled, inner, frame)
    if verdict.error is not None or type(verdict.value) is not bool:
        return verdict
    if verdict.value:
        reason = f"{describe(inner)} holds; the condition needs it not to."
        return _Verdict(False, reason, node.path, verdict.values)
    return _Verdict(True, "", node.path)


def _judge_logic(compiled: Compiled, node: Call, frame: Frame) -> _Verdict:
    is_and = node.function.key == "and"
    reasons: list[str] = []
    values: dict[str, Any] = {}
    for index, arg in enumerate(node.args, 1):
        assert isinstance(arg, Node)
        verdict = _judge(compiled, arg, frame)
        if verdict.error is not None:
            return verdict
        value = verdict.value
        if type(value) in (list, dict):
            if is_and:
                continue
            return _Verdict(True, "", node.path)
        if type(value) is not bool:
            error = condition_error(node.function.name, index, value).at(node.path)
            return _Verdict(reason=_failed(arg, error), path=error.path, error=error)
        if is_and and not value:
            return verdict
        if not is_and and value:
            return _Verdict(True, "", node.path)
        reasons.append(verdict.reason.rstrip("."))
        values.update(verdict.values)
    if is_and:
        return _Verdict(True, "", node.path)
    if not reasons:
        return _Verdict(False, "there is no alternative to hold.", node.path)
    return _Verdict(
        False, "none of the alternatives holds: " + "; ".join(reasons) + ".", node.path, values
    )


def _judge_comparison(compiled: Compiled, node: Call, frame: Frame) -> _Verdict:
    operands = [arg for arg in node.args if isinstance(arg, Node)]
    values = []
    for operand in operands:
        try:
            values.append(compiled.code_for(operand).fn(frame))
        except TalangRuntimeError as error:
            return _Verdict(reason=_failed(operand, error), path=error.path, error=error)
    try:
        overload = select(node, values)
        result = overload.impl(*values)
    except FunctionError as failure:
        problem = failure.at(node.path)
        return _Verdict(reason=_failed(node, problem), path=problem.path, error=problem)
    except ArithmeticError as failure:
        problem = arithmetic_error(node.function.name, failure, node.path)
        return _Verdict(reason=_failed(node, problem), path=problem.path, error=problem)
    if result:
        return _Verdict(True, "", node.path)
    reason, shown = _comparison_reason(node, operands, values, overload.impl)
    return _Verdict(False, reason, node.path, shown)


def _comparison_reason(
    node: Call, operands: list[Node], values: list[Any], impl: Any
) -> tuple[str, dict[str, Any]]:
    key = node.function.key
    if key in ("between", "betweentimes"):
        low, high = values[-2], values[-1]
        for operand, value in zip(operands[:-2], values[:-2], strict=True):
            if not low < value < high:
                bounds = f"strictly between {_operand(operands[-2], low)} and {_operand(operands[-1], high)}"
                return _sentence(operand, value, f"be {bounds}"), _shown(
                    (operand, value), (operands[-2], low), (operands[-1], high)
                )
    if key == "~":
        pattern = values[0]
        for operand, value in zip(operands[1:], values[1:], strict=True):
            if not impl(pattern, value):
                return _sentence(
                    operand, value, f"match the pattern {show_value(pattern)}"
                ), _shown((operand, value))
    first, first_value = operands[0], values[0]
    for operand, value in zip(operands[1:], values[1:], strict=True):
        if impl(first_value, value):
            continue
        if isinstance(first, Const) and not isinstance(operand, Const) and key in _FLIPPED:
            phrase = _COMPARISONS[_FLIPPED[key]]
            return _sentence(operand, value, f"{phrase} {_operand(first, first_value)}"), _shown(
                (operand, value)
            )
        phrase = _COMPARISONS[key]
        return _sentence(first, first_value, f"{phrase} {_operand(operand, value)}"), _shown(
            (first, first_value), (operand, value)
        )
    return f"{describe(node)} is false.", {}


def _sentence(subject: Node, value: Any, need: str) -> str:
    if isinstance(subject, Const):
        return f"the condition needs {show_value(value)} to {need}, which it does not."
    return f"{describe(subject)} is {show_value(value)}; the condition needs it to {need}."


def _operand(node: Node, value: Any) -> str:
    if isinstance(node, Const):
        return show_value(value)
    return f"{describe(node)} ({show_value(value)})"


def _shown(*pairs: tuple[Node, Any]) -> dict[str, Any]:
    return {describe(node): value for node, value in pairs if not isinstance(node, Const)}


def _failed(node: Node, error: TalangError) -> str:
    return f"{describe(node)} could not be evaluated: {error.message}."


def describe(node: Node) -> str:
    """How a person reads a node: `Session.Total` for a path, the text form otherwise."""
    if isinstance(node, Const):
        return show_value(node.value)
    if (
        isinstance(node, Call)
        and node.function.key == "."
        and all(isinstance(arg, Const) and type(arg.value) is str for arg in node.args)
    ):
        return ".".join(arg.value for arg in node.args if isinstance(arg, Const))
    try:
        return to_text(node.expr)
    except TalangError:
        return str(node.expr)
