"""What coupon and referral codes share: the one generator of random codes from a pattern
(and the loop that stores only codes not taken yet), the application's case rule, the
campaign feature codes need, reading the CSV files codes are imported from and writing the
ones they are exported to."""

from __future__ import annotations

import csv
import io
import json
import math
import secrets
import string
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from carrot.domain.coupon import MAX_DISCOUNT_LIMIT, MAX_USAGE_LIMIT
from carrot.domain.errors import BadRequest, NotFound, Problem
from carrot.service.attributes import (
    attribute_problems,
    invalid,
    parse_rfc3339,
    unstorable_text,
)
from carrot.store.campaigns import campaign_row
from carrot.store.coupons import insert_new
from carrot.store.db import Database

PLACEHOLDER = "#"
DEFAULT_CHARACTERS = tuple(string.ascii_uppercase + string.digits)
DEFAULT_PATTERN = PLACEHOLDER * 8
# Talon.One's SDKs refuse codes shorter than 4 characters; sessions send codes of at most 100.
MIN_CODE_LENGTH = 4
MAX_CODE_LENGTH = 100
MAX_INTEGRATION_ID = 1000
# Candidates drawn at once when many codes are taken already.
MAX_DRAW = 200_000
# Draws in a row that found no free code before a pattern counts as full.
BARREN_DRAWS = 3
# An import stops listing problems after this many.
MAX_PROBLEMS = 100
IMPORT_BATCH = 5_000

Progress = Callable[[int], None]
"""Told how many more items are done, as long work goes on."""


# --- case and search -------------------------------------------------------------------


def in_application_case(code: str, case_sensitivity: str) -> str:
    """The code as the application keeps and looks up codes (its `caseSensitivity`)."""
    if case_sensitivity == "insensitive-uppercase":
        return code.upper()
    if case_sensitivity == "insensitive-lowercase":
        return code.lower()
    return code


def new_batch_id() -> str:
    """Eight random lower-case letters, like Talon.One's batch ids."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))


def campaign_with_feature(
    conn: Connection, application_id: int, campaign_id: int, feature: str, pointer: str | None
) -> Row[Any]:
    """The campaign, which must have the feature ("coupons", "referrals") to hold codes.
    With a pointer (the campaign was named in the body) an unknown campaign is a 400 there,
    else a 404."""
    row = campaign_row(conn, application_id, campaign_id)
    if row is None:
        details = f"Campaign {campaign_id} not found in application {application_id}."
        if pointer is None:
            raise NotFound(details)
        raise invalid([_invalid(details, pointer)])
    if feature not in row.features:
        details = (
            f"Campaign {campaign_id} ('{row.name}') does not have the {feature} feature; "
            f'add "{feature}" to its features first.'
        )
        raise BadRequest(details, [_invalid(details, pointer)])
    return row


def require_campaign(conn: Connection, application_id: int, campaign_id: int) -> None:
    """404 unless the application has the campaign (of any features: reading its codes)."""
    if campaign_row(conn, application_id, campaign_id) is None:
        raise NotFound(f"Campaign {campaign_id} not found in application {application_id}.")


# --- generating ------------------------------------------------------------------------


@dataclass(frozen=True)
class CodePattern:
    """Each `#` of the pattern becomes one random character of `characters`; everything
    else is kept as written (a prefix, separators, a suffix)."""

    pattern: str = DEFAULT_PATTERN
    characters: tuple[str, ...] = DEFAULT_CHARACTERS

    def in_case(self, case_sensitivity: str) -> CodePattern:
        """The pattern and characters in the application's case, repeated characters once."""
        characters = (in_application_case(c, case_sensitivity) for c in self.characters)
        return CodePattern(
            pattern=in_application_case(self.pattern, case_sensitivity),
            characters=tuple(dict.fromkeys(characters)),
        )

    @property
    def capacity(self) -> int:
        """How many distinct codes the pattern can make."""
        return int(len(set(self.characters)) ** self.pattern.count(PLACEHOLDER))

    def problems(
        self, count: int, pattern_pointer: str | None, characters_pointer: str | None
    ) -> list[Problem]:
        """Why the pattern cannot make `count` distinct codes carrot can keep."""
        problems = []
        for index, character in enumerate(self.characters):
            if len(character) != 1:
                problems.append(
                    _invalid(
                        f"Each valid character must be a single character; '{character}' is not.",
                        _item(characters_pointer, index),
                    )
                )
        length = len(self.pattern)
        if not MIN_CODE_LENGTH <= length <= MAX_CODE_LENGTH:
            problems.append(
                _invalid(
                    f"The codes would be {length} characters long; codes have "
                    f"{MIN_CODE_LENGTH} to {MAX_CODE_LENGTH} characters.",
                    pattern_pointer,
                )
            )
        if not problems and self.capacity < count:
            problems.append(
                _invalid(
                    f"The pattern '{self.pattern}' with {len(self.characters)} valid "
                    f"characters can make only {self.capacity} distinct codes, not {count}.",
                    pattern_pointer,
                )
            )
        return problems

    def random_codes(self, count: int) -> list[str]:
        """`count` codes drawn independently (so they may repeat), from a cryptographic
        source: codes must not be guessable from others."""
        holes = self.pattern.count(PLACEHOLDER)
        drawn = _random_characters(self.characters, count * holes)
        if self.pattern == PLACEHOLDER * holes:
            return [drawn[start : start + holes] for start in range(0, len(drawn), holes)]
        template = "{}".join(
            part.replace("{", "{{").replace("}", "}}") for part in self.pattern.split(PLACEHOLDER)
        )
        if holes == 0:
            return [template.format()] * count
        return [
            template.format(*drawn[start : start + holes]) for start in range(0, len(drawn), holes)
        ]


