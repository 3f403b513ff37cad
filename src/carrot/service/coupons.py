"""Coupon use cases: create codes (at once, or in the background by the million), import them
from CSV, list, update, delete one or many, export. Every change bumps the application's
revision in its transaction, since rules read coupons."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Connection

from carrot.domain.campaign import LimitConfig
from carrot.domain.coupon import (
    CodeImport,
    Coupon,
    CouponJob,
    CouponJobStatus,
    CouponQuery,
    CouponTerms,
    folded,
)
from carrot.domain.errors import NotFound, Problem, bad_parameter
from carrot.service.attributes import attribute_problems, invalid, json_pointer
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
    csv_discount_limit,
    csv_pages,
    csv_time,
    csv_usage_limit,
    json_text,
    new_batch_id,
    number_text,
    read_csv,
    require_campaign,
    store_imported,
    store_new_codes,
    time_text,
)
from carrot.service.keys import ManagementCaller, load_application
from carrot.store import coupons as store
from carrot.store import tables
from carrot.store.campaigns import (
    bump_revisions,
    campaign_places,
    lock_application,
)
from carrot.store.db import Database

log = logging.getLogger("carrot.coupons")

MAX_COUPONS = 20_000
# Talon.One's deprecated uniquePrefix lets one request make up to 200,000 codes.
MAX_COUPONS_WITH_PREFIX = 200_000
MAX_JOB_COUPONS = 5_000_000
# Codes per transaction of a background job: short enough that sessions on SQLite, which
# wait for the one writer, barely notice.
JOB_BATCH = 5_000
EXPORT_PAGE = 1_000
# A pending job whose thread has not written for this long lost its server.
STALE_JOB = timedelta(minutes=10)

IMPORT_COLUMNS = (
    "value",
    "expirydate",
    "startdate",
    "recipientintegrationid",
    "limitval",
    "discountlimit",
    "attributes",
)
# Talon.One's coupon export columns, in its order.
EXPORT_COLUMNS = (
    "accountid",
    "applicationid",
    "attributes",
    "batchid",
    "campaignid",
    "counter",
    "created",
    "deleted",
    "deleted_changelogid",
    "discount_counter",
    "discount_limitval",
    "expirydate",
    "id",
    "importid",
    "is_reservation_mandatory",
    "limits",
    "limitval",
    "recipientintegrationid",
    "referralid",
    "reservation",
    "reservation_counter",
    "reservation_limitval",
    "startdate",
    "value",
)


@dataclass(frozen=True)
class NewCoupons:
    """NewCoupons (and NewCouponCreationJob) as carrot keeps them."""

    count: int
    terms: CouponTerms = field(default_factory=CouponTerms)
    codes: CodeRequest = field(default_factory=CodeRequest)


@dataclass(frozen=True)
class CouponPlan:
    """A checked request for codes: what a generation job makes."""

    application_id: int
    campaign_id: int
    pattern: CodePattern
    terms: CouponTerms
    batch_id: str


@dataclass(frozen=True)
class CouponChanges:
    """UpdateCoupon. A None leaves the field as it is, except the dates and the recipient:
    as in Talon.One, leaving those out clears them."""

    usage_limit: int | None = None
    discount_limit: Decimal | None = None
    reservation_limit: int | None = None
    start_date: datetime | None = None
    expiry_date: datetime | None = None
    recipient_integration_id: str | None = None
    attributes: dict[str, Any] | None = None
    limits: tuple[LimitConfig, ...] | None = None
    is_reservation_mandatory: bool | None = None
    implicitly_reserved: bool | None = None


# --- creating --------------------------------------------------------------------------


def create_coupons(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    new: NewCoupons,
    *,
    answer: bool,
) -> list[Coupon]:
    """Up to 20,000 new codes in one transaction: all of them or, when the pattern cannot
    make that many new codes, none. Answers the coupons made when `answer` is set."""
    caller.check_application(application_id)
    limit = MAX_COUPONS_WITH_PREFIX if new.codes.unique_prefix else MAX_COUPONS
    with db.write() as conn:
        plan = _plan(conn, caller, application_id, campaign_id, new, limit)
        try:
            _store_codes(conn, plan, new.count, utcnow())
        except PatternFull as full:
            raise invalid([_pattern_full(plan, new, full.stored)]) from None
        bump_revisions(conn, [application_id])
        if not answer:
            return []
        batch = CouponQuery(campaign_id=campaign_id, batch_id=plan.batch_id)
        return store.list_coupons(
            conn, application_id, batch, utcnow(), sort="id", limit=new.count, skip=0
        )


def plan_coupon_job(
    db: Database, caller: ManagementCaller, application_id: int, campaign_id: int, new: NewCoupons
) -> tuple[CouponJob, CouponPlan]:
    """Checks a request for up to 5,000,000 codes and records its job, pending."""
    caller.check_application(application_id)
    with db.write() as conn:
        plan = _plan(conn, caller, application_id, campaign_id, new, MAX_JOB_COUPONS)
        job = store.insert_job(
            conn, application_id, campaign_id, plan.batch_id, new.count, utcnow()
        )
    return job, plan


def start_coupon_job(
    db: Database, caller: ManagementCaller, application_id: int, campaign_id: int, new: NewCoupons
) -> CouponJob:
    """Plans the job and runs it on a thread of this process; its progress is in the
    database for any process to read."""
    job, plan = plan_coupon_job(db, caller, application_id, campaign_id, new)
    threading.Thread(
        target=run_coupon_job, args=(db, job, plan), name=f"coupon-job-{job.id}", daemon=True
    ).start()
    return job


def run_coupon_job(
    db: Database, job: CouponJob, plan: CouponPlan, on_progress: Progress | None = None
) -> CouponJob:
    """Makes the job's codes batch by batch, each batch one transaction that also records
    the progress, so the count shown is always the count stored. Ends completed, coupon
    pattern full (the codes made so far stay), or failed."""
    remaining = job.total - job.created_count
    status, error = CouponJobStatus.COMPLETED, ""
    try:
        while remaining:
            size = min(JOB_BATCH, remaining)
            stored = _store_batch(db, job, plan, size)
            remaining -= stored
            if on_progress is not None:
                on_progress(stored)
            if stored < size:
                status = CouponJobStatus.COUPON_PATTERN_FULL
                break
    except Exception:  # whatever stops a job, it must end in a state a user can read
        log.exception("coupon job %s failed", job.id)
        status = CouponJobStatus.FAILED
        error = "The job stopped on an unexpected error; the server's log has the details."
    with db.write() as conn:
        store.finish_job(conn, job.id, status, utcnow(), error)
        row = store.job_row(conn, job.application_id, job.campaign_id, job.id)
    return job if row is None else store.job_from_row(row)


def get_coupon_job(
    db: Database, caller: ManagementCaller, application_id: int, campaign_id: int, job_id: int
) -> CouponJob:
    """The job as it stands. A pending job that has not moved for STALE_JOB lost the server
    running it and is answered as failed."""
    caller.check_application(application_id)
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
        row = store.job_row(conn, application_id, campaign_id, job_id)
    if row is None:
        raise NotFound(
            f"Coupon creation job {job_id} not found in campaign {campaign_id} of "
            f"application {application_id}."
        )
    job = store.job_from_row(row)
    if job.status is CouponJobStatus.PENDING and utcnow() - job.updated > STALE_JOB:
        error = "The job stopped: the server running it shut down before it finished."
        return replace(job, status=CouponJobStatus.FAILED, error=error)
    return job


def _store_batch(db: Database, job: CouponJob, plan: CouponPlan, size: int) -> int:
    with db.write() as conn:
        # The application row first, as every change locks it first.
        bump_revisions(conn, [plan.application_id])
        try:
            _store_codes(conn, plan, size, utcnow())
            stored = size
        except PatternFull as full:
            stored = full.stored
        store.record_job_progress(conn, job.id, stored, utcnow())
    return stored


def _plan(
    conn: Connection,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    new: NewCoupons,
    limit: int,
) -> CouponPlan:
    application = lock_application(conn, caller.account_id, application_id)
    campaign = campaign_with_feature(conn, application_id, campaign_id, "coupons", None)
    problems = []
    if new.count > limit:
        problems.append(
            _problem(
                f"At most {limit} coupons are made by one request; use coupons_async for more.",
                "/numberOfCoupons",
            )
        )
    attributes, attribute_errors = attribute_problems(
        conn, caller.account_id, application_id, "Coupon", new.terms.attributes, "/attributes"
    )
    problems += attribute_errors + _terms_problems(new.terms, new.count)
    pattern = new.codes.pattern(campaign.coupon_settings, application.case_sensitivity)
    pattern_pointer, characters_pointer = new.codes.pointers()
    problems += pattern.problems(new.count, pattern_pointer, characters_pointer)
    if problems:
        raise invalid(problems)
    return CouponPlan(
        application_id=application_id,
        campaign_id=campaign_id,
        pattern=pattern,
        terms=replace(new.terms, attributes=attributes),
        batch_id=new_batch_id(),
    )


def _pattern_full(plan: CouponPlan, new: NewCoupons, stored: int) -> Problem:
    pattern_pointer, _ = new.codes.pointers()
    return _problem(
        f"Only {stored} of {new.count} new codes could be made: nearly every code the pattern "
        f"'{plan.pattern.pattern}' can make exists in application {plan.application_id} "
        "already.",
        pattern_pointer,
    )


def _terms_problems(terms: CouponTerms, count: int) -> list[Problem]:
    problems = []
    if terms.start_date and terms.expiry_date and terms.start_date > terms.expiry_date:
        problems.append(_problem("The coupon would expire before it starts.", "/expiryDate"))
    if terms.limits and (count > 1 or terms.recipient_integration_id is not None):
        problems.append(
            _problem("Coupon limits apply only to a single coupon without a recipient.", "/limits")
        )
    problems += [
        _problem(
            "Coupon limits may only be per-profile limits (their entities include Profile).",
            json_pointer("limits", index, "entities"),
        )
        for index, limit in enumerate(terms.limits)
        if "Profile" not in limit.entities
    ]
    return problems


def _store_codes(conn: Connection, plan: CouponPlan, count: int, now: datetime) -> None:
    values = {
        "application_id": plan.application_id,
        "campaign_id": plan.campaign_id,
        "created": now,
        "batch_id": plan.batch_id,
        "import_id": None,
        "referral_id": None,
        **store.coupon_values(plan.terms),
    }

    def insert(codes: list[str]) -> int:
        rows = [{**values, **_code_columns(code)} for code in codes]
        return len(store.insert_new(conn, tables.coupons, "value_lookup", rows))

    store_new_codes(plan.pattern, count, insert)


def _code_columns(code: str) -> dict[str, str]:
    """A code already in the application's case is its own lookup key."""
    return {"value": code, "value_lookup": code, "value_folded": folded(code)}


