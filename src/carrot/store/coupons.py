"""Queries over coupons, their generation jobs and the imports that create codes: storing
codes not taken yet, the filters of lists, bulk deletes and exports, job progress. The
conditions on codes, validity and usability serve referrals too."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Row

from carrot.domain.campaign import LimitConfig
from carrot.domain.coupon import (
    CodeImport,
    Coupon,
    CouponJob,
    CouponJobStatus,
    CouponQuery,
    CouponTerms,
    Validity,
    folded,
)
from carrot.store import tables
from carrot.store.campaigns import limit_from_document

# --- writing ---------------------------------------------------------------------------


def coupon_values(terms: CouponTerms) -> dict[str, Any]:
    """The columns of a coupon that come from its terms."""
    return {
        "usage_limit": terms.usage_limit,
        "discount_limit": terms.discount_limit,
        "reservation_limit": terms.reservation_limit,
        "start_date": terms.start_date,
        "expiry_date": terms.expiry_date,
        "recipient_integration_id": terms.recipient_integration_id,
        "attributes": terms.attributes,
        "is_reservation_mandatory": terms.is_reservation_mandatory,
        "implicitly_reserved": terms.implicitly_reserved,
        "limits": [limit_document(limit) for limit in terms.limits],
    }


def limit_document(limit: LimitConfig) -> dict[str, Any]:
    """A limit as campaigns store theirs (the JSON serializer writes the Decimal as a number)."""
    document: dict[str, Any] = {"action": limit.action, "limit": limit.limit}
    if limit.period is not None:
        document["period"] = limit.period
    document["entities"] = list(limit.entities)
    return document


def insert_new(
    conn: Connection, table: sa.Table, lookup: str, rows: Sequence[dict[str, Any]]
) -> set[str]:
    """Inserts the rows whose code (column `lookup`) is not taken in their application yet;
    answers the codes inserted. Taken codes are skipped by the unique index, so this holds
    under any number of concurrent writers."""
    if not rows:
        return set()
    insert = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
    statement = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["application_id", lookup])
        .returning(table.c[lookup])
    )
    return set(conn.execute(statement, list(rows)).scalars())


def update_coupon(conn: Connection, coupon_id: int, values: dict[str, Any]) -> None:
    coupons = tables.coupons
    conn.execute(coupons.update().where(coupons.c.id == coupon_id).values(**values))


def delete_coupon(conn: Connection, coupon_id: int) -> None:
    coupons = tables.coupons
    conn.execute(coupons.delete().where(coupons.c.id == coupon_id))


def delete_coupons(conn: Connection, application_id: int, query: CouponQuery, now: datetime) -> int:
    coupons = tables.coupons
    result = conn.execute(coupons.delete().where(*coupon_conditions(application_id, query, now)))
    return int(result.rowcount)


# --- reading ---------------------------------------------------------------------------


def coupon_row(
    conn: Connection, application_id: int, campaign_id: int, coupon_id: int
) -> Row[Any] | None:
    coupons = tables.coupons
    return conn.execute(
        sa.select(coupons).where(
            coupons.c.id == coupon_id,
            coupons.c.application_id == application_id,
            coupons.c.campaign_id == campaign_id,
        )
    ).first()


COUPON_SORTS = {
    "id": tables.coupons.c.id,
    "created": tables.coupons.c.created,
    "value": tables.coupons.c.value,
    "startDate": tables.coupons.c.start_date,
    "expiryDate": tables.coupons.c.expiry_date,
    "usageCounter": tables.coupons.c.usage_counter,
}


def list_coupons(
    conn: Connection,
    application_id: int,
    query: CouponQuery,
    now: datetime,
    *,
    sort: str,
    limit: int,
    skip: int,
) -> list[Coupon]:
    coupons = tables.coupons
    column = COUPON_SORTS[sort.removeprefix("-")]
    order = (column.desc(), coupons.c.id.desc()) if sort.startswith("-") else (column, coupons.c.id)
    rows = conn.execute(
        sa.select(coupons)
        .where(*coupon_conditions(application_id, query, now))
        .order_by(*order)
        .limit(limit)
        .offset(skip)
    )
    return [coupon_from_row(row) for row in rows]


def coupons_after(
    conn: Connection,
    application_id: int,
    query: CouponQuery,
    now: datetime,
    *,
    after_id: int,
    limit: int,
) -> list[Coupon]:
    """The next `limit` matching coupons by id (give the query a campaign, so the index on
    (application, campaign, id) seeks to `after_id`): how exports walk any number."""
    coupons = tables.coupons
    rows = conn.execute(
        sa.select(coupons)
        .where(*coupon_conditions(application_id, query, now), coupons.c.id > after_id)
        .order_by(coupons.c.id)
        .limit(limit)
    )
    return [coupon_from_row(row) for row in rows]


def count_coupons(conn: Connection, application_id: int, query: CouponQuery, now: datetime) -> int:
    coupons = tables.coupons
    return int(
        conn.execute(
            sa.select(sa.func.count())
            .select_from(coupons)
            .where(*coupon_conditions(application_id, query, now))
        ).scalar_one()
    )


def coupon_conditions(
    application_id: int, query: CouponQuery, now: datetime
) -> list[sa.ColumnElement[bool]]:
    c = tables.coupons.c
    where: list[sa.ColumnElement[bool]] = [c.application_id == application_id]
    if query.campaign_id is not None:
        where.append(c.campaign_id == query.campaign_id)
    if query.value is not None:
        where.append(code_condition(c.value, c.value_folded, query.value, query.exact_match))
    where += _between(c.created, query.created_after, query.created_before)
    where += _between(c.start_date, query.starts_after, query.starts_before)
    where += _between(c.expiry_date, query.expires_after, query.expires_before)
    if query.valid is not None:
        where.append(validity_condition(c.start_date, c.expiry_date, query.valid, now))
    if query.usable is not None:
        where.append(usable_condition(c.usage_limit, c.usage_counter, query.usable))
    if query.redeemed is not None:
        where.append(c.usage_counter > 0 if query.redeemed else c.usage_counter == 0)
    if query.referral_id is not None:
        where.append(c.referral_id == query.referral_id)
    if query.recipient_integration_id is not None:
        where.append(c.recipient_integration_id == query.recipient_integration_id)
    if query.batch_id is not None:
        where.append(c.batch_id == query.batch_id)
    return where


def code_condition(
    code: sa.Column[Any], folded_code: sa.Column[Any], text: str, exact: bool
) -> sa.ColumnElement[bool]:
    """Talon.One's code filters: the whole code ignoring case, or (fuzzy) codes containing
    the text once both are folded to lower-case letters and digits."""
    if exact:
        return sa.func.lower(code) == text.lower()
    return folded_code.contains(folded(text), autoescape=True)


def validity_condition(
    start: sa.Column[Any], expiry: sa.Column[Any], validity: Validity, now: datetime
) -> sa.ColumnElement[bool]:
    if validity is Validity.EXPIRED:
        return sa.and_(expiry.is_not(None), expiry <= now)
    if validity is Validity.VALID_FUTURE:
        return sa.and_(start.is_not(None), start > now)
    return sa.and_(sa.or_(start.is_(None), start <= now), sa.or_(expiry.is_(None), expiry > now))


def usable_condition(
    limit: sa.Column[Any], counter: sa.Column[Any], usable: bool
) -> sa.ColumnElement[bool]:
    """Usable: unlimited (0) or used fewer times than its limit."""
    if usable:
        return sa.or_(limit == 0, counter < limit)
    return sa.and_(limit > 0, counter >= limit)


def _between(
    column: sa.Column[Any], after: datetime | None, before: datetime | None
) -> list[sa.ColumnElement[bool]]:
    where = []
    if after is not None:
        where.append(column > after)
    if before is not None:
        where.append(column < before)
    return where


def coupon_from_row(row: Any) -> Coupon:
    return Coupon(
        id=row.id,
        application_id=row.application_id,
        campaign_id=row.campaign_id,
        value=row.value,
        created=row.created,
        batch_id=row.batch_id,
        terms=CouponTerms(
            usage_limit=row.usage_limit,
            discount_limit=row.discount_limit,
            reservation_limit=row.reservation_limit,
            start_date=row.start_date,
            expiry_date=row.expiry_date,
            recipient_integration_id=row.recipient_integration_id,
            attributes=row.attributes,
            is_reservation_mandatory=row.is_reservation_mandatory,
            implicitly_reserved=row.implicitly_reserved,
            limits=tuple(limit_from_document(limit) for limit in row.limits),
        ),
        usage_counter=row.usage_counter,
        discount_counter=row.discount_counter,
        reservation_counter=row.reservation_counter,
        import_id=row.import_id,
        referral_id=row.referral_id,
    )


# --- generation jobs -------------------------------------------------------------------


def insert_job(
    conn: Connection,
    application_id: int,
    campaign_id: int,
    batch_id: str,
    total: int,
    now: datetime,
) -> CouponJob:
    jobs = tables.coupon_jobs
    job_id = conn.execute(
        jobs.insert()
        .values(
            application_id=application_id,
            campaign_id=campaign_id,
            batch_id=batch_id,
            status=CouponJobStatus.PENDING.value,
            total=total,
            created_count=0,
            error="",
            created=now,
            updated=now,
        )
        .returning(jobs.c.id)
    ).scalar_one()
    row = job_row(conn, application_id, campaign_id, job_id)
    assert row is not None
    return job_from_row(row)


def job_row(
    conn: Connection, application_id: int, campaign_id: int, job_id: int
) -> Row[Any] | None:
    jobs = tables.coupon_jobs
    return conn.execute(
        sa.select(jobs).where(
            jobs.c.id == job_id,
            jobs.c.application_id == application_id,
            jobs.c.campaign_id == campaign_id,
        )
    ).first()


def record_job_progress(conn: Connection, job_id: int, stored: int, now: datetime) -> None:
    jobs = tables.coupon_jobs
    conn.execute(
        jobs.update()
        .where(jobs.c.id == job_id)
        .values(created_count=jobs.c.created_count + stored, updated=now)
    )


def finish_job(
    conn: Connection, job_id: int, status: CouponJobStatus, now: datetime, error: str = ""
) -> None:
    jobs = tables.coupon_jobs
    conn.execute(
        jobs.update()
        .where(jobs.c.id == job_id)
        .values(status=status.value, error=error, updated=now, finished=now)
    )


def job_from_row(row: Any) -> CouponJob:
    return CouponJob(
        id=row.id,
        application_id=row.application_id,
        campaign_id=row.campaign_id,
        batch_id=row.batch_id,
        status=CouponJobStatus(row.status),
        total=row.total,
        created_count=row.created_count,
        created=row.created,
        updated=row.updated,
        finished=row.finished,
        error=row.error,
    )


# --- imports ---------------------------------------------------------------------------


def insert_import(
    conn: Connection,
    application_id: int,
    account_id: int,
    user_id: int,
    entity: str,
    now: datetime,
) -> int:
    """A new import, its amount counted by `finish_import` once its rows are stored."""
    imports = tables.imports
    import_id: int = conn.execute(
        imports.insert()
        .values(
            application_id=application_id,
            account_id=account_id,
            user_id=user_id,
            entity=entity,
            amount=0,
            created=now,
        )
        .returning(imports.c.id)
    ).scalar_one()
    return import_id


def finish_import(conn: Connection, import_id: int, amount: int) -> CodeImport:
    imports = tables.imports
    conn.execute(imports.update().where(imports.c.id == import_id).values(amount=amount))
    row = conn.execute(sa.select(imports).where(imports.c.id == import_id)).one()
    return CodeImport(
        id=row.id,
        account_id=row.account_id,
        user_id=row.user_id,
        entity=row.entity,
        amount=row.amount,
        created=row.created,
    )
