"""Comparison: equality by value for numbers and instants, by text otherwise; ordering of
numbers and times; `between`; regular expressions."""

from __future__ import annotations

import pytest

from carrot.talang import TalangCheckError, compile_expr, parse_text
from carrot.talang.builtins.compare import unsafe_pattern
from tests.talang.helpers import D, error_of, run, utc


def test_money_equals_the_same_amount_written_differently() -> None:
    assert run("(= (. Session Total) 100)", {"Session": {"Total": D("100.00")}}) is True
    assert run("(!= (. Session Total) 100)", {"Session": {"Total": D("100.00")}}) is False


def test_a_number_equals_a_string_with_its_text() -> None:
    assert run('(= (. Code) "10")', {"Code": 10}) is True
    assert run('(= 1.0 "1")') is False


def test_times_are_equal_when_they_are_the_same_instant() -> None:
    assert run("(= 2006-01-02T17:04:05+02:00 2006-01-02T15:04:05Z)") is True
    assert run("(= (. A) (. B))", {"A": utc(2024, 1, 1), "B": utc(2024, 1, 1, 0, 0, 1)}) is False


def test_null_equals_the_empty_string() -> None:
    assert run('(= (noop) "")') is True
    assert run("(= (noop) (noop))") is True


def test_booleans_compare_as_booleans() -> None:
    assert run("(= (. Flag) true)", {"Flag": True}) is True
    assert run('(= (. Flag) "false")', {"Flag": False}) is True


def test_ordering_compares_the_first_argument_with_each_later_one() -> None:
    assert run("(< 1 5 3)") is True
    assert run("(< 4 5 3)") is False
    assert run("(>= (. T) 2024-01-01T00:00:00Z)", {"T": utc(2024, 1, 1)}) is True


def test_ordering_needs_one_kind_throughout() -> None:
    with pytest.raises(TalangCheckError, match="argument 2 must be a Decimal"):
        compile_expr(parse_text("(< 1 2024-01-01T00:00:00Z)"))
    error = error_of("(< (. A) (. B))", {"A": 1, "B": utc(2024, 1, 1)})
    assert error.message == "`<` argument 2 must be a Decimal, got the Time 2024-01-01T00:00:00Z"


def test_between_excludes_both_bounds() -> None:
    assert run("(between 5 5 10)") is False
    assert run("(between 10 5 10)") is False
    assert run("(between 5.01 5 10)") is True
    assert run(
        "(betweenTimes (. T) 2024-01-01T00:00:00Z 2024-02-01T00:00:00Z)", {"T": utc(2024, 1, 15)}
    )


def test_regular_expressions_search_unanchored_in_every_text() -> None:
    assert run("(~ SUMMER (. Code))", {"Code": "BIG-SUMMER-24"}) is True
    assert run('(~ "^[A-Z]{3}\\d+$" ABC123 AB12)') is False


@pytest.mark.parametrize(
    "pattern",
    ["(a+)+$", "(a|aa)*", "(x*y*)*", "((ab)+)+", "(a{2,})*"],
)
def test_patterns_that_can_backtrack_exponentially_are_refused(pattern: str) -> None:
    assert unsafe_pattern(pattern) is not None


@pytest.mark.parametrize(
    "pattern",
    ["^(SUMMER|WINTER)\\d+$", "[a-z]+@[a-z]+\\.com", "(ab)+", "(a+)?b", "[(]+)", "\\(a+\\)+"],
)
def test_ordinary_patterns_are_accepted(pattern: str) -> None:
    assert unsafe_pattern(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [
        ("a(?=b)", "lookahead are not supported (RE2 syntax)"),
        ("a(?!b)", "lookahead are not supported (RE2 syntax)"),
        ("(?<=a)b", "lookbehind are not supported (RE2 syntax)"),
        ("(?<!a)b", "lookbehind are not supported (RE2 syntax)"),
        ("(?>a+)b", "atomic groups are not supported (RE2 syntax)"),
        ("(a)?(?(1)b|c)", "conditionals are not supported (RE2 syntax)"),
        ("(?P<x>a)(?P=x)", "backreferences are not supported (RE2 syntax)"),
        ("(a)\\1", "backreferences are not supported (RE2 syntax)"),
        ("a" * 1001, "it is longer than 1000 characters"),
    ],
)
def test_what_re2_refuses_is_refused(pattern: str, problem: str) -> None:
    assert unsafe_pattern(pattern) == problem
    error = error_of("(~ (. P) x)", {"P": pattern})
    assert error.message == f"the pattern {pattern!r} cannot be used: {problem}"