# --- importing -------------------------------------------------------------------------


def import_coupons(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    data: bytes,
    *,
    skip_duplicates: bool = False,
    on_progress: Progress | None = None,
) -> CodeImport:
    """Every coupon of the CSV file, or (when any line is wrong) none. A code that exists
    already, or repeats an earlier line, is an error naming its line, unless
    `skip_duplicates`: then it is left out."""
    caller.check_application(application_id)
    lines = read_csv(data, IMPORT_COLUMNS, ("value",))
    with db.write() as conn:
        application = lock_application(conn, caller.account_id, application_id)
        campaign_with_feature(conn, application_id, campaign_id, "coupons", None)
        now = utcnow()
        file = CodeFile(
            conn,
            caller.account_id,
            application_id,
            "Coupon",
            application.case_sensitivity,
            skip_duplicates,
        )
        import_id = store.insert_import(
            conn, application_id, caller.account_id, caller.key_id, "Coupon", now
        )
        common = {
            "application_id": application_id,
            "campaign_id": campaign_id,
            "created": now,
            "batch_id": new_batch_id(),
            "import_id": import_id,
            "referral_id": None,
        }
        rows = [
            (line.number, {**common, **_code_columns(code), **store.coupon_values(terms)})
            for line, code, terms in _read_lines(file, lines)
        ]
        stored = store_imported(
            conn,
            tables.coupons,
            "value",
            rows,
            skip_duplicates=skip_duplicates,
            on_progress=on_progress,
        )
        bump_revisions(conn, [application_id])
        return store.finish_import(conn, import_id, stored)


