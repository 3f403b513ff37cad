"""core: accounts, applications, keys, attributes, profiles, sessions, events, returns

Revision ID: 0001
Revises:
Create Date: 2026-11-26 07:37:30.413175
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import carrot.store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "additional_costs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column(
            "subscribed_applications_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_additional_costs_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_additional_costs")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_additional_costs_account_id_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("modified", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("case_sensitivity", sa.String(length=20), nullable=False),
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
        sa.Column("default_discount_scope", sa.String(length=20), nullable=False),
        sa.Column(
            "default_discount_additional_cost_per_item_scope", sa.String(length=20), nullable=False
        ),
        sa.Column("enable_cascading_discounts", sa.Boolean(), nullable=False),
        sa.Column("enable_flattened_cart_items", sa.Boolean(), nullable=False),
        sa.Column("enable_partial_discounts", sa.Boolean(), nullable=False),
        sa.Column("sandbox", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_applications_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "attributes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "suggestions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("has_allowed_list", sa.Boolean(), nullable=False),
        sa.Column("restricted_by_suggestions", sa.Boolean(), nullable=False),
        sa.Column("editable", sa.Boolean(), nullable=False),
        sa.Column(
            "subscribed_applications_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_attributes_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attributes")),
        sa.UniqueConstraint(
            "account_id",
            "entity",
            "event_type",
            "name",
            name=op.f("uq_attributes_account_id_entity_event_type_name"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "customer_profiles",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("sandbox", sa.Boolean(), nullable=False),
        sa.Column("integration_id", sa.String(length=1000), nullable=False),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("closed_sessions", sa.Integer(), server_default="0", nullable=False),
        sa.Column("total_sales", carrot.store.types.Money(length=64), nullable=False),
        sa.Column("last_activity", carrot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_customer_profiles_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_profiles")),
        sa.UniqueConstraint(
            "account_id",
            "sandbox",
            "integration_id",
            name=op.f("uq_customer_profiles_account_id_sandbox_integration_id"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "event_types",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("name", sa.String(length=1000), nullable=False),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_event_types_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_types")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_event_types_account_id_name")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "management_keys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "allowed_application_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("expires", carrot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_management_keys_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_management_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_management_keys_key_hash")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("title", sa.String(length=1000), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=20), server_default="", nullable=False),
        sa.Column("platform", sa.String(length=40), server_default="none", nullable=False),
        sa.Column("time_offset", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("expires", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_api_keys_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_api_keys_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "customer_sessions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("integration_id", sa.String(length=1000), nullable=False),
        sa.Column(
            "profile_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "profile_integration_id", sa.String(length=1000), server_default="", nullable=False
        ),
        sa.Column("store_integration_id", sa.String(length=1000), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column(
            "coupon_codes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("referral_code", sa.String(length=100), server_default="", nullable=False),
        sa.Column(
            "loyalty_cards",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "cart_items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "additional_costs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "identifiers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("first_session", sa.Boolean(), nullable=False),
        sa.Column("update_count", sa.Integer(), nullable=False),
        sa.Column("total", carrot.store.types.Money(length=64), nullable=False),
        sa.Column("cart_item_total", carrot.store.types.Money(length=64), nullable=False),
        sa.Column("additional_cost_total", carrot.store.types.Money(length=64), nullable=False),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", carrot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", carrot.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_customer_sessions_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["customer_profiles.id"],
            name=op.f("fk_customer_sessions_profile_id_customer_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_sessions")),
        sa.UniqueConstraint(
            "application_id",
            "integration_id",
            name=op.f("uq_customer_sessions_application_id_integration_id"),
        ),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("customer_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_customer_sessions_application_id_profile_id"),
            ["application_id", "profile_id"],
            unique=False,
        )

    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "profile_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "profile_integration_id", sa.String(length=1000), server_default="", nullable=False
        ),
        sa.Column(
            "session_integration_id", sa.String(length=1000), server_default="", nullable=False
        ),
        sa.Column("store_integration_id", sa.String(length=1000), nullable=True),
        sa.Column("type", sa.String(length=1000), nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "effects",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "meta",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_events_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["customer_profiles.id"],
            name=op.f("fk_events_profile_id_customer_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["customer_sessions.id"],
            name=op.f("fk_events_session_id_customer_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_events_application_id_profile_id"),
            ["application_id", "profile_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_events_application_id_session_id"),
            ["application_id", "session_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_events_application_id_type"), ["application_id", "type"], unique=False
        )

    op.create_table(
        "returns",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "application_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "session_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "profile_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created", carrot.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "returned_cart_items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_returns_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_returns_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_returns_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["customer_profiles.id"],
            name=op.f("fk_returns_profile_id_customer_profiles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["customer_sessions.id"],
            name=op.f("fk_returns_session_id_customer_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_returns")),
        sa.UniqueConstraint(
            "application_id",
            "session_id",
            "idempotency_key",
            name=op.f("uq_returns_application_id_session_id_idempotency_key"),
        ),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("returns")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_application_id_type"))
        batch_op.drop_index(batch_op.f("ix_events_application_id_session_id"))
        batch_op.drop_index(batch_op.f("ix_events_application_id_profile_id"))

    op.drop_table("events")
    with op.batch_alter_table("customer_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_sessions_application_id_profile_id"))

    op.drop_table("customer_sessions")
    op.drop_table("api_keys")
    op.drop_table("management_keys")
    op.drop_table("event_types")
    op.drop_table("customer_profiles")
    op.drop_table("attributes")
    op.drop_table("applications")
    op.drop_table("additional_costs")
    op.drop_table("accounts")
