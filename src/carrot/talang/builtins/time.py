"""Time: `parseTime formatTime after before date year month monthDay weekday hour minute
days daysBetween addDuration subDuration matchTime`.

Times keep their UTC offset and calendar parts are read in it; the engine converts times to
the application's timezone before a rule asks for calendar parts. Calendar parts are
Strings without padding, as in the reference (`"4"`, not `"04"`); weekday 0 is Sunday.
Day counts are exact decimals, not the reference's binary floats.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime

from carrot.talang.errors import FunctionError
from carrot.talang.registry import STYLE_FRAME, Example, FunctionDef, overload
from carrot.talang.runtime import Frame, run_of
from carrot.talang.timelayout import LayoutError, format_time, parse_time
from carrot.talang.types import DECIMAL_CONTEXT, time_text

FAMILY = "time"
MICROSECONDS_PER_DAY = Decimal(86_400_000_000)
DURATION_UNITS = ("days", "hours", "minutes")


def parse(text: str) -> datetime:
    """ISO 8601 / RFC 3339 (a missing offset means UTC), or RFC 1123 e-mail dates."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            raise FunctionError(
                f"{text!r} is not a time; write it like 2024-01-31T09:30:00Z"
            ) from None
    return parsed if parsed.utcoffset() is not None else parsed.replace(tzinfo=UTC)


def parse_with_layout(text: str, layout: str) -> datetime:
    try:
        return parse_time(text, layout)
    except LayoutError as error:
        raise FunctionError(str(error)) from None


def format_rfc3339(time: datetime) -> str:
    return time_text(time)


def after(time: datetime, other: datetime) -> bool:
    return time > other


def before(time: datetime, other: datetime) -> bool:
    return time < other


def calendar_date(time: datetime) -> str:
    return f"{time.year:04d}-{time.month:02d}-{time.day:02d}"


def year(time: datetime) -> str:
    return str(time.year)


def month(time: datetime) -> str:
    return str(time.month)


def month_day(time: datetime) -> str:
    return str(time.day)


def weekday(time: datetime) -> str:
    return str((time.weekday() + 1) % 7)


def hour(time: datetime) -> str:
    return str(time.hour)


def minute(time: datetime) -> str:
    return str(time.minute)


def days_in(delta: timedelta) -> Decimal:
    microseconds = delta // timedelta(microseconds=1)
    return DECIMAL_CONTEXT.divide(Decimal(microseconds), MICROSECONDS_PER_DAY)


def days_from_now(frame: Frame, time: datetime) -> Decimal:
    return days_in(time - run_of(frame).current_time())


def days_between(start: datetime, end: datetime) -> Decimal:
    return days_in(end - start)


def _duration(amount: Decimal, unit: str) -> timedelta:
    if unit not in DURATION_UNITS:
        raise FunctionError(
            f"{unit!r} is not a duration unit; use days, hours or minutes", argument=3
        )
    try:
        return timedelta(**{unit: int(amount)})
    except OverflowError:
        raise FunctionError(f"{amount} {unit} is too long a duration", argument=2) from None


def _shift(time: datetime, delta: timedelta) -> datetime:
    """Fixed 24-hour days, whatever the timezone's daylight saving does."""
    try:
        return (time.astimezone(UTC) + delta).astimezone(time.tzinfo)
    except OverflowError:
        raise FunctionError("the resulting time is out of range") from None


def add_duration(time: datetime, amount: Decimal, unit: str) -> datetime:
    return _shift(time, _duration(amount, unit))


def sub_duration(time: datetime, amount: Decimal, unit: str) -> datetime:
    return _shift(time, -_duration(amount, unit))


def match_time(time: datetime, other: datetime, layout: str) -> bool:
    try:
        return format_time(time, layout) == format_time(other, layout)
    except LayoutError as error:
        raise FunctionError(str(error), argument=3) from None


def _part(
    name: str, impl: Callable[[datetime], str], doc: str, examples: tuple[Example, ...]
) -> FunctionDef:
    return FunctionDef(
        name=name,
        overloads=(overload("(time: Time) -> String", impl),),
        doc=doc,
        family=FAMILY,
        examples=examples,
    )