LINE_FIELDS = (
    ("expirydate", "expiry_date", csv_time),
    ("startdate", "start_date", csv_time),
    ("limitval", "usage_limit", csv_usage_limit),
    ("discountlimit", "discount_limit", csv_discount_limit),
)


def _read_lines(file: CodeFile, lines: list[CsvLine]) -> list[tuple[CsvLine, str, CouponTerms]]:
    """(line, code, terms) of every line to import, or a BadRequest naming each bad line."""
    read = []
    for line in lines:
        before = file.problem_count
        code = file.code(line, "value")
        if code is None:
            continue
        fields = file.fields(line, LINE_FIELDS)
        attributes = file.attributes(line)
        recipient = line.get("recipientintegrationid")
        if len(recipient) > MAX_INTEGRATION_ID:
            file.problems.add(line.number, "recipientintegrationid", "Longer than 1000 characters.")
        if file.problem_count == before:
            terms = CouponTerms(
                recipient_integration_id=recipient or None, attributes=attributes, **fields
            )
            for problem in _terms_problems(terms, 1):
                file.problems.add(line.number, None, problem.details)
            read.append((line, code, terms))
        if file.problems.full:
            break
    file.problems.raise_any()
    return read


# --- reading ---------------------------------------------------------------------------


def list_coupons(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    query: CouponQuery,
    *,
    sort: str,
    page_size: int,
    skip: int,
) -> list[Coupon]:
    """A page of the campaign's coupons, and one more when there are more."""
    caller.check_application(application_id)
    _refuse_usable_with_redeemed(query)
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
        require_campaign(conn, application_id, campaign_id)
        return store.list_coupons(
            conn,
            application_id,
            replace(query, campaign_id=campaign_id),
            utcnow(),
            sort=sort,
            limit=page_size + 1,
            skip=skip,
        )