def _random_characters(characters: tuple[str, ...], count: int) -> str:
    """`count` characters, each uniformly one of `characters`. Random bytes are drawn in
    bulk; those at or above the largest multiple of the alphabet size are dropped, so no
    character is likelier than another."""
    size = len(characters)
    if size > 256:
        return "".join(characters[secrets.randbelow(size)] for _ in range(count))
    usable = 256 - 256 % size
    to_index = bytes(byte % size if byte < usable else 0 for byte in range(256))
    unusable = bytes(range(usable, 256))
    indices = bytearray()
    while len(indices) < count:
        wanted = count - len(indices)
        indices += secrets.token_bytes(wanted * 256 // usable + 16).translate(to_index, unusable)
    mapping = dict(enumerate(characters))
    return indices[:count].decode("latin-1").translate(mapping)


@dataclass(frozen=True)
class CodeRequest:
    """How a request wants its codes made: a pattern, valid characters and (Talon.One's
    deprecated uniquePrefix) a prefix, each left out (None) to take the campaign's code
    settings or the default; and where in the body they were given, to point at them."""

    pattern_text: str | None = None
    characters: tuple[str, ...] | None = None
    unique_prefix: str = ""
    pattern_pointer: str = "/couponPattern"
    characters_pointer: str = "/validCharacters"

    def pattern(self, settings: dict[str, Any] | None, case_sensitivity: str) -> CodePattern:
        """The request's pattern and characters, else the campaign's (its couponSettings or
        referralSettings), else eight characters of A–Z and 0–9; the prefix before it; all
        in the application's case."""
        settings = settings or {}
        pattern = self.pattern_text or settings.get("couponPattern") or DEFAULT_PATTERN
        characters = self.characters or tuple(settings.get("validCharacters") or DEFAULT_CHARACTERS)
        return CodePattern(self.unique_prefix + pattern, characters).in_case(case_sensitivity)

    def pointers(self) -> tuple[str | None, str | None]:
        """Where the pattern's problems point: at the body's fields when it gave them (the
        prefix counts as part of the pattern), at nothing when they are the campaign's."""
        given_pattern = self.pattern_text is not None or bool(self.unique_prefix)
        return (
            self.pattern_pointer if given_pattern else None,
            self.characters_pointer if self.characters is not None else None,
        )


class PatternFull(Exception):
    """The pattern yields no new codes any more: nearly all it can make are taken."""

    def __init__(self, stored: int) -> None:
        super().__init__(f"pattern full after {stored} new codes")
        self.stored = stored


def store_new_codes(pattern: CodePattern, count: int, insert: Callable[[list[str]], int]) -> None:
    """Stores `count` new codes through `insert`, which keeps the distinct codes it is given
    that are not taken yet (the unique index decides) and answers how many it kept. Codes are
    drawn in bulk and collisions drawn again, drawing more at a time as collisions get more
    frequent. Raises PatternFull (with how many were stored) after BARREN_DRAWS draws in a
    row found no free code."""
    remaining = count
    success = 1.0
    barren = 0
    while remaining:
        draw = min(max(math.ceil(remaining / success), remaining), MAX_DRAW)
        candidates = list(dict.fromkeys(pattern.random_codes(draw)))
        tried = kept = 0
        while remaining and tried < len(candidates):
            batch = candidates[tried : tried + remaining]
            stored = insert(batch)
            tried += len(batch)
            kept += stored
            remaining -= stored
        success = max(kept / tried, 1 / MAX_DRAW)
        barren = 0 if kept else barren + 1
        if barren == BARREN_DRAWS:
            raise PatternFull(count - remaining)


# --- importing -------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvLine:
    """One record of an imported CSV file: its line number and its fields by column."""

    number: int
    fields: dict[str, str]

    def get(self, column: str) -> str:
        return self.fields.get(column, "").strip()


@dataclass
class LineProblems:
    """Problems of an imported file, each naming its line and column; at most MAX_PROBLEMS."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, line: int, column: str | None, details: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            where = f"Line {line}" if column is None else f"Line {line}, column {column}"
            self.problems.append(Problem(title="Invalid CSV line", details=f"{where}: {details}"))

    @property
    def full(self) -> bool:
        return len(self.problems) >= MAX_PROBLEMS

    def raise_any(self) -> None:
        if self.problems:
            raise invalid(self.problems)


def read_csv(data: bytes, columns: tuple[str, ...], required: tuple[str, ...]) -> list[CsvLine]:
    """The records of a CSV file whose header names some of `columns` (in any order and
    case) and all of `required`. Refuses what is not UTF-8, unknown or repeated columns, and
    records with more or fewer fields than the header."""
    text = _utf8(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    _check_header(header, columns, required)
    problems = LineProblems()
    lines = []
    first = reader.line_num + 1
    for record in _records(reader, problems):
        number, first = first, reader.line_num + 1
        if record == [] or record == [""]:
            continue
        if len(record) != len(header):
            problems.add(
                number, None, f"{len(record)} fields where the header names {len(header)}."
            )
        else:
            _check_storable(record, header, number, problems)
            lines.append(CsvLine(number, dict(zip(header, record, strict=True))))
        if problems.full:
            break
    problems.raise_any()
    return lines


def _records(reader: Any, problems: LineProblems) -> Iterator[list[str]]:
    try:
        yield from reader
    except csv.Error as error:
        problems.add(reader.line_num, None, f"The file is not valid CSV ({error}).")


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise invalid(
            [_invalid(f"The file is not UTF-8 text (byte {error.start} cannot be read).", None)]
        ) from None


def _check_header(header: list[str], columns: tuple[str, ...], required: tuple[str, ...]) -> None:
    problems = []
    if not any(header):
        problems.append(_line_one("The file is empty; its first line must name the columns."))
    for name in dict.fromkeys(header):
        if name not in columns:
            problems.append(
                _line_one(f"Unknown column '{name}'; the columns are {', '.join(columns)}.")
            )
        elif header.count(name) > 1:
            problems.append(_line_one(f"The column '{name}' is named more than once."))
    problems += [
        _line_one(f"The column '{name}' is missing.") for name in required if name not in header
    ]
    if problems:
        raise invalid(problems)


def _check_storable(
    record: list[str], header: list[str], line: int, problems: LineProblems
) -> None:
    for column, text in zip(header, record, strict=True):
        reason = unstorable_text(text)
        if reason is not None:
            problems.add(line, column, f"The text {reason}.")


def _line_one(details: str) -> Problem:
    return Problem(title="Invalid CSV line", details=f"Line 1: {details}")


@dataclass
class CodeFile:
    """Reads the lines of an imported code file as coupons and referrals alike, adding each
    problem with its line: the code (its length, the application's case, not repeated in
    the file), fields by their parsers, attributes checked against the entity's definitions
    (each distinct text once)."""

    conn: Connection
    account_id: int
    application_id: int
    entity: str
    case_sensitivity: str
    skip_duplicates: bool = False
    problems: LineProblems = field(default_factory=LineProblems)
    seen: dict[str, int] = field(default_factory=dict)
    checked: dict[str, tuple[dict[str, Any], list[Problem]]] = field(default_factory=dict)

    @property
    def problem_count(self) -> int:
        return len(self.problems.problems)

    def code(self, line: CsvLine, column: str) -> str | None:
        """The line's code in the application's case, or None: after adding its problem,
        or when it repeats an earlier line and repeats are skipped."""
        try:
            code = in_application_case(csv_code(line.get(column)), self.case_sensitivity)
        except ValueError as error:
            self.problems.add(line.number, column, str(error))
            return None
        if code in self.seen:
            if not self.skip_duplicates:
                self.problems.add(line.number, column, f"'{code}' repeats line {self.seen[code]}.")
            return None
        self.seen[code] = line.number
        return code

    def fields(
        self, line: CsvLine, parsers: tuple[tuple[str, str, Callable[[str], Any]], ...]
    ) -> dict[str, Any]:
        """(column, name, parser) → {name: parsed value} for the columns that parse."""
        parsed = {}
        for column, name, parse in parsers:
            try:
                parsed[name] = parse(line.get(column))
            except ValueError as error:
                self.problems.add(line.number, column, str(error))
        return parsed

    def attributes(self, line: CsvLine) -> dict[str, Any]:
        text = line.get("attributes")
        if text not in self.checked:
            self.checked[text] = self._check(text)
        attributes, problems = self.checked[text]
        for problem in problems:
            self.problems.add(line.number, "attributes", problem.details)
        return attributes

    def _check(self, text: str) -> tuple[dict[str, Any], list[Problem]]:
        try:
            document = csv_attributes(text)
        except ValueError as error:
            return {}, [_invalid(str(error), None)]
        return attribute_problems(
            self.conn, self.account_id, self.application_id, self.entity, document, "/attributes"
        )


def store_imported(
    conn: Connection,
    table: sa.Table,
    column: str,
    rows: list[tuple[int, dict[str, Any]]],
    *,
    skip_duplicates: bool,
    on_progress: Progress | None,
) -> int:
    """Stores the (line number, row) pairs of an import in batches; answers how many were
    stored. A code (`column`, named alike in the file and the table) that exists already
    in the application fails the import naming its line, unless `skip_duplicates`."""
    stored = 0
    for start in range(0, len(rows), IMPORT_BATCH):
        batch = rows[start : start + IMPORT_BATCH]
        inserted = insert_new(conn, table, f"{column}_lookup", [row for _, row in batch])
        if len(inserted) < len(batch) and not skip_duplicates:
            problems = LineProblems()
            for number, row in batch:
                if row[f"{column}_lookup"] not in inserted:
                    problems.add(number, column, f"The code '{row[column]}' exists already.")
            problems.raise_any()
        stored += len(inserted)
        if on_progress is not None:
            on_progress(len(batch))
    return stored


def csv_code(text: str) -> str:
    """A code of an imported file, or ValueError."""
    if not MIN_CODE_LENGTH <= len(text) <= MAX_CODE_LENGTH:
        raise ValueError(
            f"A code has {MIN_CODE_LENGTH} to {MAX_CODE_LENGTH} characters; "
            f"'{text[:MAX_CODE_LENGTH]}' has {len(text)}."
        )
    return text


def csv_time(text: str) -> datetime | None:
    """An RFC 3339 time, or None for an empty field."""
    if not text:
        return None
    try:
        return parse_rfc3339(text)
    except ValueError as error:
        raise ValueError(f"The time '{text[:40]}' {error}.") from None


def csv_usage_limit(text: str) -> int:
    """`limitval`: 0 (unlimited) to 999999; 1 when empty."""
    if not text:
        return 1
    if not text.isdigit() or int(text) > MAX_USAGE_LIMIT:
        raise ValueError(f"'{text[:40]}' is not a whole number from 0 to {MAX_USAGE_LIMIT}.")
    return int(text)


def csv_discount_limit(text: str) -> Decimal:
    """`discountlimit`: an amount from 0 (no limit) to 1e15; 0 when empty."""
    if not text:
        return Decimal(0)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or not 0 <= amount <= MAX_DISCOUNT_LIMIT:
        raise ValueError(f"'{text[:40]}' is not an amount from 0 to {MAX_DISCOUNT_LIMIT:.0f}.")
    return amount


def csv_attributes(text: str) -> dict[str, Any]:
    """`attributes`: a JSON object, {} when empty."""
    if not text:
        return {}
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise ValueError("The attributes are not valid JSON.") from None
    if not isinstance(document, dict):
        raise ValueError("The attributes must be a JSON object.")
    return document


# --- exporting -------------------------------------------------------------------------


def csv_pages(
    db: Database,
    header: tuple[str, ...],
    campaign_ids: list[int],
    page: Callable[[Connection, int, int], Sequence[Any]],
    record: Callable[[Any], list[str]],
    on_progress: Progress | None,
) -> Iterator[str]:
    """An export as CSV text, a page at a time, campaign by campaign and then by id: `page`
    answers the items of a campaign after an id, each read in its own short transaction
    (seeking on the (application, campaign, id) index), however many there are."""
    yield csv_text([list(header)])
    for campaign_id in campaign_ids:
        after = 0
        while True:
            with db.read() as conn:
                items = page(conn, campaign_id, after)
            if not items:
                break
            yield csv_text([record(item) for item in items])
            after = items[-1].id
            if on_progress is not None:
                on_progress(len(items))


def csv_text(records: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(records)
    return buffer.getvalue()


def time_text(moment: datetime | None) -> str:
    """RFC 3339 in UTC with a `Z`, or "" for no time."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def number_text(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return format(value.normalize(), "f")


def json_text(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def _invalid(details: str, pointer: str | None) -> Problem:
    return Problem(title="Invalid value", details=details, pointer=pointer)


def _item(pointer: str | None, index: int) -> str | None:
    return None if pointer is None else f"{pointer}/{index}"
