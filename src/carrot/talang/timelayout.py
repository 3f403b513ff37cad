"""Joda-style time layouts (`YYYY-MM-dd HH:mm`), as `parseTime` and `matchTime` take them.

Supported letters: y/Y year, M month (M, MM, MMM, MMMM), d day of month, D day of year,
H hour 0-23, h hour 1-12, a AM/PM, m minute, s second, S fraction of a second,
E weekday name (EEE, EEEE), e weekday number (1 = Monday), Z offset (Z: +0100, ZZ: +01:00).
Text in single quotes is literal (`''` is a quote); other punctuation is literal. Any
other letter is an error, so a mistyped layout fails instead of silently matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SUPPORTED = "yYMdDHhamsSEeZ"


class LayoutError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class _Token:
    letter: str  # "" for literal text
    count: int
    text: str = ""


def tokenize(layout: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(layout):
        char = layout[index]
        if char == "'":
            end = index + 1
            literal = []
            while end < len(layout):
                if layout[end] == "'":
                    if end + 1 < len(layout) and layout[end + 1] == "'":
                        literal.append("'")
                        end += 2
                        continue
                    break
                literal.append(layout[end])
                end += 1
            if end >= len(layout):
                raise LayoutError(f"the quote in layout {layout!r} is never closed")
            tokens.append(_Token("", 0, "".join(literal) or "'"))
            index = end + 1
        elif char.isascii() and char.isalpha():
            if char not in SUPPORTED:
                raise LayoutError(f"the layout letter `{char}` in {layout!r} is not supported")
            end = index
            while end < len(layout) and layout[end] == char:
                end += 1
            tokens.append(_Token(char, end - index))
            index = end
        else:
            tokens.append(_Token("", 0, char))
            index += 1
    return tokens


def format_time(value: datetime, layout: str) -> str:
    return "".join(_format_token(value, token) for token in tokenize(layout))


def _format_token(value: datetime, token: _Token) -> str:
    letter, count = token.letter, token.count
    if not letter:
        return token.text
    if letter in "yY":
        return f"{value.year % 100:02d}" if count == 2 else f"{value.year:0{count}d}"
    if letter == "M":
        if count >= 4:
            return MONTHS[value.month - 1]
        if count == 3:
            return MONTHS[value.month - 1][:3]
        return f"{value.month:0{count}d}"
    if letter == "d":
        return f"{value.day:0{count}d}"
    if letter == "D":
        return f"{value.timetuple().tm_yday:0{count}d}"
    if letter == "H":
        return f"{value.hour:0{count}d}"
    if letter == "h":
        return f"{(value.hour % 12) or 12:0{count}d}"
    if letter == "a":
        return "AM" if value.hour < 12 else "PM"
    if letter == "m":
        return f"{value.minute:0{count}d}"
    if letter == "s":
        return f"{value.second:0{count}d}"
    if letter == "S":
        return f"{value.microsecond:06d}"[:count].ljust(count, "0")
    if letter == "E":
        name = WEEKDAYS[value.weekday()]
        return name if count >= 4 else name[:3]
    if letter == "e":
        return str(value.weekday() + 1)
    return _format_offset(value, colon=count >= 2)


def _format_offset(value: datetime, colon: bool) -> str:
    offset = value.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = int(abs(offset).total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{sign}{hours:02d}{':' if colon else ''}{minutes:02d}"


_PATTERNS = {
    "y": r"(?P<year>\d{4,})",
    "y2": r"(?P<year2>\d{2})",
    "M": r"(?P<month>\d{1,2})",
    "MMM": r"(?P<monthname>[A-Za-z]{3,9})",
    "d": r"(?P<day>\d{1,2})",
    "D": r"(?P<yday>\d{1,3})",
    "H": r"(?P<hour>\d{1,2})",
    "h": r"(?P<hour12>\d{1,2})",
    "a": r"(?P<ampm>[AaPp][Mm])",
    "m": r"(?P<minute>\d{1,2})",
    "s": r"(?P<second>\d{1,2})",
    "S": r"(?P<fraction>\d+)",
    "E": r"(?P<weekday>[A-Za-z]{3,9})",
    "e": r"(?P<weekdaynum>[1-7])",
    "Z": r"(?P<offset>Z|[+-]\d{2}:?\d{2})",
}


def parse_time(text: str, layout: str) -> datetime:
    """Read `text` with a layout. Missing date parts are 0001-01-01, missing zone is UTC."""
    pattern = []
    seen: set[str] = set()
    for token in tokenize(layout):
        if not token.letter:
            pattern.append(re.escape(token.text))
            continue
        key = _pattern_key(token)
        group = re.search(r"\?P<(\w+)>", _PATTERNS[key])
        if group is not None and group.group(1) in seen:
            raise LayoutError(f"the layout {layout!r} names the same field twice")
        if group is not None:
            seen.add(group.group(1))
        pattern.append(_PATTERNS[key])
    match = re.fullmatch("".join(pattern), text)
    if match is None:
        raise LayoutError(f"{text!r} does not match the layout {layout!r}")
    return _assemble(match.groupdict())


def _pattern_key(token: _Token) -> str:
    if token.letter in "yY":
        return "y2" if token.count == 2 else "y"
    if token.letter == "M" and token.count >= 3:
        return "MMM"
    return token.letter


def _assemble(fields: dict[str, str | None]) -> datetime:
    def number(name: str, default: int) -> int:
        text = fields.get(name)
        return int(text) if text else default

    year = 2000 + number("year2", 0) if fields.get("year2") else number("year", 1)
    month = (
        _month_number(fields["monthname"] or "") if fields.get("monthname") else number("month", 1)
    )
    hour = number("hour", 0)
    if fields.get("hour12"):
        hour = number("hour12", 0) % 12
        if (fields.get("ampm") or "").upper() == "PM":
            hour += 12
    fraction = (fields.get("fraction") or "").ljust(6, "0")[:6]
    zone = _zone(fields.get("offset"))
    try:
        day_of_month = number("day", 1)
        if fields.get("yday"):
            day = date(year, 1, 1) + timedelta(days=number("yday", 1) - 1)
            month, day_of_month = day.month, day.day
        return datetime(
            year,
            month,
            day_of_month,
            hour,
            number("minute", 0),
            number("second", 0),
            int(fraction),
            tzinfo=zone,
        )
    except (ValueError, OverflowError) as error:
        raise LayoutError(f"not a valid time: {error}") from None


def _month_number(name: str) -> int:
    for index, month in enumerate(MONTHS, 1):
        if name.lower() in (month.lower(), month[:3].lower()):
            return index
    raise LayoutError(f"{name!r} is not a month")


def _zone(offset: str | None) -> timezone:
    if not offset or offset == "Z":
        return UTC
    digits = offset.replace(":", "")
    sign = -1 if digits[0] == "-" else 1
    hours, minutes = int(digits[1:3]), int(digits[3:5])
    if hours > 23 or minutes > 59:
        raise LayoutError(f"{offset!r} is not a UTC offset")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
