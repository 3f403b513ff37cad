"""Errors found while running: each is a TalangRuntimeError with the path of the node at
fault, the compiled and the walked evaluation agree on it, and `catch` recovers from it."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from carrot.talang import TalangError, TalangRuntimeError, compile_expr, parse_text
from tests.talang.helpers import D, error_of, run

CART = {"Session": {"Total": Decimal("80.00"), "Items": [{"Price": 2}, {"Price": "free"}]}}


@pytest.mark.parametrize(
    ("text", "scope", "message", "path"),
    [
        ("(. Session Coupon)", CART, "`Session.Coupon` is not set", "$"),
        ("(> (. Profile Age) 18)", CART, "`Profile` is not set", "$[1]"),
        (
            "(. Session Total Cents)",
            CART,
            "`Session.Total` is the Decimal 80.00, not a Map, so `Session.Total.Cents` cannot be read",
            "$",
        ),
        ("(. Session Coupon)", {"Session": {"Coupon": None}}, "`Session.Coupon` is not set", "$"),
        (
            "(. Session Total)",
            {"Session": "closed"},
            '`Session` is the String "closed", not a Map, so `Session.Total` cannot be read',
            "$",
        ),
        (
            "(. A B C)",
            {"A": {"B": 5}},
            "`A.B` is the Decimal 5, not a Map, so `A.B.C` cannot be read",
            "$",
        ),
        (
            "(> (. Session Name) 100)",
            {"Session": {"Name": "Ada"}},
            '`>` argument 1 must be a Decimal, got the String "Ada"',
            "$[1]",
        ),
        (
            "(> (. A) (. B))",
            {"A": "Ada", "B": 1},
            '`>` argument 1 must be a Decimal or a Time, got the String "Ada"',
            "$[1]",
        ),
        (
            "(> (. A) (. B))",
            {"A": 1, "B": "Ada"},
            '`>` argument 2 must be a Decimal, got the String "Ada"',
            "$[2]",
        ),
        (
            "(+ (. A) (. B))",
            {"A": 1, "B": "x"},
            '`+` argument 2 must be a Decimal, got the String "x"',
            "$[2]",
        ),
        (
            "(* (. A) 2)",
            {"A": True},
            "`*` argument 1 must be a Decimal, got the Boolean true",
            "$[1]",
        ),
        (
            "(= (. A) 1)",
            {"A": [1]},
            "`=` argument 1 must be a single value (not a List or Map), got a List of 1 item",
            "$[1]",
        ),
        (
            "(= (. A) x)",
            {"A": {"k": 1}},
            "`=` argument 1 must be a single value (not a List or Map), got a Map",
            "$[1]",
        ),
        (
            "(and (. A) true)",
            {"A": 5},
            "`and` argument 1 must be a Boolean, got the Decimal 5",
            "$[1]",
        ),
        (
            "(or false (. A))",
            {"A": "yes"},
            '`or` argument 2 must be a Boolean, got the String "yes"',
            "$[2]",
        ),
        (
            "(not (. A))",
            {"A": "no"},
            '`not` argument 1 must be a Boolean, got the String "no"',
            "$[1]",
        ),
        (
            "(exists (. L) x (. x))",
            {"L": [1]},
            "the block of `exists` must give a Boolean, got the Decimal 1",
            "$",
        ),
        (
            "(filter (. L) x (. x))",
            {"L": ["a"]},
            'the block of `filter` must give a Boolean, got the String "a"',
            "$",
        ),
        ("(every (. L) x (. x))", {"L": [None]}, "`x` is not set", "$[3]"),
        (
            "(sum (. Session Items) i (. i Price))",
            CART,
            'the block of `sum` must give a Decimal, got the String "free"',
            "$",
        ),
        (
            "(sum (. L))",
            {"L": [1, "a"]},
            '`sum` adds numbers; item 2 of the list is the String "a"',
            "$[1]",
        ),
        (
            "(item (. L) 2)",
            {"L": ["a", "b"]},
            "`item`: index 2 is out of bounds for a list of 2 items",
            "$[2]",
        ),
        (
            "(item (. L) -1)",
            {"L": ["a", "b"]},
            "`item`: index -1 is out of bounds for a list of 2 items",
            "$[2]",
        ),
        (
            "(item (. L) 0.5)",
            {"L": ["a", "b"]},
            "`item` needs a whole number as index, got 0.5",
            "$[2]",
        ),
        ("(/ 10 (. Zero))", {"Zero": 0}, "`/` cannot divide by zero", "$[2]"),
        ("(mod 10 (. Zero))", {"Zero": 0}, "`mod` cannot divide by zero", "$[2]"),
        ("(max (. L))", {"L": ["a"]}, "`max` needs a list with at least one number", "$[1]"),
        (
            "(join (. L) -)",
            {"L": [1, "a"]},
            "`join` needs a list of Strings; its first item is the Decimal 1",
            "$[1]",
        ),
        (
            "(join (. L) -)",
            {"L": ["a", [1]]},
            "a List of 1 item has no text; only single values do",
            "$",
        ),
        ("(sort (. L))", {"L": ["a", {"b": 1}]}, "`sort` orders single values, not a Map", "$"),
        (
            "(sortByNumber (. L) ((x) (. x)) true)",
            {"L": ["a"]},
            'the block of `sortByNumber` must give a Decimal, got the String "a"',
            "$",
        ),
        (
            "(~ (. P) abc)",
            {"P": "(a"},
            "'(a' is not a valid regular expression: missing ), unterminated subpattern at position 0",
            "$",
        ),
        (
            "(~ (. P) abc)",
            {"P": "(a)\\1"},
            "the pattern '(a)\\\\1' cannot be used: backreferences are not supported (RE2 syntax)",
            "$",
        ),
        (
            "(~ (. P) abc)",
            {"P": "a(?=b)"},
            "the pattern 'a(?=b)' cannot be used: lookahead are not supported (RE2 syntax)",
            "$",
        ),
        (
            "(parseTime (. T))",
            {"T": "tomorrow"},
            "'tomorrow' is not a time; write it like 2024-01-31T09:30:00Z",
            "$",
        ),
        (
            '(parseTime (. T) "HH:mm")',
            {"T": "25:00"},
            "not a valid time: hour must be in 0..23",
            "$",
        ),
        (
            '(parseTime "12:00" (. L))',
            {"L": "HH:OO"},
            "the layout letter `O` in 'HH:OO' is not supported",
            "$",
        ),
        (
            "(addDuration 2024-01-01T00:00:00Z (. N) days)",
            {"N": 10**9},
            "1000000000 days is too long a duration",
            "$[2]",
        ),
        (
            "(addDuration 2024-01-01T00:00:00Z 5 (. U))",
            {"U": "weeks"},
            "'weeks' is not a duration unit; use days, hours or minutes",
            "$[3]",
        ),
        (
            "(matchTime 2024-01-01T00:00:00Z 2024-01-01T00:00:00Z (. L))",
            {"L": "QQ"},
            "the layout letter `Q` in 'QQ' is not supported",
            "$[3]",
        ),
        (
            "(set A B (. V))",
            {"A": 5, "V": 1},
            "`A` is the Decimal 5, not a Map, so `A.B` cannot be set",
            "$",
        ),
        (
            "(toString (. Now))",
            {"Now": datetime(2024, 1, 1)},
            "the time 2024-01-01T00:00:00 has no timezone; carrot needs timezone-aware times",
            "$[1]",
        ),
        (
            "(+ (. X) 1)",
            {"X": float("nan")},
            "the number nan is not finite; Talang numbers are exact",
            "$[1]",
        ),
        ("(. X)", {"X": object()}, "a object value cannot be used in Talang", "$"),
        (
            "(head (. L))",
            {"L": [datetime(2024, 1, 1)]},
            "the time 2024-01-01T00:00:00 has no timezone; carrot needs timezone-aware times",
            "$",
        ),
        (
            "(+ (. X) 1)",
            {"X": Decimal("NaN")},
            "the number NaN is not finite; Talang numbers are exact",
            "$[1]",
        ),
        (
            "(head (. L))",
            {"L": [Decimal("-Infinity")]},
            "the number -Infinity is not finite; Talang numbers are exact",
            "$",
        ),
    ],
)
def test_runtime_error(text: str, scope: Any, message: str, path: str) -> None:
    error = error_of(text, scope)
    assert (error.message, error.path) == (message, path)
    compiled = compile_expr(parse_text(text))
    with pytest.raises(TalangRuntimeError):
        compiled.evaluate(scope)


def test_catch_recovers_from_every_runtime_error() -> None:
    assert run("(catch 0 (> (. Session Name) 100))", {"Session": {"Name": "Ada"}}) == 0
    assert run("(catch -1 (item (. L) 9))", {"L": []}) == -1


def test_dot_or_gives_the_default_only_when_reading_fails() -> None:
    assert run(".| 0 (. Session Total)", CART) == D("80.00")
    assert run(".| 0 (. Session Missing)", CART) == 0
    error = error_of('.| "none" (. Session Total)', CART)
    assert error.message == "`.|` found the Decimal 80.00, but its default is a String"
    assert error.path == "$[2]"


def test_scope_values_are_normalised_where_they_are_read() -> None:
    scope = {"A": 1.1, "B": 2, "C": (1, 2), "M": OrderedDict(k="v"), "S": True}
    assert run("(+ (. A) (. B))", scope) == D("3.1")
    assert run("(count (. C))", scope) == 2
    assert run("(. M k)", scope) == "v"
    assert run("(. S)", scope) is True


def test_results_are_plain_copies() -> None:
    scope = {"L": [1, 2.5, {"x": 3}]}
    result = run("(. L)", scope)
    assert result == [D(1), D("2.5"), {"x": D(3)}]
    result[2]["x"] = 9
    assert scope == {"L": [1, 2.5, {"x": 3}]}


def test_a_returned_value_holding_one_talang_cannot_use_fails_the_expression() -> None:
    # The value is only looked at when it is handed back (here inside a Map and a List).
    for text in ("(. Session)", "(filter (. Items) i (= (. i Category) a))"):
        scope = {"Session": {"Total": D("NaN")}, "Items": [{"Category": "a", "Price": D("NaN")}]}
        with pytest.raises(TalangRuntimeError):
            compile_expr(parse_text(text)).evaluate(scope)
        error = error_of(text, scope)
        assert (error.message, error.path) == (
            "the number NaN is not finite; Talang numbers are exact",
            "$",
        )


def test_evaluation_never_changes_the_scope() -> None:
    scope: dict[str, Any] = {"Order": {"Total": 1}}
    assert run("((set Order Total 5) (set Extra 1) (. Order Total))", scope) == 5
    assert scope == {"Order": {"Total": 1}}


def test_the_scope_must_be_a_mapping() -> None:
    with pytest.raises(TalangError, match="the scope must be a mapping"):
        compile_expr(["noop"]).evaluate([1, 2])  # type: ignore[arg-type]


def test_now_must_be_aware() -> None:
    with pytest.raises(TalangError, match="timezone-aware"):
        compile_expr(["days", ["parseTime", "2024-01-01T00:00:00Z"]]).evaluate(
            now=datetime(2024, 1, 1)
        )
