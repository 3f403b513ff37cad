"""Referral use cases: codes made for advocates through the Integration API (one, or one
each for many), imported from CSV, listed, updated, deleted and exported through the
Management API. Every change bumps the application's revision, since rules read referrals."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from carrot.domain.coupon import CodeImport, folded
from carrot.domain.errors import Forbidden, NotFound, Problem
from carrot.domain.referral import Referral, ReferralQuery, ReferralTerms
from carrot.service.attributes import attribute_problems, invalid
from carrot.service.clock import utcnow
from carrot.service.codes import (
    MAX_INTEGRATION_ID,
    CodeFile,
    CodePattern,
    CodeRequest,
    CsvLine,
    PatternFull,
    Progress,
    campaign_with_feature,
    csv_pages,
    csv_time,
    csv_usage_limit,
    json_text,
    new_batch_id,
    read_csv,
    require_campaign,
    store_imported,
    store_new_codes,
    time_text,
)
from carrot.service.keys import IntegrationCaller, ManagementCaller, load_application
from carrot.store import coupons as code_store
from carrot.store import referrals as store
from carrot.store import tables
from carrot.store.campaigns import bump_revisions, campaign_places, lock_application
from carrot.store.db import Database

MAX_ADVOCATES = 1_000
EXPORT_PAGE = 1_000
IMPORT_COLUMNS = (
    "code",
    "advocateprofileintegrationid",
    "startdate",
    "expirydate",
    "limitval",
    "attributes",
)
# Talon.One's referral export has the columns of its import.
EXPORT_COLUMNS = IMPORT_COLUMNS
LINE_FIELDS = (
    ("startdate", "start_date", csv_time),
    ("expirydate", "expiry_date", csv_time),
    ("limitval", "usage_limit", csv_usage_limit),
)


@dataclass(frozen=True)
class NewReferrals:
    """NewReferral (one advocate) and NewReferralsForMultipleAdvocates as carrot keeps
    them. `codes` only for many advocates: one code is made as the campaign's
    referralSettings say."""

    campaign_id: int
    advocates: tuple[str, ...]
    terms: ReferralTerms = field(default_factory=ReferralTerms)
    codes: CodeRequest = field(default_factory=CodeRequest)
    # Codes made for many advocates share a batch id.
    batch: bool = False


@dataclass(frozen=True)
class ReferralChanges:
    """UpdateReferral: a None leaves the field as it is."""

    usage_limit: int | None = None
    start_date: datetime | None = None
    expiry_date: datetime | None = None
    friend_profile_integration_id: str | None = None
    attributes: dict[str, Any] | None = None


# --- creating (Integration API) --------------------------------------------------------


def create_referrals(db: Database, caller: IntegrationCaller, new: NewReferrals) -> list[Referral]:
    """A new code for each advocate (a repeated advocate gets one), all in one batch when
    there are several; referral budgets do not apply (as in Talon.One)."""
    if caller.staging:
        raise Forbidden("Staging API keys cannot create referrals.")
    advocates = list(dict.fromkeys(new.advocates))
    application_id = caller.application_id
    with db.write() as conn:
        application = lock_application(conn, caller.account_id, application_id)
        campaign = campaign_with_feature(
            conn, application_id, new.campaign_id, "referrals", "/campaignId"
        )
        attributes, problems = attribute_problems(
            conn, caller.account_id, application_id, "Referral", new.terms.attributes, "/attributes"
        )
        problems += _terms_problems(new.terms, advocates)
        pattern = new.codes.pattern(campaign.referral_settings, application.case_sensitivity)
        pattern_pointer, characters_pointer = new.codes.pointers()
        problems += pattern.problems(len(advocates), pattern_pointer, characters_pointer)
        if problems:
            raise invalid(problems)
        values = {
            "application_id": application_id,
            "campaign_id": new.campaign_id,
            "created": utcnow(),
            "batch_id": new_batch_id() if new.batch else None,
            "import_id": None,
            **store.referral_values(replace(new.terms, attributes=attributes)),
        }
        made = _store_codes(conn, pattern, advocates, values, pattern_pointer)
        bump_revisions(conn, [application_id])
        return store.referrals_with_codes(conn, application_id, made)


def _store_codes(
    conn: Connection,
    pattern: CodePattern,
    advocates: list[str],
    values: dict[str, Any],
    pointer: str | None,
) -> list[str]:
    """Gives each advocate a new code; answers the codes made (lookup keys)."""
    waiting = list(advocates)
    made: list[str] = []

    def insert(codes: list[str]) -> int:
        rows = [
            {**values, **_code_columns(code), "advocate_profile_integration_id": advocate}
            for code, advocate in zip(codes, waiting, strict=False)
        ]
        inserted = code_store.insert_new(conn, tables.referrals, "code_lookup", rows)
        waiting[:] = [
            row["advocate_profile_integration_id"]
            for row in rows
            if row["code_lookup"] not in inserted
        ] + waiting[len(rows) :]
        made.extend(row["code_lookup"] for row in rows if row["code_lookup"] in inserted)
        return len(inserted)

    try:
        store_new_codes(pattern, len(advocates), insert)
    except PatternFull as full:
        raise invalid(
            [
                Problem(
                    title="Invalid value",
                    details=f"Only {full.stored} of {len(advocates)} new referral codes could "
                    f"be made: nearly every code the pattern '{pattern.pattern}' can make "
                    "exists already.",
                    pointer=pointer,
                )
            ]
        ) from None
    return made


def _terms_problems(terms: ReferralTerms, advocates: list[str]) -> list[Problem]:
    problems = []
    if terms.start_date and terms.expiry_date and terms.start_date > terms.expiry_date:
        problems.append(_problem("The referral would expire before it starts.", "/expiryDate"))
    friend = terms.friend_profile_integration_id
    if friend is not None and friend in advocates:
        problems.append(
            _problem(
                "The friend cannot be the advocate of the same referral.",
                "/friendProfileIntegrationId",
            )
        )
    return problems


def _code_columns(code: str) -> dict[str, str]:
    """A code already in the application's case is its own lookup key."""
    return {"code": code, "code_lookup": code, "code_folded": folded(code)}


