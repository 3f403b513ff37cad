"""Queries over referral codes: their columns, the filters of lists and exports, reading
and changing one. New codes are stored with `coupons.insert_new`, as coupons are."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from carrot.domain.referral import Referral, ReferralQuery, ReferralTerms
from carrot.store import tables
from carrot.store.coupons import code_condition, usable_condition, validity_condition


def referral_values(terms: ReferralTerms) -> dict[str, Any]:
    """The columns of a referral that come from its terms."""
    return {
        "usage_limit": terms.usage_limit,
        "start_date": terms.start_date,
        "expiry_date": terms.expiry_date,
        "friend_profile_integration_id": terms.friend_profile_integration_id,
        "attributes": terms.attributes,
    }


def referral_row(
    conn: Connection, application_id: int, campaign_id: int, referral_id: int
) -> Row[Any] | None:
    referrals = tables.referrals
    return conn.execute(
        sa.select(referrals).where(
            referrals.c.id == referral_id,
            referrals.c.application_id == application_id,
            referrals.c.campaign_id == campaign_id,
        )
    ).first()


def referrals_with_codes(
    conn: Connection, application_id: int, lookups: list[str]
) -> list[Referral]:
    """The application's referrals with these codes (lookup keys), in id order."""
    referrals = tables.referrals
    rows = conn.execute(
        sa.select(referrals)
        .where(referrals.c.application_id == application_id, referrals.c.code_lookup.in_(lookups))
        .order_by(referrals.c.id)
    )
    return [referral_from_row(row) for row in rows]


def update_referral(conn: Connection, referral_id: int, values: dict[str, Any]) -> None:
    referrals = tables.referrals
    conn.execute(referrals.update().where(referrals.c.id == referral_id).values(**values))


def delete_referral(conn: Connection, referral_id: int) -> None:
    referrals = tables.referrals
    conn.execute(referrals.delete().where(referrals.c.id == referral_id))


REFERRAL_SORTS = {
    "id": tables.referrals.c.id,
    "created": tables.referrals.c.created,
    "code": tables.referrals.c.code,
    "startDate": tables.referrals.c.start_date,
    "expiryDate": tables.referrals.c.expiry_date,
    "usageCounter": tables.referrals.c.usage_counter,
}


def list_referrals(
    conn: Connection,
    application_id: int,
    query: ReferralQuery,
    now: datetime,
    *,
    sort: str,
    limit: int,
    skip: int,
) -> list[Referral]:
    referrals = tables.referrals
    column = REFERRAL_SORTS[sort.removeprefix("-")]
    order = (
        (column.desc(), referrals.c.id.desc()) if sort.startswith("-") else (column, referrals.c.id)
    )
    rows = conn.execute(
        sa.select(referrals)
        .where(*referral_conditions(application_id, query, now))
        .order_by(*order)
        .limit(limit)
        .offset(skip)
    )
    return [referral_from_row(row) for row in rows]


def referrals_after(
    conn: Connection,
    application_id: int,
    query: ReferralQuery,
    now: datetime,
    *,
    after_id: int,
    limit: int,
) -> list[Referral]:
    """The next `limit` matching referrals by id (give the query a campaign, so the index
    on (application, campaign, id) seeks to `after_id`): how exports walk any number."""
    referrals = tables.referrals
    rows = conn.execute(
        sa.select(referrals)
        .where(*referral_conditions(application_id, query, now), referrals.c.id > after_id)
        .order_by(referrals.c.id)
        .limit(limit)
    )
    return [referral_from_row(row) for row in rows]


def referral_conditions(
    application_id: int, query: ReferralQuery, now: datetime
) -> list[sa.ColumnElement[bool]]:
    c = tables.referrals.c
    where: list[sa.ColumnElement[bool]] = [c.application_id == application_id]
    if query.campaign_id is not None:
        where.append(c.campaign_id == query.campaign_id)
    if query.code is not None:
        where.append(code_condition(c.code, c.code_folded, query.code, exact=False))
    if query.created_after is not None:
        where.append(c.created > query.created_after)
    if query.created_before is not None:
        where.append(c.created < query.created_before)
    if query.valid is not None:
        where.append(validity_condition(c.start_date, c.expiry_date, query.valid, now))
    if query.usable is not None:
        where.append(usable_condition(c.usage_limit, c.usage_counter, query.usable))
    if query.advocate is not None:
        where.append(c.advocate_profile_integration_id == query.advocate)
    if query.batch_id is not None:
        where.append(c.batch_id == query.batch_id)
    return where


def referral_from_row(row: Any) -> Referral:
    return Referral(
        id=row.id,
        application_id=row.application_id,
        campaign_id=row.campaign_id,
        code=row.code,
        advocate_profile_integration_id=row.advocate_profile_integration_id,
        created=row.created,
        terms=ReferralTerms(
            usage_limit=row.usage_limit,
            start_date=row.start_date,
            expiry_date=row.expiry_date,
            friend_profile_integration_id=row.friend_profile_integration_id,
            attributes=row.attributes,
        ),
        usage_counter=row.usage_counter,
        batch_id=row.batch_id,
        import_id=row.import_id,
    )