def export_coupons(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    query: CouponQuery,
    *,
    on_progress: Progress | None = None,
) -> Iterator[str]:
    """The matching coupons of the application as CSV text, a page at a time (each page
    read in its own transaction, so an export of millions holds no lock for long)."""
    caller.check_application(application_id)
    _refuse_usable_with_redeemed(query)
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
    return _export_pages(db, caller.account_id, application_id, query, utcnow(), on_progress)


def count_coupons(
    db: Database, caller: ManagementCaller, application_id: int, query: CouponQuery
) -> int:
    caller.check_application(application_id)
    with db.read() as conn:
        load_application(conn, caller.account_id, application_id)
        return store.count_coupons(conn, application_id, query, utcnow())


def _export_pages(
    db: Database,
    account_id: int,
    application_id: int,
    query: CouponQuery,
    now: datetime,
    on_progress: Progress | None,
) -> Iterator[str]:
    if query.campaign_id is not None:
        campaign_ids = [query.campaign_id]
    else:
        with db.read() as conn:
            campaign_ids = [place.id for place in campaign_places(conn, application_id)]

    def page(conn: Connection, campaign_id: int, after: int) -> list[Coupon]:
        of_campaign = replace(query, campaign_id=campaign_id)
        return store.coupons_after(
            conn, application_id, of_campaign, now, after_id=after, limit=EXPORT_PAGE
        )

    return csv_pages(
        db,
        EXPORT_COLUMNS,
        campaign_ids,
        page,
        lambda coupon: _export_record(coupon, account_id),
        on_progress,
    )


