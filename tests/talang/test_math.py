"""Arithmetic: exact decimals with the reference's 16 significant digits."""

from __future__ import annotations

from decimal import Decimal

from tests.talang.helpers import D, run


def test_money_arithmetic_is_exact() -> None:
    assert run("(+ 0.1 0.2)") == D("0.3")
    assert run("(* 19.99 3)") == D("59.97")
    assert run("(- 100.00 (* 100.00 (/ 15 100)))") == D("85.00")


def test_division_rounds_half_even_to_16_digits() -> None:
    assert run("(/ 2 3)") == D("0.6666666666666667")
    assert run("(/ 1 3)") == D("0.3333333333333333")


def test_results_are_decimals_even_from_floats_in_the_scope() -> None:
    result = run("(* (. Price) (. Quantity))", {"Price": 0.1, "Quantity": 3})
    assert isinstance(result, Decimal) and result == D("0.3")


def test_mod_keeps_the_sign_of_the_dividend() -> None:
    assert run("(mod -7 3)") == D(-1)
    assert run("(mod 7 -3)") == D(1)
    assert run("(mod 5.5 2)") == D("1.5")


def test_floor_and_ceil_round_towards_infinities() -> None:
    assert run("(floor -0.5)") == D(-1)
    assert run("(ceil 0.001)") == D(1)


def test_min_max_and_sum_of_lists() -> None:
    scope = {"L": [3, "x", 7.5, -1]}
    assert run("(max (. L))", scope) == D("7.5")
    assert run("(min (. L))", scope) == D(-1)
    assert run("(sum (list 1 2.5 3))") == D("6.5")
    assert run("(sum (. L) x (. x Price))", {"L": []}) == D(0)


def test_sum_over_a_cart_with_a_block() -> None:
    items = [{"Price": D("4.99"), "Quantity": 2}, {"Price": D("10.00"), "Quantity": 1}]
    assert run(
        "(sum (. Session CartItems) ((Item) (* (. Item Price) (. Item Quantity))))",
        {"Session": {"CartItems": items}},
    ) == D("19.98")


def test_string_plus_concatenates() -> None:
    assert run('(+ "Hello" " " (. Name))', {"Name": "Ada"}) == "Hello Ada"
