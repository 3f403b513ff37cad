"""Templates: defined at run time, expanded with unevaluated arguments, bounded."""

from __future__ import annotations

from tests.talang.helpers import D, error_of, run

PLUS = '(setTemplate "plus(Decimal, Decimal)Decimal" (+ (# 0) (# 1)))'


def test_arguments_are_substituted_unevaluated_and_run_in_the_callers_scope() -> None:
    text = '((setTemplate "total()Decimal" (. Session Total)) (! total))'
    assert run(text, {"Session": {"Total": 5}}) == D(5)
    text = f"({PLUS} (set A 2) (! plus (. A) (. A)))"
    assert run(text) == D(4)


def test_templates_are_found_by_name_count_and_kinds() -> None:
    text = (
        '((setTemplate "show(Decimal)String" (toString (# 0)))'
        ' (setTemplate "show(String)String" (+ "<" (# 0) ">"))'
        " (+ (! show 1) (! SHOW x)))"
    )
    assert run(text) == "1<x>"


def test_variadic_templates() -> None:
    text = (
        '((setTemplate "all(Boolean...)Boolean" (and (# 0) (# 1) (# 2))) (! all true true false))'
    )
    assert run(text) is False


def test_a_missing_template_is_an_error() -> None:
    error = error_of(f"({PLUS} (! plus a b))")
    assert error.message == (
        "template `plus` not found for (String, String); there is plus(Decimal, Decimal)Decimal"
    )
    assert error.path == "$[1]"


def test_a_template_defined_twice_is_an_error() -> None:
    error = error_of(f"({PLUS} {PLUS})")
    assert error.message == "template `plus(Decimal, Decimal)Decimal` is already registered"


def test_a_template_in_a_child_scope_is_invisible_outside() -> None:
    error = error_of(f"((catch 0 {PLUS}) (! plus 1 2))")
    assert error.message == "template `plus` not found; define it first with setTemplate"


def test_errors_inside_an_expansion_point_at_the_call() -> None:
    text = '((setTemplate "get()Decimal" (. Missing)) (+ 1 (! get)))'
    error = error_of(text)
    assert error.message == "template `get`: `Missing` is not set (at $ of its body)"
    assert error.path == "$[1][2]"
    assert run(f"(catch 0 {text})") == 0


def test_an_unfilled_placeholder_is_an_error() -> None:
    text = '((setTemplate "one(Decimal...)Decimal" (+ (# 0) (# 1))) (! one 1))'
    error = error_of(text)
    assert error.message == (
        "template `one`: `#` marks a template parameter and only works inside the body "
        "of setTemplate (at $[2][0] of its body)"
    )


def test_a_template_that_calls_itself_stops_at_the_nesting_limit() -> None:
    text = '((setTemplate "loop(Decimal)Decimal" (+ 1 (! loop (# 0)))) (! loop 1))'
    error = error_of(text)
    assert "the expression nests deeper than 64 levels" in error.message
    assert error.path == "$[1]"


def test_template_signature_notation() -> None:
    error = error_of('(setTemplate "t(Decimal..., String)Any" (# 0))')
    assert error.message == "in 't(Decimal..., String)Any' only the last parameter may repeat"
    error = error_of('(setTemplate "t(...)Any" (# 0))')
    assert error.message == "a kind is missing in ''"
    text = '((setTemplate "any(Atom...)" (list (# 0))) (! any 1))'
    assert run(text) == [D(1)]


def test_a_signature_computed_at_run_time_is_checked_then() -> None:
    error = error_of("(setTemplate (. Sig) (# 0))", {"Sig": "nope"})
    assert error.message == (
        "'nope' is not a template signature; write it like \"plus(Decimal, Decimal)Decimal\""
    )
    assert error.path == "$[1]"
