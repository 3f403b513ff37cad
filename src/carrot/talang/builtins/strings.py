"""Strings: `concat contains notContains startsWith endsWith split join firstName lastName
toString` (`+` on Strings is declared with the numbers in math.py).

As in the reference's code and tests, the first argument of `contains`, `startsWith`, …
is the text searched in (the haystack) and every later argument must be found in it.
"""

from __future__ import annotations

from typing import Any

from carrot.talang.builtins.math import concat
from carrot.talang.errors import FunctionError
from carrot.talang.registry import Example, FunctionDef, overload
from carrot.talang.runtime import items_of
from carrot.talang.types import (
    check_list_length,
    check_string_length,
    describe_value,
    value_text,
)

FAMILY = "strings"


def contains(text: str, *parts: str) -> bool:
    return all(part in text for part in parts)


def not_contains(text: str, *parts: str) -> bool:
    return not any(part in text for part in parts)


def starts_with(text: str, *prefixes: str) -> bool:
    return all(text.startswith(prefix) for prefix in prefixes)


def ends_with(text: str, *suffixes: str) -> bool:
    return all(text.endswith(suffix) for suffix in suffixes)


def split(text: str, separator: str) -> list[Any]:
    """Go's strings.Split: an empty separator splits into characters."""
    parts = list(text) if separator == "" else text.split(separator)
    check_list_length(len(parts))
    return parts


def join(values: list[Any], glue: str) -> str:
    """The reference requires the first item to be a String; later items give their text."""
    items = items_of(values)
    if not items:
        return ""
    if type(items[0]) is not str:
        raise FunctionError(
            f"`join` needs a list of Strings; its first item is {describe_value(items[0])}",
            argument=1,
        )
    texts = [value_text(item) for item in items]
    check_string_length(sum(len(text) for text in texts) + len(glue) * (len(texts) - 1))
    return glue.join(texts)


def first_name(name: str) -> str:
    return name.split(" ")[0]


def last_name(name: str) -> str:
    return name.split(" ")[-1]


def to_string(value: Any) -> str:
    return value_text(value)


def _search(name: str, impl: Any, doc: str, examples: tuple[Example, ...]) -> FunctionDef:
    return FunctionDef(
        name=name,
        overloads=(overload("(text: String, part: String, parts: String...) -> Boolean", impl),),
        doc=doc,
        family=FAMILY,
        examples=examples,
    )


FUNCTIONS = (
    FunctionDef(
        name="concat",
        overloads=(overload("(text: String, other: String, others: String...) -> String", concat),),
        doc="Concatenates strings, like `+` on Strings.",
        family=FAMILY,
        examples=(Example('(concat "Hello" " " "World")', "Hello World"),),
    ),
    _search(
        "contains",
        contains,
        "True when the first argument contains every later one.",
        (
            Example('(contains "Hello World" Hello World)', True),
            Example('(contains "Hello World" Hello Universe)', False),
            Example('(contains "Hello" "Hello World")', False, note="the haystack comes first"),
        ),
    ),
    _search(
        "notContains",
        not_contains,
        "True when the first argument contains none of the later ones.",
        (
            Example('(notContains "Hello World" Universe)', True),
            Example('(notContains "Hello World" Hello Universe)', False),
        ),
    ),
    _search(
        "startsWith",
        starts_with,
        "True when the first argument starts with every later one.",
        (
            Example('(startsWith "Hello World" Hello Hell)', True),
            Example('(startsWith "Hello World" Hello Bye)', False),
        ),
    ),
    _search(
        "endsWith",
        ends_with,
        "True when the first argument ends with every later one.",
        (Example('(endsWith "Hello World" World ld)', True),),
    ),
    FunctionDef(
        name="split",
        overloads=(overload("(text: String, separator: String) -> List", split),),
        doc="Splits a string at each separator into a list of Strings.",
        family=FAMILY,
        examples=(
            Example('(split "1,2,3,a" ",")', ["1", "2", "3", "a"]),
            Example('(split "abc" "")', ["a", "b", "c"]),
        ),
    ),
    FunctionDef(
        name="join",
        overloads=(overload("(list: List, glue: String) -> String", join),),
        doc="Joins a list into one string with `glue` between items. The first item must "
        "be a String; later items contribute their text.",
        family=FAMILY,
        examples=(
            Example("(join (list hello world) -)", "hello-world"),
            Example("(join (list 1 2 3) -)", error="needs a list of Strings"),
        ),
    ),
    FunctionDef(
        name="firstName",
        overloads=(overload("(name: String) -> String", first_name),),
        doc="The first space-separated word of a string.",
        family=FAMILY,
        examples=(
            Example('(firstName "Alex Unger")', "Alex"),
            Example('(firstName "Mr Foo Bar")', "Mr"),
        ),
    ),
    FunctionDef(
        name="lastName",
        overloads=(overload("(name: String) -> String", last_name),),
        doc="The last space-separated word of a string.",
        family=FAMILY,
        examples=(
            Example('(lastName "Hello Mr Mock")', "Mock"),
            Example("(lastName Bond)", "Bond"),
        ),
    ),
    FunctionDef(
        name="toString",
        overloads=(overload("(value: Decimal|String|Boolean|Time) -> String", to_string),),
        doc="The text of a value: numbers in plain notation (`1.50` stays `1.50`), "
        "`true`/`false`, times in RFC 3339.",
        family=FAMILY,
        examples=(
            Example("(toString 1)", "1"),
            Example("(toString 1.50)", "1.50"),
            Example("(toString true)", "true"),
            Example("(toString 2018-03-11T19:04:05Z)", "2018-03-11T19:04:05Z"),
        ),
    ),
)
