"""Migrations that move data: run on a database made at the revision before them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from carrot.store import tables
from carrot.store.db import Database, alembic_config
from tests.conftest import empty_database


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    with empty_database(tmp_path) as url:
        yield url


def test_0007_gives_older_applications_their_root_group_and_campaign_set(
    empty_url: str,
) -> None:
    db = Database(empty_url)
    with db.engine.connect() as conn:
        config = alembic_config(empty_url)
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
        conn.commit()
    created = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with db.write() as conn:
        conn.execute(tables.accounts.insert().values(id=1, name="default", created=created))
        for application_id in (1, 2):
            conn.execute(
                tables.applications.insert().values(
                    id=application_id,
                    account_id=1,
                    name="old",
                    timezone="UTC",
                    currency="EUR",
                    case_sensitivity="sensitive",
                    attributes={},
                    limits=[],
                    default_discount_scope="sessionTotal",
                    default_discount_additional_cost_per_item_scope="price",
                    enable_cascading_discounts=False,
                    enable_flattened_cart_items=False,
                    enable_partial_discounts=False,
                    sandbox=False,
                    created=created,
                    modified=created,
                )
            )
    db.upgrade()
    db.upgrade()  # a second run changes nothing
    with db.read() as conn:
        groups = conn.execute(
            sa.select(tables.campaign_evaluation_groups).order_by(
                tables.campaign_evaluation_groups.c.application_id
            )
        ).all()
        sets = conn.execute(sa.select(tables.campaign_sets.c.application_id)).scalars().all()
    db.dispose()
    assert [(g.application_id, g.parent_id, g.name, g.evaluation_mode) for g in groups] == [
        (1, None, "default", "stackable"),
        (2, None, "default", "stackable"),
    ]
    assert groups[0].created == created
    assert sorted(sets) == [1, 2]
