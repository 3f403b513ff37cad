"""Comparison: `= != < <= > >= between betweenTimes ~`."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from carrot.talang.errors import FunctionError
from carrot.talang.registry import Example, FunctionDef, overload
from carrot.talang.types import value_text

FAMILY = "compare"


def same(left: Any, right: Any) -> bool:
    """Talang equality: numbers by value, times by instant, anything else by its text.

    The reference compares the text of every pair; carrot compares two numbers by value so
    that a session total of 100.00 equals 100 (talang.md §2.3 leaves this to [src] only).
    """
    kind = type(left)
    if kind is type(right) and (kind is str or kind is Decimal or kind is bool or kind is datetime):
        return bool(left == right)
    return value_text(left) == value_text(right)


def equal(first: Any, *others: Any) -> bool:
    return all(same(first, other) for other in others)


def not_equal(first: Any, *others: Any) -> bool:
    return not any(same(first, other) for other in others)


def greater(first: Any, *others: Any) -> bool:
    return all(first > other for other in others)


def greater_or_equal(first: Any, *others: Any) -> bool:
    return all(first >= other for other in others)


def less(first: Any, *others: Any) -> bool:
    return all(first < other for other in others)


def less_or_equal(first: Any, *others: Any) -> bool:
    return all(first <= other for other in others)


def between(*values: Any) -> bool:
    low, high = values[-2], values[-1]
    return all(low < value < high for value in values[:-2])


def between_times(time: datetime, low: datetime, high: datetime) -> bool:
    return low < time < high


# ---- regular expressions -------------------------------------------------------------

MAX_PATTERN_LENGTH = 1000
_PATTERNS: dict[str, re.Pattern[str]] = {}
_UNSUPPORTED = (
    ("(?=", "lookahead"),
    ("(?!", "lookahead"),
    ("(?<=", "lookbehind"),
    ("(?<!", "lookbehind"),
    ("(?>", "atomic groups"),
    ("(?(", "conditionals"),
    ("(?P=", "backreferences"),
)


def regex(pattern: str) -> re.Pattern[str]:
    """Compile an RE2-style pattern with Python's `re`, refusing what RE2 refuses.

    Talang's reference uses RE2, which runs in linear time. Python's `re` backtracks, so
    carrot rejects the constructs that make backtracking explode: backreferences,
    lookarounds, and a repeated group that itself contains a repetition or alternation.
    """
    compiled = _PATTERNS.get(pattern)
    if compiled is not None:
        return compiled
    problem = unsafe_pattern(pattern)
    if problem is not None:
        raise FunctionError(f"the pattern {pattern!r} cannot be used: {problem}")
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        raise FunctionError(f"{pattern!r} is not a valid regular expression: {error}") from None
    if len(_PATTERNS) >= 256:
        _PATTERNS.clear()
    _PATTERNS[pattern] = compiled
    return compiled


def unsafe_pattern(pattern: str) -> str | None:
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"it is longer than {MAX_PATTERN_LENGTH} characters"
    for marker, name in _UNSUPPORTED:
        if marker in pattern:
            return f"{name} are not supported (RE2 syntax)"
    # Each open group records whether it contains a repetition or an alternation.
    groups: list[bool] = [False]
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            if index + 1 < len(pattern) and pattern[index + 1] in "123456789":
                return "backreferences are not supported (RE2 syntax)"
            index += 2
            continue
        if char == "[":
            index = _skip_class(pattern, index)
            continue
        if char == "(":
            groups.append(False)
        elif char == ")" and len(groups) > 1:
            inner = groups.pop()
            repeats, after = _repetition(pattern, index + 1)
            if repeats and inner:
                return "it repeats a group that itself repeats, which can take exponential time"
            groups[-1] = groups[-1] or inner or repeats
            index = after
            continue
        elif char == "|" or char in "*+{":
            groups[-1] = True
        index += 1
    return None


def _skip_class(pattern: str, index: int) -> int:
    index += 1
    if index < len(pattern) and pattern[index] == "^":
        index += 1
    if index < len(pattern) and pattern[index] == "]":
        index += 1
    while index < len(pattern) and pattern[index] != "]":
        index += 2 if pattern[index] == "\\" else 1
    return index + 1


def _repetition(pattern: str, index: int) -> tuple[bool, int]:
    """Is there an unbounded or counted repetition at `index`? Returns where it ends."""
    if index >= len(pattern):
        return False, index
    char = pattern[index]
    if char in "*+":
        return True, index + 1
    if char == "{":
        close = pattern.find("}", index)
        if close != -1 and re.fullmatch(r"\d*(,\d*)?", pattern[index + 1 : close]):
            return True, close + 1
    return False, index


def matches(pattern: str, *texts: str) -> bool:
    compiled = regex(pattern)
    return all(compiled.search(text) is not None for text in texts)


def _ordering(name: str, impl: Any, doc: str, examples: tuple[Example, ...]) -> FunctionDef:
    return FunctionDef(
        name=name,
        overloads=(
            overload("(value: Decimal, other: Decimal, others: Decimal...) -> Boolean", impl),
            overload("(value: Time, other: Time, others: Time...) -> Boolean", impl),
        ),
        doc=doc,
        family=FAMILY,
        examples=examples,
    )


FUNCTIONS = (
    FunctionDef(
        name="=",
        overloads=(overload("(value: Atom, other: Atom, others: Atom...) -> Boolean", equal),),
        doc="True when every later argument equals the first. Numbers compare by value, "
        'times by instant, anything else by its text, so `(= 1 "1")` is true.',
        family=FAMILY,
        examples=(
            Example("(= 1 1)", True),
            Example('(= 1 "1")', True),
            Example('(= "Hello" "Hello" "Bye")', False),
            Example("(= 100.00 100)", True, note="numbers compare by value"),
            Example("(= 2006-01-02T17:04:05+02:00 2006-01-02T15:04:05Z)", True),
        ),
    ),
    FunctionDef(
        name="!=",
        overloads=(overload("(value: Atom, other: Atom, others: Atom...) -> Boolean", not_equal),),
        doc="True when the first argument differs from every later one.",
        family=FAMILY,
        examples=(
            Example('(!= "Hello" "Bye")', True),
            Example('(!= 1 "1")', False),
            Example('(!= "Hello" "Hello" "Bye")', False),
        ),
    ),
    _ordering(
        ">",
        greater,
        "True when the first argument is greater than each later one (numbers or times).",
        (Example("(> 2 1)", True), Example("(> 1 1)", False), Example("(> 5 1 3)", True)),
    ),
    _ordering(
        ">=",
        greater_or_equal,
        "True when the first argument is greater than or equal to each later one.",
        (Example("(>= 1 1)", True), Example("(>= 0 1)", False)),
    ),
    _ordering(
        "<",
        less,
        "True when the first argument is less than each later one.",
        (
            Example("(< 0 1)", True),
            Example("(< 2007-01-02T15:04:05Z 2007-01-02T15:04:05Z)", False),
        ),
    ),
    _ordering(
        "<=",
        less_or_equal,
        "True when the first argument is less than or equal to each later one.",
        (Example("(<= 1 1)", True), Example("(<= 2 1)", False)),
    ),
    FunctionDef(
        name="between",
        overloads=(
            overload(
                "(value: Decimal, min: Decimal, max: Decimal, more: Decimal...) -> Boolean",
                between,
            ),
            overload("(value: Time, min: Time, max: Time, more: Time...) -> Boolean", between),
        ),
        doc="True when every argument but the last two lies strictly between the last two "
        "(min and max, both excluded).",
        family=FAMILY,
        examples=(
            Example("(between 1 0 3)", True),
            Example("(between 1 2 0 3)", True),
            Example("(between 0 0 2)", False),
            Example("(between 1 4 0 3)", False),
            Example(
                "(between 2007-01-02T00:00:00Z 2006-01-02T00:00:00Z 2009-01-02T00:00:00Z)", True
            ),
        ),
    ),
    FunctionDef(
        name="betweenTimes",
        overloads=(overload("(time: Time, min: Time, max: Time) -> Boolean", between_times),),
        doc="True when the time lies strictly between min and max.",
        family=FAMILY,
        examples=(
            Example(
                "(betweenTimes 2006-01-02T19:04:05Z 2006-01-01T15:04:05Z 2006-01-03T19:04:05Z)",
                True,
            ),
            Example(
                "(betweenTimes 2006-01-01T12:00:00Z 2006-01-02T15:04:05Z 2006-01-03T19:04:05Z)",
                False,
            ),
        ),
    ),
    FunctionDef(
        name="~",
        overloads=(
            overload("(pattern: String, text: String, texts: String...) -> Boolean", matches),
        ),
        doc="True when the regular expression (RE2 syntax) is found in every later "
        "argument. The search is unanchored: use `^` and `$` to match a whole string. "
        "Backreferences, lookarounds and nested repetitions are refused.",
        family=FAMILY,
        examples=(
            Example("(~ ^foo foobar)", True),
            Example("(~ ^foo$ foobar)", False),
            Example('(~ "^Hello\\s\\w+" "Hello World" "Hello Universe")', True),
            Example('(~ "[a-z\\s]*" "Hello W0rld")', True, note="the pattern matches ''"),
            Example("(~ [a foo)", error="is not a valid regular expression"),
        ),
    ),
)
