"""Benchmark of coupon generation: make and store N codes (default 1,000,000) for one
campaign through the same use case as POST …/coupons_async and `carrot coupons generate`
(batches of 5,000 codes per transaction, collisions drawn again), on a fresh SQLite file
unless --database-url names another database. Then exports them all to CSV.

Run: .venv/bin/python bench/coupons.py [--count N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from carrot.domain.coupon import CouponQuery
from carrot.service import campaigns, coupons
from carrot.service.applications import ApplicationSettings, create_application
from carrot.service.codes import CodeRequest
from carrot.service.keys import DEFAULT_ACCOUNT_ID, ManagementCaller, ensure_default_account
from carrot.store import tables
from carrot.store.db import Database

CALLER = ManagementCaller(account_id=DEFAULT_ACCOUNT_ID, key_id=0, allowed_application_ids=None)


def prepare(db: Database) -> tuple[int, int]:
    """A fresh application with one campaign that has the coupons feature."""
    ensure_default_account(db)
    application = create_application(
        db, CALLER, ApplicationSettings(name="bench", timezone="UTC", currency="EUR")
    )
    campaign = campaigns.create_campaign(
        db, CALLER, application.id, campaigns.CampaignSettings(name="bench", features=["coupons"])
    )
    return application.id, campaign.id


def timed_generation(db: Database, application_id: int, campaign_id: int, count: int) -> float:
    new = coupons.NewCoupons(count=count, codes=CodeRequest(pattern_text="BENCH-##########"))
    started = time.perf_counter()
    job, plan = coupons.plan_coupon_job(db, CALLER, application_id, campaign_id, new)
    with _progress("generating", count) as advance:
        job = coupons.run_coupon_job(db, job, plan, on_progress=advance)
    elapsed = time.perf_counter() - started
    assert job.created_count == count, job
    return elapsed


def timed_export(db: Database, application_id: int, count: int, target: Path) -> float:
    started = time.perf_counter()
    with _progress("exporting", count) as advance, target.open("w") as out:
        out.writelines(
            coupons.export_coupons(db, CALLER, application_id, CouponQuery(), on_progress=advance)
        )
    return time.perf_counter() - started


@contextmanager
def _progress(what: str, total: int) -> Iterator[Callable[[int], None]]:
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns) as progress:
        task = progress.add_task(what, total=total)
        yield lambda done: progress.advance(task, done)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}"
        db = Database(url)
        db.upgrade()
        application_id, campaign_id = prepare(db)
        generation = timed_generation(db, application_id, campaign_id, args.count)
        with db.read() as conn:
            distinct = conn.execute(
                sa.select(sa.func.count(sa.distinct(tables.coupons.c.value_lookup))).where(
                    tables.coupons.c.application_id == application_id
                )
            ).scalar_one()
        export = timed_export(db, application_id, args.count, Path(scratch) / "coupons.csv")
        db.dispose()
    dialect = url.split(":", 1)[0]
    print(f"Python {platform.python_version()}, {dialect}")
    print(
        f"generated and stored {args.count:>9,} codes  {generation:7.1f} s  "
        f"{args.count / generation:>9,.0f} codes/s  ({distinct:,} distinct)"
    )
    print(
        f"exported             {args.count:>9,} codes  {export:7.1f} s  "
        f"{args.count / export:>9,.0f} codes/s"
    )


if __name__ == "__main__":
    main()