FUNCTIONS = (
    FunctionDef(
        name="parseTime",
        overloads=(
            overload("(text: String) -> Time", parse),
            overload("(text: String, layout: String) -> Time", parse_with_layout),
        ),
        doc="Reads a time. With one argument: ISO 8601 / RFC 3339 (no offset means UTC) or an "
        "RFC 1123 date. With a Joda-style layout (`yyyy-MM-dd HH:mm`): missing date parts "
        "are 0001-01-01, a missing offset is UTC. In the text form a bare RFC 3339 time such "
        'as `2024-01-31T09:30:00Z` stands for `(parseTime "2024-01-31T09:30:00Z")`.',
        family=FAMILY,
        examples=(
            Example(
                '(parseTime "2018-01-02T19:04:05Z")',
                datetime(2018, 1, 2, 19, 4, 5, tzinfo=UTC),
            ),
            Example('(parseTime "2018-01-02")', datetime(2018, 1, 2, tzinfo=UTC)),
            Example(
                '(parseTime "20:04:05" "HH:mm:ss")',
                datetime(1, 1, 1, 20, 4, 5, tzinfo=UTC),
            ),
            Example('(parseTime "-42")', error="is not a time"),
        ),
    ),
    FunctionDef(
        name="formatTime",
        overloads=(overload("(time: Time) -> String", format_rfc3339),),
        doc="The time in RFC 3339, `Z` for UTC.",
        family=FAMILY,
        examples=(Example("(formatTime 2018-03-11T19:04:05Z)", "2018-03-11T19:04:05Z"),),
    ),
    FunctionDef(
        name="after",
        overloads=(overload("(time: Time, other: Time) -> Boolean", after),),
        doc="True when the first time is strictly after the second.",
        family=FAMILY,
        examples=(
            Example("(after 2006-01-02T19:04:05Z 2006-01-02T15:04:05Z)", True),
            Example("(after 2006-01-01T19:04:05Z 2006-01-02T15:04:05Z)", False),
        ),
    ),
    FunctionDef(
        name="before",
        overloads=(overload("(time: Time, other: Time) -> Boolean", before),),
        doc="True when the first time is strictly before the second.",
        family=FAMILY,
        examples=(
            Example("(before 2006-01-02T19:04:05Z 2006-01-02T15:04:05Z)", False),
            Example("(before 2006-01-01T19:04:05Z 2006-01-02T15:04:05Z)", True),
        ),
    ),
    _part(
        "date",
        calendar_date,
        "The date as YYYY-MM-DD.",
        (Example("(date 2018-01-02T19:04:05Z)", "2018-01-02"),),
    ),
    _part("year", year, "The year.", (Example("(year 2018-01-02T19:04:05Z)", "2018"),)),
    _part("month", month, "The month, 1 to 12.", (Example("(month 2018-01-02T19:04:05Z)", "1"),)),
    _part(
        "monthDay",
        month_day,
        "The day of the month, 1 to 31.",
        (Example("(monthDay 2018-01-14T19:04:05Z)", "14"),),
    ),
    _part(
        "weekday",
        weekday,
        "The day of the week, 0 (Sunday) to 6 (Saturday).",
        (
            Example("(weekday 2018-03-11T19:04:05Z)", "0"),
            Example("(weekDay 2018-01-15T19:04:05Z)", "1"),
        ),
    ),
    _part(
        "hour",
        hour,
        "The hour, 0 to 23, without padding.",
        (
            Example("(hour 2018-03-11T04:04:05Z)", "4"),
            Example("(hour 2018-01-14T19:04:05+02:00)", "19"),
        ),
    ),
    _part(
        "minute",
        minute,
        "The minute, 0 to 59, without padding.",
        (Example("(minute 2018-01-14T19:04:05Z)", "4"),),
    ),
    FunctionDef(
        name="days",
        overloads=(overload("(time: Time) -> Decimal", days_from_now, style=STYLE_FRAME),),
        doc='Days from now until the time (negative when it is past), exactly. "Now" is the '
        "time the host passes to the evaluation.",
        family=FAMILY,
        pure=False,
        needs_run=True,
        examples=(
            Example(
                "(days 2024-01-11T12:00:00Z)",
                Decimal("10.5"),
                now=datetime(2024, 1, 1, tzinfo=UTC),
            ),
        ),
    ),
    FunctionDef(
        name="daysBetween",
        overloads=(overload("(start: Time, end: Time) -> Decimal", days_between),),
        doc="Days from the first time to the second, exactly; positive when the second is later.",
        family=FAMILY,
        examples=(
            Example(
                "(daysBetween 2006-01-02T19:04:05Z 2006-01-02T22:19:05Z)",
                Decimal("0.1354166666666667"),
            ),
            Example("(daysBetween 2024-01-01T00:00:00Z 2024-03-01T00:00:00Z)", Decimal(60)),
        ),
    ),
    FunctionDef(
        name="addDuration",
        overloads=(overload("(time: Time, amount: Decimal, unit: String) -> Time", add_duration),),
        doc="The time plus a whole number of days, hours or minutes (a fraction is cut off). "
        "A day is 24 hours.",
        family=FAMILY,
        examples=(
            Example(
                '(addDuration 2018-03-14T02:04:05Z 5 "days")',
                datetime(2018, 3, 19, 2, 4, 5, tzinfo=UTC),
            ),
            Example(
                "(addDuration 2018-03-18T00:04:05Z 3 minutes)",
                datetime(2018, 3, 18, 0, 7, 5, tzinfo=UTC),
            ),
        ),
    ),
    FunctionDef(
        name="subDuration",
        overloads=(overload("(time: Time, amount: Decimal, unit: String) -> Time", sub_duration),),
        doc="The time minus a whole number of days, hours or minutes.",
        family=FAMILY,
        examples=(
            Example(
                "(subDuration 2018-03-18T00:04:05Z 22 days)",
                datetime(2018, 2, 24, 0, 4, 5, tzinfo=UTC),
            ),
            Example('(subDuration 2018-03-14T02:04:05Z 5 "eons")', error="is not a duration unit"),
        ),
    ),
    FunctionDef(
        name="matchTime",
        overloads=(overload("(time: Time, other: Time, layout: String) -> Boolean", match_time),),
        doc="True when both times print the same with a Joda-style layout, e.g. `MM-dd` "
        "for the same day of the year.",
        family=FAMILY,
        examples=(
            Example("(matchTime 2018-03-11T00:04:05Z 2018-03-11T20:00:00Z yyyy-MM-dd)", True),
            Example("(matchTime 1990-03-11T00:04:05Z 2018-03-11T20:00:00Z MM-dd)", True),
            Example("(matchTime 2018-03-11T00:04:05Z 2018-03-12T00:04:05Z yyyy-MM-dd)", False),
        ),
    ),
)
