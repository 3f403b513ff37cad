"""Limited counters and their ledger: the guarded updates that consume coupon usage and
discount, referral usage and budgets; the give-backs of cancels, reopens and returns; the
ledger row every change writes; and the recomputation `carrot check-ledgers` compares with
(which also counts each coupon's reservations against its reservationCounter).

A counter only moves through `consume` and `give_back`. On PostgreSQL each is one conditional
`UPDATE … SET c = c + :n WHERE id = :id AND c + :n <= limit`: a transaction that lost a race
waits for the winner's row lock, sees the new value and updates nothing. SQLite keeps money as
text, which SQL cannot add exactly, so money counters are read, checked and written in Python;
that is as safe, because SQLite runs one writing transaction at a time (BEGIN IMMEDIATE)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from carrot.engine.redemption import BudgetKey, CouponCounter, ReferralCounter, Take
from carrot.store import tables

COUPON_USAGE = "couponUsage"
COUPON_DISCOUNT = "couponDiscount"
REFERRAL_USAGE = "referralUsage"
BUDGET = "budget"
# Not a ledger kind: the check's name for a coupon's reservationCounter, which counts the
# coupon's rows in coupon_reservations.
COUPON_RESERVATIONS = "couponReservations"

# Why a ledger row was written.
CLOSE = "close"
CANCEL = "cancel"
REOPEN = "reopen"
RETURN = "return"
EVENT = "event"
PROFILE = "profile"


@dataclass(frozen=True)
class _CounterColumn:
    """Where one kind of counter lives. `limit`: the column holding its limit (0 unlimited);
    None when the limit comes with the take (budgets: the campaign's LimitConfig)."""

    table: sa.Table
    column: str
    limit: str | None
    integer: bool
    ledger_column: str


COUNTERS = {
    COUPON_USAGE: _CounterColumn(tables.coupons, "usage_counter", "usage_limit", True, "coupon_id"),
    COUPON_DISCOUNT: _CounterColumn(
        tables.coupons, "discount_counter", "discount_limit", False, "coupon_id"
    ),
    REFERRAL_USAGE: _CounterColumn(
        tables.referrals, "usage_counter", "usage_limit", True, "referral_id"
    ),
    BUDGET: _CounterColumn(tables.budget_counters, "counter", None, False, "budget_counter_id"),
}


@dataclass(frozen=True)
class Entry:
    """One change of one stored counter (a ledger row before it is written). `action` is the
    budget's action for budget counters, "" otherwise."""

    kind: str
    counter_id: int
    campaign_id: int
    amount: Decimal
    action: str = ""


# --- budget counters -------------------------------------------------------------------


def entity_hash(entity_key: str) -> str:
    return hashlib.sha256(entity_key.encode()).hexdigest()


def _key_condition(keys: Sequence[BudgetKey]) -> sa.ColumnElement[bool]:
    c = tables.budget_counters.c
    return sa.tuple_(c.campaign_id, c.action, c.period_key, c.entity_hash).in_(
        [(k.campaign_id, k.action, k.period_key, entity_hash(k.entity_key)) for k in keys]
    )


def _budget_rows(
    conn: Connection, application_id: int, keys: Sequence[BudgetKey]
) -> dict[BudgetKey, tuple[int, Decimal]]:
    if not keys:
        return {}
    c = tables.budget_counters.c
    rows = conn.execute(
        sa.select(c.id, c.campaign_id, c.action, c.entity_key, c.period_key, c.counter).where(
            c.application_id == application_id, _key_condition(keys)
        )
    )
    return {
        BudgetKey(row.campaign_id, row.action, row.entity_key, row.period_key): (
            row.id,
            row.counter,
        )
        for row in rows
    }


def used_budgets(
    conn: Connection, application_id: int, keys: Iterable[BudgetKey]
) -> dict[BudgetKey, Decimal]:
    """What each counter has used, in one query; counters never used are left out (0)."""
    return {key: used for key, (_, used) in _budget_rows(conn, application_id, list(keys)).items()}


def budget_counter_ids(
    conn: Connection, application_id: int, keys: Iterable[BudgetKey]
) -> dict[BudgetKey, int]:
    """The id of each counter, made (at 0) when it does not exist yet. Parallel transactions
    making the same counter make one: the unique key skips the second insert."""
    wanted = sorted(set(keys), key=_key_order)
    found = {key: row[0] for key, row in _budget_rows(conn, application_id, wanted).items()}
    missing = [key for key in wanted if key not in found]
    if missing:
        insert = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
        conn.execute(
            insert(tables.budget_counters).on_conflict_do_nothing(),
            [
                {
                    "application_id": application_id,
                    "campaign_id": key.campaign_id,
                    "action": key.action,
                    "entity_key": key.entity_key,
                    "entity_hash": entity_hash(key.entity_key),
                    "period_key": key.period_key,
                    "counter": Decimal(0),
                }
                for key in missing
            ],
        )
        made = _budget_rows(conn, application_id, missing)
        found.update({key: row[0] for key, row in made.items()})
    return found


def _key_order(key: BudgetKey) -> tuple[int, str, str, str]:
    return (key.campaign_id, key.action, key.period_key, key.entity_key)


def budget_counters_of(
    conn: Connection, application_id: int, campaign_ids: Sequence[int], periods: Sequence[str]
) -> list[tuple[BudgetKey, Decimal]]:
    """The budget counters of these campaigns in these periods, with what each has used."""
    c = tables.budget_counters.c
    rows = conn.execute(
        sa.select(c.campaign_id, c.action, c.entity_key, c.period_key, c.counter).where(
            c.application_id == application_id,
            c.campaign_id.in_(campaign_ids),
            c.period_key.in_(periods),
        )
    )
    return [
        (BudgetKey(row.campaign_id, row.action, row.entity_key, row.period_key), row.counter)
        for row in rows
    ]


# --- consuming and giving back ---------------------------------------------------------


def consume(conn: Connection, application_id: int, takes: Sequence[Take]) -> list[Entry] | None:
    """Apply every take through its guarded update; the entries to record, or None when a
    guard failed (another transaction got there first: roll back to a savepoint taken before
    and evaluate again). Counters are changed in one fixed order, so two transactions taking
    from the same counters never wait for each other in a circle."""
    budget_keys = [take.counter for take in takes if isinstance(take.counter, BudgetKey)]
    budget_ids = budget_counter_ids(conn, application_id, budget_keys)
    limits: dict[tuple[str, int], Decimal | None] = {}
    entries = []
    for take in takes:
        entry = _entry(take, budget_ids)
        limits[(entry.kind, entry.counter_id)] = take.limit
        entries.append(entry)
    merged = _merged(entries)
    for entry in sorted(merged, key=_row_order):
        if not _add(conn, entry, limits[(entry.kind, entry.counter_id)]):
            return None
    return merged


# Tables in the order their rows are locked: every writer changes counters in this order,
# then by row id, so no two transactions ever wait for each other in a circle.
_LOCK_ORDER = (tables.budget_counters, tables.coupons, tables.referrals)


def _row_order(entry: Entry) -> tuple[int, int, str]:
    return (_LOCK_ORDER.index(COUNTERS[entry.kind].table), entry.counter_id, entry.kind)


def lock_counters(conn: Connection, application_id: int, takes: Sequence[Take]) -> None:
    """Lock the rows of these takes' counters (PostgreSQL; SQLite runs one writer at a time),
    in the order every writer changes them. A close that lost a race takes these locks before
    it evaluates again, so what it then reads cannot change before it takes."""
    if conn.dialect.name != "postgresql" or not takes:
        return
    budget_keys = [take.counter for take in takes if isinstance(take.counter, BudgetKey)]
    budget_ids = budget_counter_ids(conn, application_id, budget_keys)
    for rank, row_id in sorted({_row_order(_entry(take, budget_ids))[:2] for take in takes}):
        table = _LOCK_ORDER[rank]
        conn.execute(sa.select(table.c.id).where(table.c.id == row_id).with_for_update())


def _entry(take: Take, budget_ids: dict[BudgetKey, int]) -> Entry:
    counter = take.counter
    if isinstance(counter, BudgetKey):
        return Entry(BUDGET, budget_ids[counter], take.campaign_id, take.amount, counter.action)
    if isinstance(counter, CouponCounter):
        kind = COUPON_USAGE if counter.field == "usage" else COUPON_DISCOUNT
        return Entry(kind, counter.coupon_id, take.campaign_id, take.amount)
    assert isinstance(counter, ReferralCounter)
    return Entry(REFERRAL_USAGE, counter.referral_id, take.campaign_id, take.amount)


def _merged(entries: Iterable[Entry]) -> list[Entry]:
    """One entry per counter (two takes from one counter are added up)."""
    merged: dict[tuple[str, int], Entry] = {}
    for entry in entries:
        key = (entry.kind, entry.counter_id)
        previous = merged.get(key)
        if previous is not None:
            entry = Entry(
                entry.kind,
                entry.counter_id,
                entry.campaign_id,
                previous.amount + entry.amount,
                entry.action,
            )
        merged[key] = entry
    return [entry for entry in merged.values() if entry.amount != 0]


def give_back(conn: Connection, entries: Iterable[Entry]) -> list[Entry]:
    """Give back what `entries` (positive amounts) took; answers the negative entries to
    record. A counter that holds less than the amount (only possible after someone edited
    counters by hand) is left alone, so counter and ledger still agree."""
    given = []
    for entry in sorted(entries, key=_row_order):
        negative = Entry(
            entry.kind, entry.counter_id, entry.campaign_id, -entry.amount, entry.action
        )
        if entry.amount > 0 and _add(conn, negative, None):
            given.append(negative)
    return given


def _add(conn: Connection, entry: Entry, limit: Decimal | None) -> bool:
    """Add `entry.amount` to its counter unless that passes its limit (the row's limit column,
    0 unlimited; else `limit`, None unlimited) or, giving back, goes below 0."""
    spec = COUNTERS[entry.kind]
    if spec.integer or conn.dialect.name == "postgresql":
        return _add_in_sql(conn, spec, entry, limit)
    table = spec.table
    row = conn.execute(sa.select(*_columns(spec)).where(table.c.id == entry.counter_id)).first()
    if row is None:
        return False
    new = row[0] + entry.amount
    if spec.limit is not None:
        limit = row[1] or None
    if new < 0 or (entry.amount > 0 and limit is not None and new > limit):
        return False
    conn.execute(table.update().where(table.c.id == entry.counter_id).values({spec.column: new}))
    return True


def _columns(spec: _CounterColumn) -> list[sa.Column[Any]]:
    columns = [spec.table.c[spec.column]]
    if spec.limit is not None:
        columns.append(spec.table.c[spec.limit])
    return columns


def _add_in_sql(
    conn: Connection, spec: _CounterColumn, entry: Entry, limit: Decimal | None
) -> bool:
    table = spec.table
    number: sa.types.TypeEngine[Any] = sa.Integer() if spec.integer else sa.Numeric()
    counter = sa.type_coerce(table.c[spec.column], number)
    amount = sa.literal(int(entry.amount) if spec.integer else entry.amount, number)
    where: list[sa.ColumnElement[bool]] = [table.c.id == entry.counter_id]
    if entry.amount < 0:
        where.append(counter + amount >= 0)
    elif spec.limit is not None:
        row_limit = sa.type_coerce(table.c[spec.limit], number)
        where.append(sa.or_(row_limit == 0, counter + amount <= row_limit))
    elif limit is not None:
        where.append(counter + amount <= sa.literal(limit, number))
    result = conn.execute(table.update().where(*where).values({spec.column: counter + amount}))
    return bool(result.rowcount == 1)


# --- the ledger ------------------------------------------------------------------------


@dataclass(frozen=True)
class Origin:
    """What a set of ledger rows is recorded for."""

    reason: str
    when: datetime
    session_id: int | None = None
    event_id: int | None = None


def record(conn: Connection, application_id: int, entries: Sequence[Entry], origin: Origin) -> None:
    if not entries:
        return
    rows = []
    for entry in entries:
        row: dict[str, Any] = {
            "application_id": application_id,
            "kind": entry.kind,
            "coupon_id": None,
            "referral_id": None,
            "budget_counter_id": None,
            "campaign_id": entry.campaign_id,
            "session_id": origin.session_id,
            "event_id": origin.event_id,
            "amount": entry.amount,
            "reason": origin.reason,
            "created": origin.when,
        }
        row[COUNTERS[entry.kind].ledger_column] = entry.counter_id
        rows.append(row)
    conn.execute(tables.ledger.insert(), rows)


def session_net_takes(conn: Connection, application_id: int, session_id: int) -> list[Entry]:
    """What the session holds of each counter: its takes less what it gave back (counters it
    holds nothing of are left out)."""
    ledger, budgets = tables.ledger, tables.budget_counters
    rows = conn.execute(
        sa.select(
            ledger.c.kind,
            ledger.c.coupon_id,
            ledger.c.referral_id,
            ledger.c.budget_counter_id,
            ledger.c.campaign_id,
            ledger.c.amount,
            budgets.c.action,
        )
        .select_from(ledger.outerjoin(budgets, budgets.c.id == ledger.c.budget_counter_id))
        .where(ledger.c.application_id == application_id, ledger.c.session_id == session_id)
        .order_by(ledger.c.id)
    )
    net: dict[tuple[str, int], Entry] = {}
    for row in rows:
        counter_id = row.coupon_id or row.referral_id or row.budget_counter_id
        key = (row.kind, counter_id)
        held = net.get(key)
        amount = row.amount + (held.amount if held else 0)
        net[key] = Entry(row.kind, counter_id, row.campaign_id, amount, row.action or "")
    return [entry for entry in net.values() if entry.amount > 0]


# --- checking --------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """A counter that does not equal what it counts (`expected`): the sum of its ledger rows,
    or, for a coupon's reservations, its rows in coupon_reservations."""

    application_id: int
    kind: str
    counter_id: int
    label: str
    counter: Decimal
    expected: Decimal

    def __str__(self) -> str:
        counted = (
            f"it has {self.expected} reservations"
            if self.kind == COUPON_RESERVATIONS
            else f"its ledger adds up to {self.expected}"
        )
        return (
            f"application {self.application_id}: {self.kind} counter {self.counter_id} "
            f"({self.label}) is {self.counter}, {counted}"
        )


def ledger_size(conn: Connection, application_id: int | None) -> int:
    query = sa.select(sa.func.count()).select_from(tables.ledger)
    if application_id is not None:
        query = query.where(tables.ledger.c.application_id == application_id)
    return int(conn.execute(query).scalar_one())


def ledger_differences(
    conn: Connection,
    application_id: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[Difference]:
    """Recompute every counter from the ledger and yield each that differs. Reads the ledger
    once, streamed; `on_progress` is told of each thousand rows read."""
    sums = _ledger_sums(conn, application_id, on_progress)
    for kind, spec in COUNTERS.items():
        table = spec.table
        query = sa.select(table)
        if application_id is not None:
            query = query.where(table.c.application_id == application_id)
        for row in conn.execute(query.order_by(table.c.application_id, table.c.id)):
            counter = Decimal(row._mapping[spec.column])
            expected = sums.get((kind, row.id), Decimal(0))
            if counter != expected:
                yield Difference(row.application_id, kind, row.id, _label(row), counter, expected)


def reservation_differences(
    conn: Connection, application_id: int | None = None
) -> Iterator[Difference]:
    """Each coupon whose reservationCounter is not the number of its reservations."""
    coupons, reservations = tables.coupons, tables.coupon_reservations
    held = sa.select(reservations.c.coupon_id, sa.func.count().label("reservations")).group_by(
        reservations.c.coupon_id
    )
    if application_id is not None:
        held = held.where(reservations.c.application_id == application_id)
    counts = held.subquery()
    number = sa.func.coalesce(counts.c.reservations, 0)
    query = (
        sa.select(
            coupons.c.application_id,
            coupons.c.id,
            coupons.c.value,
            coupons.c.reservation_counter,
            number.label("reservations"),
        )
        .select_from(coupons.outerjoin(counts, counts.c.coupon_id == coupons.c.id))
        .where(coupons.c.reservation_counter != number)
        .order_by(coupons.c.application_id, coupons.c.id)
    )
    if application_id is not None:
        query = query.where(coupons.c.application_id == application_id)
    for row in conn.execute(query):
        yield Difference(
            row.application_id,
            COUPON_RESERVATIONS,
            row.id,
            row.value,
            Decimal(row.reservation_counter),
            Decimal(row.reservations),
        )


def _label(row: Any) -> str:
    """How a difference names its counter: the code, or the budget's key."""
    values = row._mapping
    if "value" in values:
        return str(values["value"])
    if "code" in values:
        return str(values["code"])
    entity = values["entity_key"] or "campaign-wide"
    period = values["period_key"] or "ever"
    return f"campaign {values['campaign_id']} {values['action']}, {entity}, {period}"


def _ledger_sums(
    conn: Connection, application_id: int | None, on_progress: Callable[[int], None] | None
) -> dict[tuple[str, int], Decimal]:
    ledger = tables.ledger
    query = sa.select(
        ledger.c.kind,
        ledger.c.coupon_id,
        ledger.c.referral_id,
        ledger.c.budget_counter_id,
        ledger.c.amount,
    )
    if application_id is not None:
        query = query.where(ledger.c.application_id == application_id)
    sums: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    read = 0
    result = conn.execution_options(stream_results=True, yield_per=10_000).execute(query)
    for row in result:
        counter_id = row.coupon_id or row.referral_id or row.budget_counter_id
        sums[(row.kind, counter_id)] += row.amount
        read += 1
        if on_progress is not None and read % 1000 == 0:
            on_progress(1000)
    if on_progress is not None and read % 1000:
        on_progress(read % 1000)
    return sums
