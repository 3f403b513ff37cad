"""Sessions keep the effects in force; case sensitivity values fit their column.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# SQLite recreates a table to alter it; the copy keeps AUTOINCREMENT so ids are never reused.
KEEP_IDS = {"sqlite_autoincrement": True}
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("customer_sessions", table_kwargs=KEEP_IDS) as batch:
        batch.add_column(sa.Column("effects", JSON, nullable=False, server_default="[]"))
    with op.batch_alter_table("applications", table_kwargs=KEEP_IDS) as batch:
        batch.alter_column(
            "case_sensitivity",
            existing_type=sa.String(20),
            type_=sa.String(40),
            existing_nullable=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("applications", table_kwargs=KEEP_IDS) as batch:
        batch.alter_column(
            "case_sensitivity",
            existing_type=sa.String(40),
            type_=sa.String(20),
            existing_nullable=False,
        )
    with op.batch_alter_table("customer_sessions", table_kwargs=KEEP_IDS) as batch:
        batch.drop_column("effects")
