"""The text notation: reading, printing, and converting without loss."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from carrot.talang import TalangCheckError, TalangSyntaxError, parse_text, to_text
from tests.talang.helpers import strictly_equal


def test_the_issue_example_reads_as_its_json_form() -> None:
    assert parse_text("(and (> (. Session Total) 100) (couponValid))") == [
        "and",
        [">", [".", "Session", "Total"], 100],
        ["couponValid"],
    ]


def test_outer_parentheses_are_optional() -> None:
    assert parse_text("+ 1 2") == parse_text("(+ 1 2)") == ["+", 1, 2]


def test_whitespace_of_any_amount_separates_items() -> None:
    assert parse_text("(+\t1\n\r  2 )") == ["+", 1, 2]


def test_numbers_keep_their_digits() -> None:
    value = parse_text("(toString 1.50)")[1]
    assert isinstance(value, Decimal) and str(value) == "1.50"
    assert parse_text("(+ 7 -2)") == ["+", 7, -2]


def test_quoted_items_are_always_strings() -> None:
    assert parse_text('(list "1" "true" "2007-01-02T00:00:00Z")') == [
        "list",
        "1",
        "true",
        "2007-01-02T00:00:00Z",
    ]


def test_an_unquoted_time_is_a_parse_time_call() -> None:
    assert parse_text("(after 2024-01-31T09:30:00Z 2024-01-01T00:00:00+02:00)") == [
        "after",
        ["parseTime", "2024-01-31T09:30:00Z"],
        ["parseTime", "2024-01-01T00:00:00+02:00"],
    ]


def test_an_impossible_date_stays_a_string() -> None:
    assert parse_text("(list 2024-13-01T00:00:00Z)") == ["list", "2024-13-01T00:00:00Z"]


def test_a_block_has_an_unnamed_head() -> None:
    assert parse_text("(map (. L) ((Item) (. Item Price)))") == [
        "map",
        [".", "L"],
        [["Item"], [".", "Item", "Price"]],
    ]


def test_several_top_level_expressions_form_a_sequence() -> None:
    assert parse_text("(set X 1) (. X)") == [["set", "X", 1], [".", "X"]]


def test_a_lone_word_is_a_call_unless_it_is_a_literal() -> None:
    assert parse_text("noop") == ["noop"]
    assert parse_text("1") == 1
    assert parse_text("true") is True
    assert parse_text('"Hello"') == "Hello"


def test_path_keys_are_names() -> None:
    assert parse_text("(. Map True 2)") == [".", "Map", "True", "2"]


def test_escapes_inside_quotes() -> None:
    assert parse_text('(list "Hello \\"World\\"")') == ["list", 'Hello "World"']
    assert parse_text("(list 'it\\'s')") == ["list", "it's"]
    assert parse_text('(list "^Hello\\s\\w+")') == ["list", "^Hello\\s\\w+"]
    assert parse_text('(list "a\\\\")') == ["list", "a\\"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(+ 1 2", "the `(` at character 1 is never closed"),
        ("(+ 1 2))", "`)` at character 8 closes nothing"),
        ("(list ())", "empty parentheses `()` at character 7"),
        ('(list "abc)', "the string that starts at character 7 is never closed"),
        ('(list "a"b)', "the string that ends at character 9 runs into `b`; put a space after it"),
        ("   ", "the expression is empty"),
    ],
)
def test_malformed_text_is_an_error_with_its_position(text: str, message: str) -> None:
    with pytest.raises(TalangSyntaxError) as caught:
        parse_text(text)
    assert caught.value.message == message
    assert caught.value.path == "$"


def test_nesting_beyond_the_text_limit_is_an_error() -> None:
    with pytest.raises(TalangSyntaxError, match="nest deeper than 256"):
        parse_text("(" * 300 + ")" * 300)


def test_printing_quotes_only_what_needs_it() -> None:
    expr = ["+", "Hello World", "Hi", "1", "true", "", "a(b", 'say "hi"']
    assert to_text(expr) == '(+ "Hello World" Hi "1" "true" "" "a(b" "say \\"hi\\"")'


def test_printing_a_time_literal_gives_the_bare_time() -> None:
    assert to_text(["after", ["parseTime", "2024-01-31T09:30:00Z"], 5]) == (
        "(after 2024-01-31T09:30:00Z 5)"
    )
    assert to_text(["parseTime", "2024-01-31T09:30:00Z"]) == "2024-01-31T09:30:00Z"
    assert to_text([["parseTime", "2024-01-31T09:30:00Z"], 1]) == (
        '((parseTime "2024-01-31T09:30:00Z") 1)'
    )


def test_printing_numbers_never_uses_exponents() -> None:
    assert to_text(["+", Decimal("1E+2"), 0.5, 3]) == "(+ 100 0.5 3)"


def test_a_top_level_string_is_quoted() -> None:
    assert to_text("noop") == '"noop"'
    assert parse_text(to_text("noop")) == "noop"


@pytest.mark.parametrize(
    ("expr", "message", "path"),
    [
        ([], "an empty list [] is not an expression", "$"),
        (
            ["+", [1, 2]],
            "a list must start with a function name or a block, not the number 1",
            "$[1][0]",
        ),
        (["+", None], "null is not a Talang value", "$[1]"),
        (["+", {"a": 1}], "a JSON object is not a Talang value", "$[1]"),
        (["+", float("nan")], "nan is not a number Talang can hold", "$[1]"),
    ],
)
def test_printing_rejects_what_is_not_a_tree(expr: Any, message: str, path: str) -> None:
    with pytest.raises(TalangCheckError) as caught:
        to_text(expr)
    assert caught.value.message == message
    assert caught.value.path == path


def test_printing_a_very_deep_tree_is_an_error_not_a_crash() -> None:
    expr: Any = 1
    for _ in range(400):
        expr = ["not", expr]
    with pytest.raises(TalangCheckError, match="nests deeper than 256"):
        to_text(expr)


@pytest.mark.parametrize(
    "text",
    [
        "(and (> (. Session Total) 100) (couponValid))",
        '(~ ^Hello\\s\\w+ "Hello World" "a b\\\\")',
        "(filter (. Session CartItems) ((Item) (catch false (= (. Item Category) Kitchen))))",
        '((setTemplate "plus(Decimal, Decimal)Decimal" (+ (# 0) (# 1))) (! plus 1 2))',
        "(between 2007-01-02T00:00:00Z 2006-01-02T00:00:00Z 2009-01-02T00:00:00+01:00)",
    ],
)
def test_text_survives_a_round_trip(text: str) -> None:
    expr = parse_text(text)
    assert to_text(expr) == text
    assert strictly_equal(parse_text(to_text(expr)), expr)
