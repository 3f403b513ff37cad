"""The host's side: registering functions, passing context, recording effects, explaining."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from carrot.talang import (
    Compiled,
    FunctionDef,
    FunctionError,
    Registry,
    TalangRuntimeError,
    compile_expr,
    default_registry,
    evaluate,
    explain,
    host_function,
    overload,
    parse_text,
)
from tests.talang.helpers import D, error_of, run, utc


@dataclass
class Context:
    coupon_valid: bool = True
    effects: list[tuple[str, Any, Any]] = field(default_factory=list)


def set_discount(ctx: Context, name: str, value: Decimal) -> None:
    ctx.effects.append(("setDiscount", name, value))


REGISTRY = default_registry().extend(
    host_function(
        "couponValid",
        "() -> Boolean",
        lambda ctx: ctx.coupon_valid,
        doc="True when the session's coupon is valid.",
        takes_context=True,
    ),
    host_function(
        "setDiscount",
        "(name: String, value: Decimal) -> Null",
        set_discount,
        doc="Gives a discount.",
        takes_context=True,
    ),
)
CONDITION = parse_text("(and (> (. Session Total) 100) (couponValid))")


def test_a_condition_reads_the_scope_and_calls_the_host() -> None:
    rule = compile_expr(CONDITION, registry=REGISTRY)
    assert rule.evaluate({"Session": {"Total": D(150)}}, context=Context()) is True
    assert (
        rule.evaluate({"Session": {"Total": D(150)}}, context=Context(coupon_valid=False)) is False
    )


def test_effects_are_recorded_through_the_context() -> None:
    effect = compile_expr(
        parse_text('(catch (noop) (setDiscount "10% off" (* (. Session Total) (/ 10 100))))'),
        registry=REGISTRY,
    )
    ctx = Context()
    assert effect.evaluate({"Session": {"Total": D("80.00")}}, context=ctx) is None
    assert ctx.effects == [("setDiscount", "10% off", D("8.000"))]
    ctx = Context()
    assert effect.evaluate({}, context=ctx) is None
    assert ctx.effects == []


def test_the_default_registry_does_not_know_host_functions() -> None:
    error = error_of(CONDITION)
    assert error.message == "there is no function `couponValid`"


def test_host_arguments_are_type_checked_before_running() -> None:
    error = error_of('(setDiscount "x" "ten")', registry=REGISTRY)
    assert (error.message, error.path) == (
        '`setDiscount` argument 2 must be a Decimal, got the String "ten"',
        "$[2]",
    )


def test_host_results_must_have_the_declared_kind() -> None:
    registry = default_registry().extend(
        host_function("points", "() -> Decimal", lambda: "many", doc="x"),
        host_function("ratio", "() -> Decimal", lambda: 0.25, doc="x"),
    )
    error = error_of("(points)", registry=registry)
    assert error.message == '`points` gave the String "many", but it is declared to give a Decimal'
    assert run("(ratio)", registry=registry) == D("0.25")


def test_host_failures_carry_the_path_and_are_catchable() -> None:
    def unavailable() -> bool:
        raise FunctionError("the loyalty service is unavailable")

    registry = default_registry().extend(
        host_function("hasPoints", "() -> Boolean", unavailable, doc="x")
    )
    error = error_of("(or false (hasPoints))", registry=registry)
    assert (error.message, error.path) == ("the loyalty service is unavailable", "$[2]")
    assert run("(catch false (hasPoints))", registry=registry) is False


def test_pure_host_functions_are_folded_at_compile_time() -> None:
    calls: list[Decimal] = []

    def double(value: Decimal) -> Decimal:
        calls.append(value)
        return value * 2

    registry = default_registry().extend(
        host_function("double", "(x: Decimal) -> Decimal", double, doc="x", pure=True)
    )
    compiled = compile_expr(["double", 4], registry=registry)
    assert calls == [D(4)]
    assert compiled.evaluate() == D(8)
    assert compiled.evaluate() == D(8)
    assert calls == [D(4)]


def test_host_functions_can_have_overloads() -> None:
    size = FunctionDef(
        name="size",
        overloads=(
            overload("(text: String) -> Decimal", lambda text: Decimal(len(text))),
            overload("(list: List) -> Decimal", lambda items: Decimal(len(items))),
        ),
        doc="Length of a string or list.",
        family="host",
        host=True,
    )
    registry = default_registry().extend(size)
    assert run("(size abc)", registry=registry) == D(3)
    assert run("(size (. L))", {"L": [1, 2]}, registry=registry) == D(2)


def test_extending_with_an_existing_name_needs_replace() -> None:
    clash = host_function("Count", "(x: List) -> Decimal", lambda items: Decimal(0), doc="x")
    with pytest.raises(ValueError, match="already exists"):
        default_registry().extend(clash)
    assert run("(count (list 1 2))", registry=default_registry().extend(clash, replace=True)) == 0


def test_a_bad_signature_is_refused_when_declared() -> None:
    with pytest.raises(ValueError, match="is not of the form"):
        host_function("broken", "String -> Boolean", lambda: True, doc="x")
    with pytest.raises(ValueError, match="unknown kind `Strng`"):
        host_function("broken", "(a: Strng) -> Boolean", lambda a: True, doc="x")
    with pytest.raises(ValueError, match="only the last parameter may repeat"):
        host_function("broken", "(a: String..., b: String) -> Boolean", lambda a: True, doc="x")


def test_now_is_passed_by_the_host() -> None:
    compiled = compile_expr(parse_text("(days (. Session Expires))"))
    scope = {"Session": {"Expires": utc(2024, 1, 11)}}
    assert compiled.evaluate(scope, now=utc(2024, 1, 1)) == D(10)
    assert compiled.evaluate(scope) < 0
    assert isinstance(utc(2024, 1, 1), datetime)


def test_evaluate_once() -> None:
    assert evaluate(["+", 1, 2]) == D(3)
    assert (
        evaluate(CONDITION, {"Session": {"Total": 101}}, registry=REGISTRY, context=Context())
        is True
    )


def test_evaluations_with_different_contexts_do_not_interfere() -> None:
    rule = compile_expr(parse_text('(setDiscount "d" (. Amount))'), registry=REGISTRY)
    first, second = Context(), Context()
    rule.evaluate({"Amount": 1}, context=first)
    rule.evaluate({"Amount": 2}, context=second)
    assert first.effects == [("setDiscount", "d", D(1))]
    assert second.effects == [("setDiscount", "d", D(2))]


# ---- explain ---------------------------------------------------------------------------


def explained(text: str, scope: Any, context: Context | None = None) -> Any:
    compiled: Compiled = compile_expr(parse_text(text), registry=REGISTRY)
    return explain(compiled, scope, context=context or Context())


def test_explain_names_the_failed_condition_and_its_values() -> None:
    result = explained(
        "(and (couponValid) (> (. Session Total) 100))", {"Session": {"Total": D("80.00")}}
    )
    assert result.holds is False
    assert result.failed_index == 1
    assert result.path == "$[2]"
    assert result.reason == "Session.Total is 80.00; the condition needs it to be greater than 100."
    assert result.values == {"Session.Total": D("80.00")}


def test_explain_a_condition_that_holds() -> None:
    result = explained("(and (couponValid) (> (. Session Total) 100))", {"Session": {"Total": 150}})
    assert (result.holds, result.value, result.failed_index) == (True, True, None)
    assert result.reason == "all 2 conditions hold"


def test_explain_a_host_condition() -> None:
    result = explained("(and (couponValid))", {}, Context(coupon_valid=False))
    assert result.failed_index == 0
    assert result.reason == "(couponValid) is false."


def test_explain_a_failure_to_evaluate() -> None:
    result = explained("(and (> (. Session Total) 100))", {"Session": {}})
    assert result.failed_index == 0
    assert result.value is None
    assert isinstance(result.error, TalangRuntimeError)
    assert result.reason == "Session.Total could not be evaluated: `Session.Total` is not set."


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("(< 100 (. S))", "S is 7; the condition needs it to be greater than 100."),
        ("(>= (. S) (. T))", "S is 7; the condition needs it to be at least T (9)."),
        ("(= (. N) abc)", 'N is "xyz"; the condition needs it to be equal to "abc".'),
        ("(!= (. N) a xyz)", 'N is "xyz"; the condition needs it to be different from "xyz".'),
        ("(between (. S) 1 5)", "S is 7; the condition needs it to be strictly between 1 and 5."),
        ("(startsWith (. N) x z)", 'N is "xyz"; the condition needs it to start with "z".'),
        ("(~ ^a (. N))", 'N is "xyz"; the condition needs it to match the pattern "^a".'),
        ("(not (> (. S) 1))", "(> (. S) 1) holds; the condition needs it not to."),
        (
            "(and true (and (> (. S) 1) (< (. S) 5)))",
            "S is 7; the condition needs it to be less than 5.",
        ),
        (
            "(or (> (. S) 10) (= (. S) 2))",
            "none of the alternatives holds: S is 7; the condition needs it to be greater than 10; "
            "S is 7; the condition needs it to be equal to 2.",
        ),
        ("(exists (. L) x (= (. x) 3))", "(exists (. L) x (= (. x) 3)) is false."),
        ("(> 1 2)", "the condition needs 1 to be greater than 2, which it does not."),
    ],
)
def test_explain_sentences(text: str, reason: str) -> None:
    scope = {"S": D(7), "T": D(9), "N": "xyz", "L": [1, 2]}
    result = explained(text, scope)
    assert result.holds is False
    assert result.reason == reason


def test_explain_reports_a_non_boolean_condition() -> None:
    result = explained("(and (. S))", {"S": D(7)})
    assert result.error is not None
    assert (
        result.reason
        == "S could not be evaluated: `and` argument 1 must be a Boolean, got the Decimal 7."
    )


def test_a_registry_answers_what_it_holds() -> None:
    assert "couponValid" in REGISTRY and "COUPONVALID" in REGISTRY
    assert "couponValid" not in default_registry()
    assert len(REGISTRY) == len(default_registry()) + 2
    assert REGISTRY.lookup("setdiscount") is not None
    twice = [host_function("x", "() -> Null", lambda: None, doc="x")] * 2
    with pytest.raises(ValueError, match="declared twice"):
        Registry(twice)


def test_a_function_needs_a_signature() -> None:
    with pytest.raises(ValueError, match="declares no signature"):
        FunctionDef(name="empty", overloads=(), doc="x", family="host")


def test_a_context_function_declared_by_hand_gets_its_context() -> None:
    seen: list[Any] = []
    function = FunctionDef(
        name="remember",
        overloads=(
            overload("() -> Boolean", lambda ctx: seen.append(ctx) or True, style="context"),
        ),
        doc="x",
        family="host",
    )
    compiled = compile_expr(["remember"], registry=default_registry().extend(function))
    assert compiled.evaluate({}, context="ctx") is True
    assert seen == ["ctx"]


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        ("(a: String...) -> Boolean", None),
        ("(...) -> Boolean", "cannot read parameter"),
        ("(a String) -> Boolean", "cannot read parameter"),
        ("(a: Block[Strng]) -> Boolean", "unknown kind `Strng`"),
    ],
)
def test_signature_notation(signature: str, message: str | None) -> None:
    if message is None:
        assert overload(signature, lambda *a: True).min_args == 0
    else:
        with pytest.raises(ValueError, match=message):
            overload(signature, lambda *a: True)


def test_arithmetic_overflow_is_a_runtime_error() -> None:
    error = error_of("(* (. A) (. A))", {"A": Decimal("1E+999999")})
    assert error.message == "`*` failed: the arithmetic is invalid (Overflow)"
    assert error.path == "$"


def test_values_that_have_no_json_form_are_refused() -> None:
    from carrot.talang.types import to_json

    with pytest.raises(ValueError, match="cannot write a object as JSON"):
        to_json(object())