# --- importing -------------------------------------------------------------------------


def import_referrals(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    data: bytes,
    *,
    on_progress: Progress | None = None,
) -> CodeImport:
    """Every referral of the CSV file, or (when any line is wrong, or a code exists
    already) none. Advocates' profiles are not created."""
    caller.check_application(application_id)
    lines = read_csv(data, IMPORT_COLUMNS, ("code", "advocateprofileintegrationid"))
    with db.write() as conn:
        application = lock_application(conn, caller.account_id, application_id)
        campaign_with_feature(conn, application_id, campaign_id, "referrals", None)
        now = utcnow()
        file = CodeFile(
            conn, caller.account_id, application_id, "Referral", application.case_sensitivity
        )
        import_id = code_store.insert_import(
            conn, application_id, caller.account_id, caller.key_id, "Referral", now
        )
        common = {
            "application_id": application_id,
            "campaign_id": campaign_id,
            "created": now,
            "batch_id": new_batch_id(),
            "import_id": import_id,
        }
        rows = [
            (line.number, {**common, **_code_columns(code), **columns})
            for line, code, columns in _read_lines(file, lines)
        ]
        stored = store_imported(
            conn, tables.referrals, "code", rows, skip_duplicates=False, on_progress=on_progress
        )
        bump_revisions(conn, [application_id])
        return code_store.finish_import(conn, import_id, stored)