def _export_record(coupon: Coupon, account_id: int) -> list[str]:
    terms = coupon.terms
    fields = {
        "accountid": str(account_id),
        "applicationid": str(coupon.application_id),
        "attributes": json_text(terms.attributes),
        "batchid": coupon.batch_id,
        "campaignid": str(coupon.campaign_id),
        "counter": str(coupon.usage_counter),
        "created": time_text(coupon.created),
        "deleted": "false",
        "deleted_changelogid": "0",
        "discount_counter": number_text(coupon.discount_counter),
        "discount_limitval": number_text(terms.discount_limit),
        "expirydate": time_text(terms.expiry_date),
        "id": str(coupon.id),
        "importid": number_text(coupon.import_id),
        "is_reservation_mandatory": _boolean(terms.is_reservation_mandatory),
        "limits": json_text([store.limit_document(limit) for limit in terms.limits]),
        "limitval": str(terms.usage_limit),
        "recipientintegrationid": terms.recipient_integration_id or "",
        "referralid": number_text(coupon.referral_id),
        "reservation": _boolean(not coupon.is_personal),
        "reservation_counter": str(coupon.reservation_counter),
        "reservation_limitval": str(terms.reservation_limit),
        "startdate": time_text(terms.start_date),
        "value": coupon.value,
    }
    return [fields[column] for column in EXPORT_COLUMNS]


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _refuse_usable_with_redeemed(query: CouponQuery) -> None:
    if query.usable is not None and query.redeemed is not None:
        raise bad_parameter("redeemed", "The redeemed filter cannot be combined with usable.")


# --- changing --------------------------------------------------------------------------


def update_coupon(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    coupon_id: int,
    changes: CouponChanges,
) -> Coupon:
    caller.check_application(application_id)
    with db.write() as conn:
        lock_application(conn, caller.account_id, application_id)
        current = store.coupon_from_row(_coupon_row(conn, application_id, campaign_id, coupon_id))
        terms = _changed(current.terms, changes)
        attributes, problems = attribute_problems(
            conn, caller.account_id, application_id, "Coupon", terms.attributes, "/attributes"
        )
        problems += _terms_problems(terms, 1)
        if problems:
            raise invalid(problems)
        values = store.coupon_values(replace(terms, attributes=attributes))
        store.update_coupon(conn, coupon_id, values)
        bump_revisions(conn, [application_id])
        return store.coupon_from_row(_coupon_row(conn, application_id, campaign_id, coupon_id))


def _changed(terms: CouponTerms, changes: CouponChanges) -> CouponTerms:
    kept = {
        name: getattr(changes, name)
        for name in (
            "usage_limit",
            "discount_limit",
            "reservation_limit",
            "attributes",
            "limits",
            "is_reservation_mandatory",
            "implicitly_reserved",
        )
        if getattr(changes, name) is not None
    }
    return replace(
        terms,
        start_date=changes.start_date,
        expiry_date=changes.expiry_date,
        recipient_integration_id=changes.recipient_integration_id,
        **kept,
    )


def delete_coupon(
    db: Database, caller: ManagementCaller, application_id: int, campaign_id: int, coupon_id: int
) -> None:
    caller.check_application(application_id)
    with db.write() as conn:
        lock_application(conn, caller.account_id, application_id)
        _coupon_row(conn, application_id, campaign_id, coupon_id)
        store.delete_coupon(conn, coupon_id)
        bump_revisions(conn, [application_id])


def delete_coupons(
    db: Database,
    caller: ManagementCaller,
    application_id: int,
    campaign_id: int,
    query: CouponQuery,
) -> int:
    """Deletes every coupon of the campaign the filters match; answers how many."""
    caller.check_application(application_id)
    with db.write() as conn:
        lock_application(conn, caller.account_id, application_id)
        require_campaign(conn, application_id, campaign_id)
        deleted = store.delete_coupons(
            conn, application_id, replace(query, campaign_id=campaign_id), utcnow()
        )
        bump_revisions(conn, [application_id])
        return deleted


def _coupon_row(conn: Connection, application_id: int, campaign_id: int, coupon_id: int) -> Any:
    row = store.coupon_row(conn, application_id, campaign_id, coupon_id)
    if row is None:
        raise NotFound(
            f"Coupon {coupon_id} not found in campaign {campaign_id} of application "
            f"{application_id}."
        )
    return row


def _problem(details: str, pointer: str | None) -> Problem:
    return Problem(title="Invalid value", details=details, pointer=pointer)
