"""Errors found before anything runs: each names the node at fault and says what to do."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from carrot.talang import Limits, TalangCheckError, compile_expr, parse_text
from carrot.talang.types import BOOLEAN, DECIMAL, LIST, STRING, TIME


def check_error(expr: Any, limits: Limits | None = None) -> TalangCheckError:
    if isinstance(expr, str):
        expr = parse_text(expr)
    with pytest.raises(TalangCheckError) as caught:
        compile_expr(expr, limits=limits)
    return caught.value


@pytest.mark.parametrize(
    ("expr", "message", "path"),
    [
        # unknown functions
        ("(foo 1)", "there is no function `foo`; did you mean `floor`?", "$[0]"),
        ("(and (cuponValid))", "there is no function `cuponValid`", "$[1][0]"),
        (
            "(and (contians a b))",
            "there is no function `contians`; did you mean `contains`?",
            "$[1][0]",
        ),
        # arity
        ("(and (> 1))", "`>` takes at least 2 arguments, got 1", "$[1]"),
        ("(not true false)", "`not` takes 1 argument, got 2", "$"),
        ("(betweenTimes 2024-01-01T00:00:00Z)", "`betweenTimes` takes 3 arguments, got 1", "$"),
        ("(noop 1)", "`noop` takes 0 arguments, got 1", "$"),
        ("(sort (list) true false)", "`sort` takes 1 or 2 arguments, got 3", "$"),
        ("(parseTime)", "`parseTime` takes 1 or 2 arguments, got 0", "$"),
        (
            "(map (list 1))",
            "`map` takes (list: List, block: Block[Any]); got 1 arguments",
            "$",
        ),
        # literal kinds
        (
            '(> (. Session Total) "100")',
            '`>` argument 2 must be a Decimal or a Time, got the String "100"',
            "$[2]",
        ),
        (
            "(> 1 2024-01-01T00:00:00Z)",
            "`>` argument 2 must be a Decimal, got a Time from `parseTime`",
            "$[2]",
        ),
        ('(+ "2" 2)', "`+` argument 2 must be a String, got the Decimal 2", "$[2]"),
        ("(+ 1 true)", "`+` argument 2 must be a Decimal, got the Boolean true", "$[2]"),
        ("(not (+ 1 2))", "`not` argument 1 must be a Boolean, got a Decimal from `+`", "$[1]"),
        (
            "(and true (toString 1))",
            "`and` argument 2 must be a Boolean, a List or a Map, got a String from `toString`",
            "$[2]",
        ),
        ("(item (list a) A)", '`item` argument 2 must be a Decimal, got the String "A"', "$[2]"),
        (
            "(= (list 1) 1)",
            "`=` argument 1 must be a single value (not a List or Map), got a List from `list`",
            "$[1]",
        ),
        ("(count ((set X 1) 5))", "`count` argument 1 must be a List, got a Decimal", "$[1]"),
        (
            "(list (list 1))",
            "`list` argument 1 must be a single value (not a List or Map), got a List from `list`",
            "$[1]",
        ),
        # blocks
        (
            "(map (list 1 2 3) (4))",
            '`map` needs a block as argument 2, written [["Item"], …], "Item", … or ["fn", "Item", …]',
            "$[2]",
        ),
        (
            "(filter (list 1) x)",
            '`filter` needs a block as argument 2, written [["Item"], …], "Item", … or ["fn", "Item", …]',
            "$[2]",
        ),
        (
            "(filter (list 1) x (+ (. x) 1))",
            "the block of `filter` must give a Boolean, got a Decimal from `+`",
            "$[3]",
        ),
        (
            "(sum (list 1) ((x) (toString (. x))))",
            "the block of `sum` must give a Decimal, got a String from `toString`",
            "$[2][1]",
        ),
        (
            "(fn x 1)",
            "`fn` makes a block; use it as the block argument of map, filter, exists, every, sum, sortByNumber, sortByString or do",
            "$",
        ),
        (
            "(list (fn x 1))",
            "`fn` makes a block; use it as the block argument of map, filter, exists, every, sum, sortByNumber, sortByString or do",
            "$[1]",
        ),
        (
            "(do 4 (x (noop)))",
            '`do` needs a block as argument 2, written [["Item"], …], "Item", … or ["fn", "Item", …]',
            "$[2]",
        ),
        # kv pairs
        (
            "(kv (Key1 Value1) (Key2 Value2 Value3))",
            "the key `Key2` of `kv` has 2 values; a key takes exactly one",
            "$[2]",
        ),
        ("(kv (Key1))", "the key `Key1` of `kv` has no value", "$[1]"),
        ("(kv (a 1) (b 2) (a 3))", "`kv` has the key `a` twice", "$[3]"),
        ("(kv Key1)", 'each argument of `kv` is a pair like ["Key", value]', "$[1]"),
        # templates
        (
            '(setTemplate "plus" (+ (# 0) (# 1)))',
            "'plus' is not a template signature; write it like \"plus(Decimal, Decimal)Decimal\"",
            "$[1]",
        ),
        ('(setTemplate "plus(Decimal, Foo)Decimal" (# 0))', "unknown kind `Foo`", "$[1]"),
        (
            '(setTemplate "one(Decimal)Decimal" (+ (# 0) (# 1)))',
            "the template has 1 parameter; (# 1) is not one of them",
            "$[2][2]",
        ),
        (
            '(setTemplate "one(Decimal)Decimal" (# x))',
            "a template parameter is written `(# 0)`, `(# 1)`, … with a whole number",
            "$[2]",
        ),
        (
            '(setTemplate "one(String)String" (+ (# 0) 1))',
            "`+` argument 2 must be a String, got the Decimal 1",
            "$[2][2]",
        ),
        (
            "(+ (# 0) 1)",
            "`#` marks a template parameter and only works inside the body of setTemplate",
            "$[1][0]",
        ),
        # constant parts that always fail
        ("(and (> (/ 1 0) 2))", "`/` cannot divide by zero", "$[1][1][2]"),
        (
            '(after (parseTime "soon") 2024-01-01T00:00:00Z)',
            "'soon' is not a time; write it like 2024-01-31T09:30:00Z",
            "$[1]",
        ),
        ("(item (list 1 2) 5)", "`item`: index 5 is out of bounds for a list of 2 items", "$[2]"),
        (
            '(~ "(a+)+$" aaaa)',
            "the pattern '(a+)+$' cannot be used: it repeats a group that itself repeats, which can take exponential time",
            "$",
        ),
    ],
)
def test_check_error(expr: str, message: str, path: str) -> None:
    error = check_error(expr)
    assert (error.message, error.path) == (message, path)


@pytest.mark.parametrize(
    ("expr", "message", "path"),
    [
        (None, 'null is not a Talang value; write ["noop"] where you need Null', "$"),
        (["list", None], 'null is not a Talang value; write ["noop"] where you need Null', "$[1]"),
        (
            ["list", {"a": 1}],
            'a JSON object is not a Talang expression; build a Map with ["kv", ["Key", value]]',
            "$[1]",
        ),
        (["list", {1, 2}], "a set is not a Talang expression", "$[1]"),
        (["list", []], "an empty list [] is not an expression", "$[1]"),
        ([1, 2], "a list must start with a function name or a block, not the number 1", "$[0]"),
        (
            ["list", [True]],
            "a list must start with a function name or a block, not a boolean",
            "$[1][0]",
        ),
        (["list", float("inf")], "inf is not a number Talang can hold", "$[1]"),
        (["list", Decimal("NaN")], "NaN is not a number Talang can hold", "$[1]"),
    ],
)
def test_json_that_is_not_an_expression(expr: Any, message: str, path: str) -> None:
    error = check_error(expr)
    assert (error.message, error.path) == (message, path)


def test_nesting_limit() -> None:
    expr: Any = True
    for _ in range(70):
        expr = ["not", expr]
    error = check_error(expr)
    assert error.message == "the expression nests deeper than 64 levels"
    assert error.path == "$" + "[1]" * 64


def test_size_limit() -> None:
    error = check_error(["list", *range(20)], Limits(max_nodes=10))
    assert error.message == "the expression has more than 10 parts"
    assert error.path == "$[10]"


def test_a_failing_constant_inside_catch_waits_for_run_time() -> None:
    compiled = compile_expr(parse_text("(catch 0 (/ 1 0))"))
    assert compiled.evaluate() == 0


def test_overloads_narrow_by_argument_kinds() -> None:
    assert compile_expr(parse_text('(+ "a" "b")')).result_kinds == STRING
    assert compile_expr(parse_text("(+ 1 2)")).result_kinds == DECIMAL
    assert compile_expr(parse_text("(+ (. A) (. B))")).result_kinds == DECIMAL | STRING
    assert compile_expr(parse_text("(filter (list) x true)")).result_kinds == LIST
    assert compile_expr(parse_text("(parseTime (. x))")).result_kinds == TIME


def test_result_kinds_follow_the_arguments_of_catch_and_do() -> None:
    assert compile_expr(parse_text("(catch false (> (. A) 1))")).result_kinds == BOOLEAN
    assert compile_expr(parse_text("(do 1 x (> (. x) 1))")).result_kinds == BOOLEAN


def test_function_names_ignore_case() -> None:
    assert compile_expr(parse_text("(WEEKDAY 2018-03-11T19:04:05Z)")).evaluate() == "0"


def test_fn_outside_a_block_fails_at_run_time_when_not_constant() -> None:
    compiled = compile_expr(parse_text("(catch 0 (fn x (. y)))"))
    assert compiled.evaluate() == 0
