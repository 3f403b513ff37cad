"""coupons: a partial index of the implicitly reserved ones, which every inventory lists

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_coupons_implicitly_reserved",
        "coupons",
        ["application_id", "id"],
        postgresql_where=sa.text("implicitly_reserved"),
        sqlite_where=sa.text("implicitly_reserved = 1"),
    )


def downgrade() -> None:
    op.drop_index("ix_coupons_implicitly_reserved", table_name="coupons")