def _read_lines(file: CodeFile, lines: list[CsvLine]) -> list[tuple[CsvLine, str, dict[str, Any]]]:
    """(line, code, columns) of every line to import, or a BadRequest naming each bad line."""
    read = []
    for line in lines:
        before = file.problem_count
        code = file.code(line, "code")
        if code is None:
            continue
        fields = file.fields(line, LINE_FIELDS)
        attributes = file.attributes(line)
        advocate = line.get("advocateprofileintegrationid")
        if not 1 <= len(advocate) <= MAX_INTEGRATION_ID:
            file.problems.add(
                line.number, "advocateprofileintegrationid", "Needs 1 to 1000 characters."
            )
        if file.problem_count == before:
            terms = ReferralTerms(attributes=attributes, **fields)
            for problem in _terms_problems(terms, [advocate]):
                file.problems.add(line.number, None, problem.details)
            columns = {"advocate_profile_integration_id": advocate, **store.referral_values(terms)}
            read.append((line, code, columns))
        if file.problems.full:
            break
    file.problems.raise_any()
    return read


# --- reading ---------------------------------------------------------------------------


def list_referrals(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    query: ReferralQuery,
    *,
    sort: str,
    page_size: int,
    skip: int,
) -> list[Referral]:
    """A page of the campaign's referrals, and one more when there are more."""
    caller.check_application(application_id)
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
        require_campaign(conn, application_id, campaign_id)
        return store.list_referrals(
            conn,
            application_id,
            replace(query, campaign_id=campaign_id),
            utcnow(),
            sort=sort,
            limit=page_size + 1,
            skip=skip,
        )


def export_referrals(
    db: Database, caller: ManagementCaller, application_id: int, query: ReferralQuery
) -> Iterator[str]:
    """The matching referrals of the application as CSV text, a page at a time."""
    caller.check_application(application_id)
    now = utcnow()
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
        if query.campaign_id is not None:
            campaign_ids = [query.campaign_id]
        else:
            campaign_ids = [place.id for place in campaign_places(conn, application_id)]

    def page(conn: Connection, campaign_id: int, after: int) -> list[Referral]:
        of_campaign = replace(query, campaign_id=campaign_id)
        return store.referrals_after(
            conn, application_id, of_campaign, now, after_id=after, limit=EXPORT_PAGE
        )

    return csv_pages(db, EXPORT_COLUMNS, campaign_ids, page, _export_record, None)


def _export_record(referral: Referral) -> list[str]:
    terms = referral.terms
    return [
        referral.code,
        referral.advocate_profile_integration_id,
        time_text(terms.start_date),
        time_text(terms.expiry_date),
        str(terms.usage_limit),
        json_text(terms.attributes),
    ]


# --- changing --------------------------------------------------------------------------


def update_referral(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    referral_id: int,
    changes: ReferralChanges,
) -> Referral:
    caller.check_application(application_id)
    with db.write() as conn:
        lock_application(conn, caller.account_id, application_id)
        current = store.referral_from_row(
            _referral_row(conn, application_id, campaign_id, referral_id)
        )
        kept = {name: value for name, value in vars(changes).items() if value is not None}
        terms = replace(current.terms, **kept)
        attributes, problems = attribute_problems(
            conn, caller.account_id, application_id, "Referral", terms.attributes, "/attributes"
        )
        problems += _terms_problems(terms, [current.advocate_profile_integration_id])
        if problems:
            raise invalid(problems)
        values = store.referral_values(replace(terms, attributes=attributes))
        store.update_referral(conn, referral_id, values)
        bump_revisions(conn, [application_id])
        return store.referral_from_row(
            _referral_row(conn, application_id, campaign_id, referral_id)
        )


def delete_referral(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    referral_id: int,
) -> None:
    caller.check_application(application_id)
    with db.write() as conn:
        lock_application(conn, caller.account_id, application_id)
        _referral_row(conn, application_id, campaign_id, referral_id)
        store.delete_referral(conn, referral_id)
        bump_revisions(conn, [application_id])


def _referral_row(conn: Connection, application_id: int, campaign_id: int, referral_id: int) -> Any:
    row = store.referral_row(conn, application_id, campaign_id, referral_id)
    if row is None:
        raise NotFound(
            f"Referral {referral_id} not found in campaign {campaign_id} of application "
            f"{application_id}."
        )
    return row


def _problem(details: str, pointer: str | None) -> Problem:
    return Problem(title="Invalid value", details=details, pointer=pointer)
