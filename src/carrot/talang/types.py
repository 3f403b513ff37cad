"""Talang's value kinds and their Python representation.

Kinds are bit flags so that a slot can accept several (`Decimal|Time`). At run time a
value is a plain Python object: Decimal, str, bool, aware datetime, None, list or dict.
The host may give a list of Strings as a `TextList`, which reads as the plain list.
Values read from the host's scope are normalised lazily, where they are read (`to_value`),
so a large scope costs nothing until a rule looks at it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any

from carrot.talang.errors import FunctionError

DECIMAL = 1
STRING = 2
BOOLEAN = 4
TIME = 8
NULL = 16
LIST = 32
MAP = 64
ATOM = DECIMAL | STRING | BOOLEAN | TIME | NULL
COLLECTION = LIST | MAP
ANY = ATOM | COLLECTION

KIND_ORDER = (
    ("Decimal", DECIMAL),
    ("String", STRING),
    ("Boolean", BOOLEAN),
    ("Time", TIME),
    ("Null", NULL),
    ("List", LIST),
    ("Map", MAP),
)
KIND_BY_NAME = {
    **{name.lower(): kind for name, kind in KIND_ORDER},
    "bool": BOOLEAN,
    "atom": ATOM,
    "collection": COLLECTION,
    "any": ANY,
}

# Talang's reference decimal: 16 significant digits, half-even (talang.md §2.2).
DECIMAL_CONTEXT = Context(
    prec=16,
    rounding=ROUND_HALF_EVEN,
    Emin=-999_999,
    Emax=999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

# Growth guards: no single value may exceed these, so every operation is bounded.
MAX_STRING_LENGTH = 1_000_000
MAX_LIST_LENGTH = 100_000


def parse_kinds(text: str) -> int:
    """`"Decimal|Time"` -> DECIMAL | TIME. Raises ValueError on an unknown name."""
    kinds = 0
    for part in text.split("|"):
        name = part.strip().lower()
        if not name:
            raise ValueError(f"a kind is missing in {text!r}")
        if name not in KIND_BY_NAME:
            raise ValueError(f"unknown kind `{part.strip()}`")
        kinds |= KIND_BY_NAME[name]
    return kinds


def kinds_name(kinds: int) -> str:
    """DECIMAL | TIME -> "Decimal|Time"; the names used in signatures."""
    if kinds == ANY:
        return "Any"
    if kinds == ATOM:
        return "Atom"
    if kinds == COLLECTION:
        return "Collection"
    parts = [name for name, kind in KIND_ORDER if kinds & kind]
    if kinds & ATOM == ATOM:
        parts = ["Atom", *(name for name, kind in KIND_ORDER if kinds & kind & ~ATOM)]
    return "|".join(parts) if parts else "Nothing"


def kinds_phrase(kinds: int) -> str:
    """DECIMAL | TIME -> "a Decimal or a Time"; for error messages."""
    if kinds == ANY:
        return "a value"
    if kinds & ATOM == ATOM:
        head = ["a single value (not a List or Map)"]
        rest = [f"a {name}" for name, kind in KIND_ORDER if kinds & kind & ~ATOM]
        return " or ".join(head + rest)
    names = [f"a {name}" for name, kind in KIND_ORDER if kinds & kind]
    if len(names) <= 2:
        return " or ".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


class TextList(tuple[str, ...]):
    """An immutable list of Strings that the host declares once, when it builds the scope.

    Talang treats it exactly as the plain list of the same Strings (``list(text_list)``):
    every function, path read, comparison and result is the same, and results are plain
    lists. The difference is speed: ``=`` compares a String with other kinds by their text
    (``"10"`` equals the Decimal 10), so a membership test such as
    ``(exists (. Session CouponCodes) c (= (. c) "SUMMER10"))`` can only use Python's
    C-level ``in`` over items known to be exactly ``str``. A TextList is known to hold
    nothing else: its constructor refuses any other element (a str subclass or enum member
    too, since its text may differ; TypeError) and more than `MAX_LIST_LENGTH` items
    (ValueError), and being a tuple it cannot change afterwards.

        scope = {"Session": {"CouponCodes": TextList(codes)}}
    """

    __slots__ = ()

    def __new__(cls, items: Iterable[str] = ()) -> TextList:
        made = super().__new__(cls, items)
        if len(made) > MAX_LIST_LENGTH:
            raise ValueError(
                f"a TextList holds at most {MAX_LIST_LENGTH} items, Talang's limit for a list; "
                f"got {len(made)}"
            )
        for position, item in enumerate(made):
            if type(item) is not str:
                raise TypeError(
                    f"a TextList holds only str values; item {position} is a {type(item).__name__}"
                )
        return made

    def __repr__(self) -> str:
        return f"TextList({list(self)!r})"


_KIND_OF_TYPE: dict[type, int] = {
    Decimal: DECIMAL,
    str: STRING,
    bool: BOOLEAN,
    datetime: TIME,
    type(None): NULL,
    list: LIST,
    TextList: LIST,
    dict: MAP,
}


def kind_of(value: Any) -> int:
    """The kind of a value (normalised or raw from the scope)."""
    kind = _KIND_OF_TYPE.get(type(value))
    if kind is not None:
        return kind
    return _KIND_OF_TYPE[type(to_value(value))]


def to_value(value: Any) -> Any:
    """Normalise one value read from the scope; containers keep their elements as given."""
    kind = type(value)
    if kind is str or kind is bool or kind is list or kind is dict:
        return value
    if kind is Decimal and value.is_finite():
        return value
    if value is None:
        return None
    return _to_value_slow(value)


def _to_value_slow(value: Any) -> Any:
    if type(value) is TextList:
        return list(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise FunctionError(f"the number {value} is not finite; Talang numbers are exact")
        return Decimal(str(value))
    if isinstance(value, Decimal):
        return check_decimal(Decimal(value))
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise FunctionError(
                f"the time {value.isoformat()} has no timezone; carrot needs timezone-aware times"
            )
        if type(value) is not datetime:
            return datetime(
                *value.timetuple()[:6], value.microsecond, value.tzinfo, fold=value.fold
            )
        return value
    if isinstance(value, Mapping):
        return {str(key): item for key, item in value.items()}
    if isinstance(value, list | tuple):
        return list(value)
    raise FunctionError(f"a {type(value).__name__} value cannot be used in Talang")


def to_plain(value: Any) -> Any:
    """A deep, normalised copy of a value: what the Python API hands back."""
    value = to_value(value)
    if type(value) is list:
        return [to_plain(item) for item in value]
    if type(value) is dict:
        return {key: to_plain(item) for key, item in value.items()}
    return value


def check_decimal(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise FunctionError(f"the number {value} is not finite; Talang numbers are exact")
    return value


# ---- text of values ------------------------------------------------------------------


def decimal_text(value: Decimal) -> str:
    """Plain notation, never an exponent: 1E+1 -> "10", -0 -> "0"."""
    if value.is_zero():
        value = value.copy_abs()
    return format(value, "f")


def time_text(value: datetime) -> str:
    """RFC 3339: `Z` for UTC, fractional seconds only when present."""
    text = value.replace(tzinfo=None).isoformat()
    if "." in text:
        text = text.rstrip("0")
    offset = value.utcoffset()
    if offset is None or offset == timedelta(0):
        return text + "Z"
    sign = "-" if offset < timedelta(0) else "+"
    seconds = int(abs(offset).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    suffix = f"{sign}{hours:02d}:{minutes:02d}"
    return text + (suffix + f":{secs:02d}" if secs else suffix)


def value_text(value: Any) -> str:
    """The text Talang compares with `=` and prints with `toString` (talang.md §2.3)."""
    value = to_value(value)
    kind = type(value)
    if kind is str:
        return str(value)
    if kind is Decimal:
        return decimal_text(value)
    if kind is bool:
        return "true" if value else "false"
    if value is None:
        return ""
    if kind is datetime:
        return time_text(value)
    raise FunctionError(f"{describe_value(value)} has no text; only single values do")


def show_value(value: Any, limit: int = 60) -> str:
    """A short rendering of a value for messages: strings quoted, lists abbreviated."""
    value = to_value(value)
    kind = type(value)
    if kind is str:
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= limit else text[: limit - 2] + '…"'
    if kind is list:
        items = [show_value(item, 20) for item in value[:5]]
        more = ", …" if len(value) > 5 else ""
        return "[" + ", ".join(items) + more + "]"
    if kind is dict:
        keys = [json.dumps(key, ensure_ascii=False) for key in list(value)[:5]]
        more = ", …" if len(value) > 5 else ""
        return "{" + ", ".join(f"{key}: …" for key in keys) + more + "}"
    if value is None:
        return "null"
    return value_text(value)


def describe_value(value: Any) -> str:
    """`the String "abc"`, `the Decimal 4`, `a List`, `Null`: the subject of a type error."""
    value = to_value(value)
    kind = type(value)
    if kind is list:
        return f"a List of {len(value)} item{'s' if len(value) != 1 else ''}"
    if kind is dict:
        return "a Map"
    if value is None:
        return "Null"
    return f"the {kinds_name(kind_of(value))} {show_value(value)}"


# ---- time literals -------------------------------------------------------------------

RFC3339_SHAPE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.ASCII
)


def parse_rfc3339(text: str) -> datetime | None:
    """A strict RFC 3339 timestamp, as Go's time.RFC3339 reads it, or None."""
    if not RFC3339_SHAPE.fullmatch(text):
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def check_list_length(length: int) -> None:
    if length > MAX_LIST_LENGTH:
        raise FunctionError(f"the list would have {length} items; the limit is {MAX_LIST_LENGTH}")


def check_string_length(length: int) -> None:
    if length > MAX_STRING_LENGTH:
        raise FunctionError(
            f"the string would be {length} characters long; the limit is {MAX_STRING_LENGTH}"
        )


def to_json(value: Any) -> str:
    """JSON with exact numbers: Decimals are written as JSON numbers, times as strings."""
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, Decimal):
        return decimal_text(check_decimal(value))
    if isinstance(value, int | float):
        return decimal_text(check_decimal(Decimal(str(value))))
    if isinstance(value, datetime):
        return json.dumps(time_text(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(to_json(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = (
            f"{json.dumps(str(k), ensure_ascii=False)}: {to_json(v)}" for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    raise ValueError(f"cannot write a {type(value).__name__} as JSON")
