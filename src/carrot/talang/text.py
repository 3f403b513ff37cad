"""The text notation of Talang, `(and (> (. Session Total) 100) (couponValid))`.

`parse_text` turns text into the JSON form and `to_text` turns the JSON form into text;
the JSON form is the tree, so `parse_text(to_text(e)) == e` for every well-formed `e`.

Reading follows talang's lexer (talang.md §1.1–1.2): the first item of a group is the
function name and is never typed; other unquoted words are typed (true/false, numbers,
RFC 3339 times), quoted items are always Strings. Where the lexer left things open carrot
decides:

* an unquoted RFC 3339 time is the JSON `["parseTime", "2024-01-01T00:00:00Z"]`, because
  JSON has no time literal and a JSON string is always a String;
* inside quotes `\\"` (the same quote) and `\\\\` are escapes, any other backslash is kept,
  so regular expressions such as `"^\\d+$"` read naturally and every string can be written;
* a whole expression that is one unquoted word is a call when the word is not a number,
  Boolean or time: `and` is `(and)`, while `1` is the number and `"Hello"` the String;
* the keys of a path `(. Session Total)` are names and stay Strings, even `True` or `2`
  (the reference looks keys up by their original text). A key is looked up by its text, so
  the JSON `[".", "Map", 2]` prints as `(. Map 2)` and reads back as `[".", "Map", "2"]`,
  which reads the same key;
* malformed text (an unclosed parenthesis or quote, a stray `)`, `()`) is an error instead of
  being silently cut short.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from carrot.talang.errors import TalangCheckError, TalangSyntaxError
from carrot.talang.types import RFC3339_SHAPE, decimal_text, parse_rfc3339

# Deep enough for any rule; guards the printer's recursion against hostile input.
MAX_TEXT_DEPTH = 256

_WHITESPACE = " \t\r\n"
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)", re.ASCII)
TIME_LITERAL_FUNCTION = "parseTime"
PATH_FUNCTION = "."


class _Word:
    __slots__ = ("quoted", "text")

    def __init__(self, text: str, quoted: bool) -> None:
        self.text = text
        self.quoted = quoted


def parse_text(text: str) -> Any:
    """Read the text form into the JSON form. Raises TalangSyntaxError with the position."""
    stack: list[tuple[list[Any], int]] = []
    items: list[Any] = []
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if char in _WHITESPACE:
            index += 1
        elif char == "(":
            if len(stack) >= MAX_TEXT_DEPTH:
                raise TalangSyntaxError(
                    f"parentheses nest deeper than {MAX_TEXT_DEPTH} levels (character {index + 1})"
                )
            stack.append((items, index))
            items = []
            index += 1
        elif char == ")":
            if not stack:
                raise TalangSyntaxError(f"`)` at character {index + 1} closes nothing")
            outer, opened = stack.pop()
            if not items:
                raise TalangSyntaxError(f"empty parentheses `()` at character {opened + 1}")
            outer.append(_group(items))
            items = outer
            index += 1
        elif char in "\"'":
            word, index = _read_quoted(text, index)
            items.append(word)
        else:
            start = index
            while index < length and text[index] not in _WHITESPACE and text[index] not in "()":
                index += 1
            items.append(_Word(text[start:index], quoted=False))
    if stack:
        raise TalangSyntaxError(f"the `(` at character {stack[-1][1] + 1} is never closed")
    if not items:
        raise TalangSyntaxError("the expression is empty")
    if len(items) == 1:
        return _lone(items[0])
    return _group(items)


def _lone(item: Any) -> Any:
    """A whole expression of one item: `1` is a number, but `and` is the call `(and)`."""
    value = _typed(item)
    if isinstance(item, _Word) and not item.quoted and isinstance(value, str):
        return [value]
    return value


def _read_quoted(text: str, start: int) -> tuple[_Word, int]:
    quote = text[start]
    chars: list[str] = []
    index = start + 1
    length = len(text)
    while index < length:
        char = text[index]
        if char == "\\" and index + 1 < length and text[index + 1] in (quote, "\\"):
            chars.append(text[index + 1])
            index += 2
        elif char == quote:
            index += 1
            if index < length and text[index] not in _WHITESPACE and text[index] not in "()":
                raise TalangSyntaxError(
                    f"the string that ends at character {index} runs into"
                    f" `{text[index]}`; put a space after it"
                )
            return _Word("".join(chars), quoted=True), index
        else:
            chars.append(char)
            index += 1
    raise TalangSyntaxError(f"the string that starts at character {start + 1} is never closed")


def _group(items: list[Any]) -> list[Any]:
    head = items[0]
    first: Any = head.text if isinstance(head, _Word) else head
    if first == PATH_FUNCTION:
        # Path keys are names: `(. List True)` reads the key "True", as the reference does.
        return [first, *(item.text if isinstance(item, _Word) else item for item in items[1:])]
    return [first, *(_typed(item) for item in items[1:])]


def _typed(item: Any) -> Any:
    if not isinstance(item, _Word):
        return item
    text = item.text
    if item.quoted:
        return text
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if _NUMBER.fullmatch(text):
        return int(text) if "." not in text else Decimal(text)
    if parse_rfc3339(text) is not None:
        return [TIME_LITERAL_FUNCTION, text]
    return text


# ---- printing ------------------------------------------------------------------------


def to_text(expr: Any) -> str:
    """Print the JSON form as text. Raises TalangCheckError if `expr` is not a Talang tree."""
    if _is_time_literal(expr):
        return str(expr[1])
    if isinstance(expr, list | tuple):
        return _print_list(expr, "$", 0)
    if isinstance(expr, str):
        return quote(expr)
    return _print_literal(expr, "$")


def _print(expr: Any, path: str, depth: int) -> str:
    if isinstance(expr, list | tuple):
        if _is_time_literal(expr):
            return str(expr[1])
        return _print_list(expr, path, depth)
    return _print_literal(expr, path)


def _print_list(expr: list[Any] | tuple[Any, ...], path: str, depth: int) -> str:
    if depth >= MAX_TEXT_DEPTH:
        raise TalangCheckError(f"the expression nests deeper than {MAX_TEXT_DEPTH} levels", path)
    if not expr:
        raise TalangCheckError("an empty list [] is not an expression", path)
    head = expr[0]
    if isinstance(head, str):
        parts = [_print_name(head)]
    elif isinstance(head, list | tuple):
        parts = [_print_list(head, f"{path}[0]", depth + 1)]
    else:
        raise TalangCheckError(
            "a list must start with a function name or a block, not " + _json_kind(head),
            f"{path}[0]",
        )
    in_path = head == PATH_FUNCTION
    for index in range(1, len(expr)):
        item = expr[index]
        item_path = f"{path}[{index}]"
        if in_path and isinstance(item, str):
            parts.append(_print_name(item))
        elif in_path and _is_time_literal(item):
            parts.append(_print_list(item, item_path, depth + 1))
        else:
            parts.append(_print(item, item_path, depth + 1))
    return "(" + " ".join(parts) + ")"


def _is_time_literal(expr: Any) -> bool:
    return (
        isinstance(expr, list | tuple)
        and len(expr) == 2
        and expr[0] == TIME_LITERAL_FUNCTION
        and isinstance(expr[1], str)
        and parse_rfc3339(expr[1]) is not None
    )


def _print_literal(value: Any, path: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        number = Decimal(str(value)) if isinstance(value, float) else value
        if not number.is_finite():
            raise TalangCheckError(f"{value} is not a number Talang can hold", path)
        return decimal_text(number)
    if isinstance(value, str):
        return value if _bare_argument(value) else quote(value)
    raise TalangCheckError(f"{_json_kind(value)} is not a Talang value", path)


def _print_name(name: str) -> str:
    if name and not any(c in _WHITESPACE or c in "()" for c in name) and name[0] not in "\"'":
        return name
    return quote(name)


def _bare_argument(text: str) -> bool:
    if not text or text[0] in "\"'":
        return False
    if any(c.isspace() or c in "()" for c in text):
        return False
    if text.lower() in ("true", "false") or _NUMBER.fullmatch(text):
        return False
    return not RFC3339_SHAPE.fullmatch(text)


def quote(text: str) -> str:
    """Double-quote a string so that `parse_text` reads back exactly `text`."""
    out = ['"']
    last = len(text) - 1
    for index, char in enumerate(text):
        if char == '"':
            out.append('\\"')
        elif char == "\\" and (index == last or text[index + 1] in '"\\'):
            out.append("\\\\")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float | Decimal):
        return f"the number {value}"
    return f"a {type(value).__name__}"
