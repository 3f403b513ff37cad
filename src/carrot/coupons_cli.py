"""`carrot coupons generate|import|export`: coupons in bulk, straight on the database that
CARROT_DATABASE_URL names, through the same use cases as the Management API (so the same
checks, the same revision bumps), with a progress bar on stderr."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from carrot.config import database_url
from carrot.domain.coupon import (
    MAX_DISCOUNT_LIMIT,
    MAX_USAGE_LIMIT,
    CouponJobStatus,
    CouponQuery,
    CouponTerms,
)
from carrot.domain.errors import CarrotError
from carrot.service import coupons
from carrot.service.attributes import parse_rfc3339
from carrot.service.codes import CodeRequest
from carrot.service.keys import DEFAULT_ACCOUNT_ID, ManagementCaller
from carrot.store.db import Database

coupons_app = typer.Typer(no_args_is_help=True, help="Generate, import and export coupons.")

# The command line acts for the installation's account, on any of its applications; what it
# records as the user is 0.
COMMAND_LINE = ManagementCaller(
    account_id=DEFAULT_ACCOUNT_ID, key_id=0, allowed_application_ids=None
)
ERRORS = Console(stderr=True)

APPLICATION = typer.Option(..., "--application-id", help="The application's id.")
CAMPAIGN = typer.Option(
    ..., "--campaign-id", help="The campaign's id (it needs the coupons feature)."
)


@coupons_app.command("generate")
def generate(
    application_id: int = APPLICATION,
    campaign_id: int = CAMPAIGN,
    count: int = typer.Option(..., "--count", min=1, help="How many codes (up to 5,000,000)."),
    pattern: str = typer.Option(
        None, "--pattern", help="Code pattern, each # a random character (e.g. SPR-####)."
    ),
    characters: str = typer.Option(
        None, "--characters", help="The characters # stands for (default A-Z and 0-9)."
    ),
    usage_limit: int = typer.Option(
        1, "--usage-limit", min=0, max=MAX_USAGE_LIMIT, help="Redemptions per code; 0 = unlimited."
    ),
    discount_limit: str = typer.Option("0", "--discount-limit", help="Total discount per code."),
    start_date: str = typer.Option(None, "--start-date", help="RFC 3339 time the codes start."),
    expiry_date: str = typer.Option(None, "--expiry-date", help="RFC 3339 time they expire."),
    attributes: str = typer.Option("{}", "--attributes", help="Coupon attributes, a JSON object."),
) -> None:
    """Generate COUNT new codes as one batch (recorded like a coupons_async job)."""
    terms = CouponTerms(
        usage_limit=usage_limit,
        discount_limit=_amount(discount_limit),
        start_date=_time(start_date, "--start-date"),
        expiry_date=_time(expiry_date, "--expiry-date"),
        attributes=_document(attributes),
    )
    codes = CodeRequest(
        pattern_text=pattern,
        characters=None if characters is None else tuple(characters),
        pattern_pointer="--pattern",
        characters_pointer="--characters",
    )
    new = coupons.NewCoupons(count=count, terms=terms, codes=codes)
    with _database() as db:
        job, plan = coupons.plan_coupon_job(db, COMMAND_LINE, application_id, campaign_id, new)
        with _progress("generating", count) as advance:
            job = coupons.run_coupon_job(db, job, plan, on_progress=advance)
    if job.status is not CouponJobStatus.COMPLETED:
        _fail(f"The job ended {job.status.value} after {job.created_count} codes. {job.error}")
    _say(f"{job.created_count} coupons created (batch {job.batch_id}, job {job.id}).")


@coupons_app.command("import")
def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The CSV file."),
    application_id: int = APPLICATION,
    campaign_id: int = CAMPAIGN,
    skip_duplicates: bool = typer.Option(
        False, "--skip-duplicates", help="Leave out codes that exist already instead of failing."
    ),
) -> None:
    """Import the coupons of a CSV file (columns value, expirydate, startdate,
    recipientintegrationid, limitval, discountlimit, attributes): all of them, or none."""
    data = file.read_bytes()
    with _database() as db, _progress("importing", _records(data)) as advance:
        done = coupons.import_coupons(
            db,
            COMMAND_LINE,
            application_id,
            campaign_id,
            data,
            skip_duplicates=skip_duplicates,
            on_progress=advance,
        )
    _say(f"{done.amount} coupons imported (import {done.id}).")


@coupons_app.command("export")
def export(
    application_id: int = APPLICATION,
    campaign_id: int = typer.Option(None, "--campaign-id", help="Only this campaign's coupons."),
    output: Path = typer.Option(None, "--output", help="Write here instead of stdout."),
) -> None:
    """Write the application's coupons as CSV, with Talon.One's export columns."""
    query = CouponQuery(campaign_id=campaign_id)
    with _database() as db:
        total = coupons.count_coupons(db, COMMAND_LINE, application_id, query)
        with _progress("exporting", total) as advance:
            pages = coupons.export_coupons(
                db, COMMAND_LINE, application_id, query, on_progress=advance
            )
            if output is None:
                sys.stdout.writelines(pages)
            else:
                with output.open("w", encoding="utf-8", newline="") as target:
                    target.writelines(pages)
    _say(f"{total} coupons exported.")


@contextmanager
def _database() -> Iterator[Database]:
    """The database, migrated; a refused request ends the command with its message (and
    each further problem) on stderr."""
    db = Database(database_url())
    try:
        db.upgrade()
        yield db
    except CarrotError as error:
        lines = [error.message] + [f"  {problem.details}" for problem in error.problems[1:]]
        _fail("\n".join(lines))
    finally:
        db.dispose()


@contextmanager
def _progress(what: str, total: int) -> Iterator[Any]:
    columns = (
        TextColumn(what),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=ERRORS) as progress:
        task = progress.add_task(what, total=total)
        yield lambda done: progress.advance(task, done)


def _records(data: bytes) -> int:
    """How many records the file holds after its header (for the progress bar)."""
    text = data.decode("utf-8-sig", errors="replace")
    return max(sum(1 for record in csv.reader(io.StringIO(text, newline="")) if record) - 1, 0)


def _time(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_rfc3339(text)
    except ValueError as error:
        _fail(f"{option}: the time {error}.")


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except ArithmeticError:
        _fail(f"--discount-limit: '{text}' is not a number.")
    if not amount.is_finite() or not 0 <= amount <= MAX_DISCOUNT_LIMIT:
        _fail(f"--discount-limit: must be from 0 to {MAX_DISCOUNT_LIMIT:.0f}.")
    return amount


def _document(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except ValueError:
        _fail("--attributes: not valid JSON.")
    if not isinstance(document, dict):
        _fail("--attributes: must be a JSON object.")
    return document


def _say(message: str) -> None:
    ERRORS.print(message, markup=False, highlight=False, soft_wrap=True)


def _fail(message: str) -> NoReturn:
    _say(message)
    raise typer.Exit(1)
