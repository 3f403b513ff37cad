"""Time: parsing, calendar parts in the time's own offset, exact day counts, durations."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.talang.helpers import D, error_of, run, utc


def test_calendar_parts_are_read_in_the_times_offset() -> None:
    assert run("(hour 2024-03-10T23:30:00-05:00)") == "23"
    assert run("(date 2024-03-10T23:30:00-05:00)") == "2024-03-10"
    assert run("(weekday 2024-03-10T23:30:00-05:00)") == "0"


def test_calendar_parts_of_a_scope_time_in_a_named_zone() -> None:
    berlin = utc(2024, 7, 1, 22, 30).astimezone(ZoneInfo("Europe/Berlin"))
    scope = {"T": berlin}
    assert run("(date (. T))", scope) == "2024-07-02"
    assert run("(hour (. T))", scope) == "0"
    assert run("(month (. T))", scope) == "7"
    assert run("(year (. T))", scope) == "2024"
    assert run("(monthDay (. T))", scope) == "2"
    assert run("(minute (. T))", scope) == "30"


def test_durations_are_fixed_lengths_and_keep_the_zone() -> None:
    before_dst = utc(2024, 3, 30, 12).astimezone(ZoneInfo("Europe/Berlin"))
    result = run("(addDuration (. T) 1 days)", {"T": before_dst})
    assert result.astimezone(UTC) - before_dst.astimezone(UTC) == timedelta(days=1)
    assert result.hour == 14  # 24 hours later, across the switch to summer time
    assert run("(subDuration 2024-01-01T00:00:00Z 90 minutes)") == utc(2023, 12, 31, 22, 30)


def test_fractional_durations_are_cut_off() -> None:
    assert run("(addDuration 2024-01-01T00:00:00Z 2.9 hours)") == utc(2024, 1, 1, 2)
    assert run("(addDuration 2024-01-01T00:00:00Z -1.5 days)") == utc(2023, 12, 31)


def test_days_counts_from_the_given_now() -> None:
    now = utc(2024, 1, 1)
    assert run("(days 2024-01-02T06:00:00Z)", now=now) == D("1.25")
    assert run("(days 2023-12-31T00:00:00Z)", now=now) == D(-1)


def test_days_between_is_exact() -> None:
    assert run("(daysBetween 2024-01-01T00:00:00Z 2024-01-01T08:00:00Z)") == D("0.3333333333333333")
    assert run("(daysBetween 2024-01-02T00:00:00Z 2024-01-01T00:00:00Z)") == D(-1)


def test_parse_time_forms() -> None:
    assert run('(parseTime "2024-01-31 10:00:00+02:00")') == utc(2024, 1, 31, 8)
    assert run('(parseTime "Wed, 31 Jan 2024 10:00:00 GMT")') == utc(2024, 1, 31, 10)
    assert run('(parseTime "31/01/2024 10:05" "dd/MM/yyyy HH:mm")') == utc(2024, 1, 31, 10, 5)
    assert run('(parseTime "Jan 31 2024 10PM +0100" "MMM dd yyyy hha Z")') == utc(2024, 1, 31, 21)
    assert run('(parseTime "2024-032" "yyyy-DDD")') == utc(2024, 2, 1)
    result = run('(parseTime "12:00 +05:30" "HH:mm ZZ")')
    assert result.utcoffset() == timedelta(hours=5, minutes=30)
    assert result.tzinfo == timezone(timedelta(hours=5, minutes=30))


def test_parse_time_with_a_layout_rejects_a_mismatch() -> None:
    error = error_of('(parseTime "2024/01/31" (. L))', {"L": "yyyy-MM-dd"})
    assert error.message == "'2024/01/31' does not match the layout 'yyyy-MM-dd'"


def test_match_time_compares_the_formatted_parts() -> None:
    birthday = {"Birthday": utc(1990, 7, 14), "Now": utc(2024, 7, 14, 18)}
    assert run("(matchTime (. Birthday) (. Now) MM-dd)", birthday) is True
    assert run("(matchTime (. Birthday) (. Now) yyyy)", birthday) is False
    assert run('(matchTime 2024-07-14T10:00:00Z 2024-07-14T22:00:00Z "EEE d MMM a")') is False
    assert (
        run("(matchTime 2024-07-14T10:00:00Z 2024-07-14T11:00:00Z \"EEEE MMMM e 'day' hh\")")
        is False
    )


def test_format_time_of_fractional_seconds() -> None:
    assert run('(formatTime (parseTime "2024-01-01T00:00:00.250Z"))') == "2024-01-01T00:00:00.25Z"


def test_a_shift_past_the_calendar_is_an_error() -> None:
    error = error_of("(addDuration (. T) 2 days)", {"T": utc(9999, 12, 31)})
    assert (error.message, error.path) == ("the resulting time is out of range", "$")


@pytest.mark.parametrize(
    ("text", "layout", "message"),
    [
        ("2024 2024", "yyyy yyyy", "the layout 'yyyy yyyy' names the same field twice"),
        ("Foo 2024", "MMM yyyy", "'Foo' is not a month"),
        ("10:00 +2500", "HH:mm Z", "'+2500' is not a UTC offset"),
        ("10:00 x", "HH:mm 'x", 'the quote in layout "HH:mm \'x" is never closed'),
        ("2024-02-30", "yyyy-MM-dd", "not a valid time: day is out of range for month"),
    ],
)
def test_layout_errors(text: str, layout: str, message: str) -> None:
    error = error_of("(parseTime (. Text) (. Layout))", {"Text": text, "Layout": layout})
    assert (error.message, error.path) == (message, "$")


def test_layouts_with_literal_text_and_two_digit_years() -> None:
    assert run('(parseTime "24-01-31 at 10" "yy-MM-dd \'at\' HH")') == utc(2024, 1, 31, 10)
    assert run("(matchTime 2024-01-31T00:00:00Z 2024-01-31T00:00:00Z \"yy 'o''clock' S\")") is True
