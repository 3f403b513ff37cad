"""coupons, coupon jobs, imports, referrals

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 08:44:46.159921
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import carrot.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_imports_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_imports_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imports")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "coupon_jobs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished", carrot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_coupon_jobs_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_coupon_jobs_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_jobs")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("coupon_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coupon_jobs_application_id_campaign_id"),
            ["application_id", "campaign_id"],
            unique=False,
        )

    op.create_table(
        "coupons",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.Column("value_lookup", sa.String(length=400), nullable=False),
        sa.Column("value_folded", sa.String(length=400), nullable=False),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("usage_limit", sa.Integer(), nullable=False),
        sa.Column("usage_counter", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "discount_limit",
            carrot.store.types.Money(length=64),
            server_default="0",
            nullable=False,
        ),
        sa.Column(
            "discount_counter",
            carrot.store.types.Money(length=64),
            server_default="0",
            nullable=False,
        ),
        sa.Column("reservation_limit", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reservation_counter", sa.Integer(), server_default="0", nullable=False),
        sa.Column("start_date", carrot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("expiry_date", carrot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("recipient_integration_id", sa.String(length=1000), nullable=True),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "limits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("import_id", sa.BigInteger(), nullable=True),
        sa.Column("referral_id", sa.BigInteger(), nullable=True),
        sa.Column("is_reservation_mandatory", sa.Boolean(), nullable=False),
        sa.Column("implicitly_reserved", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_coupons_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_coupons_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint(
            "application_id", "value_lookup", name=op.f("uq_coupons_application_id_value_lookup")
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coupons_application_id_batch_id"),
            ["application_id", "batch_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_coupons_application_id_campaign_id_id"),
            ["application_id", "campaign_id", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_coupons_application_id_recipient_integration_id"),
            ["application_id", "recipient_integration_id"],
            unique=False,
        )

    op.create_table(
        "referrals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "campaign_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("code_lookup", sa.String(length=400), nullable=False),
        sa.Column("code_folded", sa.String(length=400), nullable=False),
        sa.Column("advocate_profile_integration_id", sa.String(length=1000), nullable=False),
        sa.Column("friend_profile_integration_id", sa.String(length=1000), nullable=True),
        sa.Column("start_date", carrot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("expiry_date", carrot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("usage_limit", sa.Integer(), nullable=False),
        sa.Column("usage_counter", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("batch_id", sa.String(length=64), nullable=True),
        sa.Column("import_id", sa.BigInteger(), nullable=True),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_referrals_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_referrals_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint(
            "application_id", "code_lookup", name=op.f("uq_referrals_application_id_code_lookup")
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_referrals_application_id_advocate_profile_integration_id"),
            ["application_id", "advocate_profile_integration_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_referrals_application_id_campaign_id_id"),
            ["application_id", "campaign_id", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_application_id_campaign_id_id"))
        batch_op.drop_index(
            batch_op.f("ix_referrals_application_id_advocate_profile_integration_id")
        )

    op.drop_table("referrals")
    with op.batch_alter_table("coupons", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupons_application_id_recipient_integration_id"))
        batch_op.drop_index(batch_op.f("ix_coupons_application_id_campaign_id_id"))
        batch_op.drop_index(batch_op.f("ix_coupons_application_id_batch_id"))

    op.drop_table("coupons")
    with op.batch_alter_table("coupon_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coupon_jobs_application_id_campaign_id"))

    op.drop_table("coupon_jobs")
    op.drop_table("imports")
