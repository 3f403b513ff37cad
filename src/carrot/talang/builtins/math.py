"""Arithmetic: `+ - * / mod ceil floor max min sum`, exact decimals (16 significant
digits, half-even, as the reference), never floats. `+` on Strings concatenates."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from carrot.talang.errors import FunctionError
from carrot.talang.registry import STYLE_FRAME, Example, FunctionDef, overload
from carrot.talang.runtime import BlockArg, Frame, items_of, loop_applier
from carrot.talang.types import DECIMAL_CONTEXT, check_string_length, describe_value, to_value

FAMILY = "math"
ZERO = Decimal(0)
_add = DECIMAL_CONTEXT.add
_subtract = DECIMAL_CONTEXT.subtract
_multiply = DECIMAL_CONTEXT.multiply
_divide = DECIMAL_CONTEXT.divide
_remainder = DECIMAL_CONTEXT.remainder


def add(first: Decimal, *others: Decimal) -> Decimal:
    for other in others:
        first = _add(first, other)
    return first


def subtract(first: Decimal, *others: Decimal) -> Decimal:
    for other in others:
        first = _subtract(first, other)
    return first


def multiply(first: Decimal, *others: Decimal) -> Decimal:
    for other in others:
        first = _multiply(first, other)
    return first


def divide(first: Decimal, *others: Decimal) -> Decimal:
    for index, other in enumerate(others, 2):
        if other.is_zero():
            raise FunctionError("`/` cannot divide by zero", argument=index)
        first = _divide(first, other)
    return first


def modulo(first: Decimal, *others: Decimal) -> Decimal:
    for index, other in enumerate(others, 2):
        if other.is_zero():
            raise FunctionError("`mod` cannot divide by zero", argument=index)
        first = _remainder(first, other)
    return first


def concat(first: str, *others: str) -> str:
    check_string_length(len(first) + sum(len(other) for other in others))
    return first + "".join(others)


def floor(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_FLOOR)


def ceil(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_CEILING)


def numbers_in(function: str, values: list[Any]) -> list[Decimal]:
    numbers = [item for item in items_of(values) if type(item) is Decimal]
    if not numbers:
        raise FunctionError(f"`{function}` needs a list with at least one number", argument=1)
    return numbers


def largest(values: list[Any]) -> Decimal:
    return max(numbers_in("max", values))


def smallest(values: list[Any]) -> Decimal:
    return min(numbers_in("min", values))


def total(values: list[Any]) -> Decimal:
    result = ZERO
    for position, item in enumerate(values, 1):
        item = to_value(item)
        if type(item) is not Decimal:
            raise FunctionError(
                f"`sum` adds numbers; item {position} of the list is {describe_value(item)}",
                argument=1,
            )
        result = _add(result, item)
    return result


def total_of(frame: Frame, values: list[Any], block: BlockArg) -> Decimal:
    apply = loop_applier(frame, values, block)
    result = ZERO
    for item in values:
        value = apply(item if type(item) is dict else to_value(item))
        if type(value) is not Decimal:
            raise block_number_error(value)
        result = _add(result, value)
    return result


def block_number_error(value: Any) -> FunctionError:
    return FunctionError(f"the block of `sum` must give a Decimal, got {describe_value(value)}")


def _fold(name: str, impl: Any, doc: str, examples: tuple[Example, ...]) -> FunctionDef:
    return FunctionDef(
        name=name,
        overloads=(
            overload("(value: Decimal, other: Decimal, others: Decimal...) -> Decimal", impl),
        ),
        doc=doc,
        family=FAMILY,
        examples=examples,
    )


FUNCTIONS = (
    FunctionDef(
        name="+",
        overloads=(
            overload("(value: Decimal, other: Decimal, others: Decimal...) -> Decimal", add),
            overload("(text: String, other: String, others: String...) -> String", concat),
        ),
        doc="Adds numbers, or concatenates strings. All arguments must be of one kind: "
        "use `toString` to add a number to a string.",
        family=FAMILY,
        examples=(
            Example("(+ 1.2 3.4)", Decimal("4.6")),
            Example("(+ 1.2 3.4 -5.6)", Decimal("-1.0")),
            Example('(+ "Hello World" " and " Universe)', "Hello World and Universe"),
            Example('(+ "Hello " (toString (+ 1 2)))', "Hello 3"),
            Example('(+ "2" 2)', error="must be a String"),
        ),
    ),
    _fold(
        "-",
        subtract,
        "Subtracts every later argument from the first.",
        (Example("(- 1.2 3.4 -5.6)", Decimal("3.4")), Example("(- 1 2 3)", Decimal(-4))),
    ),
    _fold(
        "*",
        multiply,
        "Multiplies the arguments.",
        (Example("(* 1.2 3.4 -5.6)", Decimal("-22.848")), Example("(* 19.99 3)", Decimal("59.97"))),
    ),
    _fold(
        "/",
        divide,
        "Divides the first argument by each later one, to 16 significant digits "
        "(half-even). Dividing by zero is an error.",
        (
            Example("(/ 1 2)", Decimal("0.5")),
            Example("(/ 1.2 3.4)", Decimal("0.3529411764705882")),
            Example("(/ 1 2 3)", Decimal("0.1666666666666667")),
            Example("(/ 1 0)", error="cannot divide by zero"),
        ),
    ),
    _fold(
        "mod",
        modulo,
        "The remainder of dividing the first argument by each later one in turn; it has the "
        "sign of the dividend.",
        (
            Example("(mod 2 1)", Decimal(0)),
            Example("(mod 4 3 2)", Decimal(1)),
            Example("(mod -7 3)", Decimal(-1)),
        ),
    ),
    FunctionDef(
        name="floor",
        overloads=(overload("(value: Decimal) -> Decimal", floor),),
        doc="Rounds down to a whole number.",
        family=FAMILY,
        examples=(Example("(floor 2.5)", Decimal(2)), Example("(floor -2.7)", Decimal(-3))),
    ),
    FunctionDef(
        name="ceil",
        overloads=(overload("(value: Decimal) -> Decimal", ceil),),
        doc="Rounds up to a whole number.",
        family=FAMILY,
        examples=(Example("(ceil 2.4)", Decimal(3)), Example("(ceil -2.7)", Decimal(-2))),
    ),
    FunctionDef(
        name="max",
        overloads=(overload("(list: List) -> Decimal", largest),),
        doc="The largest number in a list; items that are not numbers are ignored.",
        family=FAMILY,
        examples=(
            Example("(max (list 3 4 1 3 7 1 17 15 2))", Decimal(17)),
            Example("(max (list Hello World))", error="at least one number"),
        ),
    ),
    FunctionDef(
        name="min",
        overloads=(overload("(list: List) -> Decimal", smallest),),
        doc="The smallest number in a list; items that are not numbers are ignored.",
        family=FAMILY,
        examples=(
            Example("(min (list 100 4 3 10 6000 Hello 90 99))", Decimal(3)),
            Example("(min (list 3 4 -1 3 7 1 17 0 2))", Decimal(-1)),
        ),
    ),
    FunctionDef(
        name="sum",
        overloads=(
            overload("(list: List) -> Decimal", total),
            overload("(list: List, block: Block[Decimal]) -> Decimal", total_of, style=STYLE_FRAME),
        ),
        doc="Adds the numbers of a list, or the numbers a block gives for each item. "
        "An empty list sums to 0.",
        family=FAMILY,
        loops=True,
        examples=(
            Example("(sum (list 1 2 3.5))", Decimal("6.5")),
            Example(
                "(sum (. Items) Item (. Item Price))",
                Decimal(4),
                scope={"Items": [{"Price": 2}, {"Price": 2}]},
            ),
            Example(
                "(sum (. Session CartItems) ((Item) (* (. Item Price) (. Item Quantity))))",
                Decimal("45.00"),
                scope={
                    "Session": {
                        "CartItems": [
                            {"Price": Decimal("10.00"), "Quantity": 3},
                            {"Price": Decimal("7.50"), "Quantity": 2},
                        ]
                    }
                },
            ),
            Example("(sum (list))", Decimal(0)),
        ),
    ),
)
