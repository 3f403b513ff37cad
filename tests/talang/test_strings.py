"""Strings: the haystack comes first in searches; every later argument must match."""

from __future__ import annotations

from tests.talang.helpers import D, error_of, run


def test_contains_family_with_scope_values() -> None:
    scope = {"Email": "ada@example.com"}
    assert run("(endsWith (. Email) @example.com .com)", scope) is True
    assert run("(startsWith (. Email) ada bob)", scope) is False
    assert run("(contains (. Email) @ example)", scope) is True
    assert run("(notContains (. Email) test spam)", scope) is True


def test_empty_parts_always_match() -> None:
    assert run('(contains abc "")') is True
    assert run('(startsWith abc "")') is True


def test_split_and_join() -> None:
    assert run('(split "a,,b" ",")') == ["a", "", "b"]
    assert run('(split "" ",")') == [""]
    assert run("(join (list a 1 true) +)") == "a+1+true"
    assert run("(join (list) +)") == ""


def test_first_and_last_name() -> None:
    assert run('(firstName "Ada King Lovelace")') == "Ada"
    assert run('(lastName "Ada King Lovelace")') == "Lovelace"
    assert run("(lastName Cher)") == "Cher"


def test_to_string_keeps_the_written_digits() -> None:
    assert run("(toString (. P))", {"P": D("1.50")}) == "1.50"
    assert run("(toString (/ 100 10))") == "10"
    assert run("(toString false)") == "false"
    assert run("(toString 2024-01-01T10:00:00+01:00)") == "2024-01-01T10:00:00+01:00"


def test_to_string_refuses_null() -> None:
    error = error_of("(toString (. X))", {"X": []})
    assert (
        error.message
        == "`toString` argument 1 must be a Decimal, a String, a Boolean or a Time, got a List of 0 items"
    )


def test_concat_length_is_bounded() -> None:
    error = error_of("(+ (. S) (. S))", {"S": "x" * 600_000})
    assert error.message == "the string would be 1200000 characters long; the limit is 1000000"
