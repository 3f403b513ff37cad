"""The schema. Tables that grow with traffic lead with the application (or account) id,
so PostgreSQL can partition or distribute them by tenant without a redesign."""

from __future__ import annotations

import sqlalchemy as sa

from carrot.store.types import JsonDocument, Money, UtcDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)


def _ref(name: str, target: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(
        name,
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey(target, ondelete="CASCADE"),
        nullable=nullable,
    )


accounts = sa.Table(
    "accounts",
    metadata,
    _id(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created", UtcDateTime(), nullable=False),
)

management_keys = sa.Table(
    "management_keys",
    metadata,
    _id(),
    _ref("account_id", "accounts.id"),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("allowed_application_ids", JsonDocument, nullable=True),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("expires", UtcDateTime(), nullable=True),
)

applications = sa.Table(
    "applications",
    metadata,
    _id(),
    _ref("account_id", "accounts.id"),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("modified", UtcDateTime(), nullable=False),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("case_sensitivity", sa.String(40), nullable=False),
    sa.Column("attributes", JsonDocument, nullable=False),
    sa.Column("limits", JsonDocument, nullable=False),
    sa.Column("default_discount_scope", sa.String(20), nullable=False),
    sa.Column("default_discount_additional_cost_per_item_scope", sa.String(20), nullable=False),
    sa.Column("enable_cascading_discounts", sa.Boolean(), nullable=False),
    sa.Column("enable_flattened_cart_items", sa.Boolean(), nullable=False),
    sa.Column("enable_partial_discounts", sa.Boolean(), nullable=False),
    sa.Column("sandbox", sa.Boolean(), nullable=False),
    # Bumped in the same transaction as any change to the application's campaigns, so a
    # process compares one integer to know its compiled-rule cache is current.
    sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    _ref("account_id", "accounts.id"),
    sa.Column("title", sa.String(1000), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("type", sa.String(20), nullable=False, server_default=""),
    sa.Column("platform", sa.String(40), nullable=False, server_default="none"),
    sa.Column("time_offset", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("expires", UtcDateTime(), nullable=False),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.Integer(), nullable=False, server_default="0"),
)

event_types = sa.Table(
    "event_types",
    metadata,
    _id(),
    _ref("account_id", "accounts.id"),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("title", sa.String(1000), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.UniqueConstraint("account_id", "name"),
)

attributes = sa.Table(
    "attributes",
    metadata,
    _id(),
    _ref("account_id", "accounts.id"),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("entity", sa.String(40), nullable=False),
    # "" for every entity but Event, whose attributes belong to one event type.
    sa.Column("event_type", sa.String(1000), nullable=False, server_default=""),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("title", sa.String(1000), nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("suggestions", JsonDocument, nullable=False),
    sa.Column("has_allowed_list", sa.Boolean(), nullable=False),
    sa.Column("restricted_by_suggestions", sa.Boolean(), nullable=False),
    sa.Column("editable", sa.Boolean(), nullable=False),
    sa.Column("subscribed_applications_ids", JsonDocument, nullable=False),
    sa.UniqueConstraint("account_id", "entity", "event_type", "name"),
)

additional_costs = sa.Table(
    "additional_costs",
    metadata,
    _id(),
    _ref("account_id", "accounts.id"),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("title", sa.String(1000), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("subscribed_applications_ids", JsonDocument, nullable=False),
    sa.UniqueConstraint("account_id", "name"),
)

customer_profiles = sa.Table(
    "customer_profiles",
    metadata,
    _id(),
    _ref("account_id", "accounts.id"),
    # Profiles are shared by the account's applications of one environment (sandbox or live).
    sa.Column("sandbox", sa.Boolean(), nullable=False),
    sa.Column("integration_id", sa.String(1000), nullable=False),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("updated", UtcDateTime(), nullable=False),
    sa.Column("attributes", JsonDocument, nullable=False),
    sa.Column("closed_sessions", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("total_sales", Money(), nullable=False),
    sa.Column("last_activity", UtcDateTime(), nullable=True),
    sa.UniqueConstraint("account_id", "sandbox", "integration_id"),
)

customer_sessions = sa.Table(
    "customer_sessions",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    sa.Column("integration_id", sa.String(1000), nullable=False),
    _ref("profile_id", "customer_profiles.id", nullable=True),
    sa.Column("profile_integration_id", sa.String(1000), nullable=False, server_default=""),
    sa.Column("store_integration_id", sa.String(1000), nullable=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("coupon_codes", JsonDocument, nullable=False),
    sa.Column("referral_code", sa.String(100), nullable=False, server_default=""),
    sa.Column("loyalty_cards", JsonDocument, nullable=False),
    sa.Column("cart_items", JsonDocument, nullable=False),
    sa.Column("additional_costs", JsonDocument, nullable=False),
    sa.Column("identifiers", JsonDocument, nullable=False),
    sa.Column("attributes", JsonDocument, nullable=False),
    sa.Column("first_session", sa.Boolean(), nullable=False),
    sa.Column("update_count", sa.Integer(), nullable=False),
    # The effects in force: what the last evaluation gave, less what was rolled back since.
    sa.Column("effects", JsonDocument, nullable=False, server_default="[]"),
    sa.Column("total", Money(), nullable=False),
    sa.Column("cart_item_total", Money(), nullable=False),
    sa.Column("additional_cost_total", Money(), nullable=False),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("updated", UtcDateTime(), nullable=False),
    sa.Column("closed_at", UtcDateTime(), nullable=True),
    sa.Column("cancelled_at", UtcDateTime(), nullable=True),
    sa.UniqueConstraint("application_id", "integration_id"),
    sa.Index(None, "application_id", "profile_id"),
)

events = sa.Table(
    "events",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    _ref("profile_id", "customer_profiles.id", nullable=True),
    _ref("session_id", "customer_sessions.id", nullable=True),
    sa.Column("profile_integration_id", sa.String(1000), nullable=False, server_default=""),
    sa.Column("session_integration_id", sa.String(1000), nullable=False, server_default=""),
    sa.Column("store_integration_id", sa.String(1000), nullable=True),
    sa.Column("type", sa.String(1000), nullable=False),
    sa.Column("attributes", JsonDocument, nullable=False),
    sa.Column("effects", JsonDocument, nullable=False),
    sa.Column("meta", JsonDocument, nullable=False),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Index(None, "application_id", "type"),
    sa.Index(None, "application_id", "session_id"),
    sa.Index(None, "application_id", "profile_id"),
)

returns = sa.Table(
    "returns",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    _ref("account_id", "accounts.id"),
    _ref("session_id", "customer_sessions.id"),
    _ref("event_id", "events.id"),
    _ref("profile_id", "customer_profiles.id", nullable=True),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("returned_cart_items", JsonDocument, nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=True),
    sa.UniqueConstraint("application_id", "session_id", "idempotency_key"),
)

# --- campaigns -------------------------------------------------------------------------

# The version of an application's evaluation tree (Talon.One's CampaignSet), bumped by every
# change to it; created with the application's root evaluation group.
campaign_sets = sa.Table(
    "campaign_sets",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("updated", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("application_id"),
)

campaign_evaluation_groups = sa.Table(
    "campaign_evaluation_groups",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    # NULL for the application's root group. Not cascading: a group with subgroups is kept.
    sa.Column(
        "parent_id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("campaign_evaluation_groups.id"),
        nullable=True,
    ),
    # Campaigns and subgroups share one ordering inside their parent group.
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("evaluation_mode", sa.String(20), nullable=False),
    sa.Column("evaluation_scope", sa.String(20), nullable=False),
    sa.Column("locked", sa.Boolean(), nullable=False),
    sa.Index(None, "application_id", "parent_id"),
)

campaigns = sa.Table(
    "campaigns",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    # Not cascading: a group that holds campaigns cannot be deleted.
    sa.Column(
        "evaluation_group_id",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        sa.ForeignKey("campaign_evaluation_groups.id"),
        nullable=False,
    ),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("updated", UtcDateTime(), nullable=False),
    sa.Column("user_id", sa.BigInteger(), nullable=False),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("start_time", UtcDateTime(), nullable=True),
    sa.Column("end_time", UtcDateTime(), nullable=True),
    sa.Column("attributes", JsonDocument, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("tags", JsonDocument, nullable=False),
    sa.Column("features", JsonDocument, nullable=False),
    sa.Column("limits", JsonDocument, nullable=False),
    sa.Column("coupon_settings", JsonDocument, nullable=True),
    sa.Column("referral_settings", JsonDocument, nullable=True),
    sa.Column("linked_store_ids", JsonDocument, nullable=False),
    sa.Column("campaign_groups", JsonDocument, nullable=False),
    # One of the campaign's rulesets (no foreign key: rulesets point at their campaign).
    sa.Column("active_ruleset_id", sa.BigInteger(), nullable=True),
    sa.Index(None, "application_id", "evaluation_group_id"),
)

rulesets = sa.Table(
    "rulesets",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    _ref("campaign_id", "campaigns.id"),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("user_id", sa.BigInteger(), nullable=False),
    sa.Column("rules", JsonDocument, nullable=False),
    sa.Column("strikethrough_rules", JsonDocument, nullable=False),
    sa.Column("bindings", JsonDocument, nullable=False),
    sa.Column("rb_version", sa.String(100), nullable=False, server_default=""),
    sa.Column("activated_at", UtcDateTime(), nullable=True),
    sa.Index(None, "application_id", "campaign_id"),
)

custom_effects = sa.Table(
    "custom_effects",
    metadata,
    _id(),
    _ref("account_id", "accounts.id"),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("modified", UtcDateTime(), nullable=False),
    sa.Column("created_by", sa.BigInteger(), nullable=False),
    sa.Column("modified_by", sa.BigInteger(), nullable=True),
    # Empty: every application of the account.
    sa.Column("application_ids", JsonDocument, nullable=False),
    sa.Column("is_per_item", sa.Boolean(), nullable=False),
    sa.Column("name", sa.String(1000), nullable=False),
    sa.Column("title", sa.String(1000), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("description", sa.Text(), nullable=False, server_default=""),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("params", JsonDocument, nullable=False),
    sa.UniqueConstraint("account_id", "name"),
)


# --- coupons and referrals -------------------------------------------------------------

# A code's `*_lookup` is the code as the application's caseSensitivity normalises it, the key
# sessions look codes up by, unique within the application; `*_folded` keeps only its
# letters and digits, lower-cased, for the lists' fuzzy `value`/`code` filter. Counters only
# change through guarded updates (`… WHERE usage_limit = 0 OR usage_counter + :n <=
# usage_limit`); limits of 0 mean unlimited.
coupons = sa.Table(
    "coupons",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    _ref("campaign_id", "campaigns.id"),
    sa.Column("value", sa.String(100), nullable=False),
    sa.Column("value_lookup", sa.String(400), nullable=False),
    sa.Column("value_folded", sa.String(400), nullable=False),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Column("usage_limit", sa.Integer(), nullable=False),
    sa.Column("usage_counter", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("discount_limit", Money(), nullable=False, server_default="0"),
    sa.Column("discount_counter", Money(), nullable=False, server_default="0"),
    sa.Column("reservation_limit", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("reservation_counter", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("start_date", UtcDateTime(), nullable=True),
    sa.Column("expiry_date", UtcDateTime(), nullable=True),
    sa.Column("recipient_integration_id", sa.String(1000), nullable=True),
    sa.Column("attributes", JsonDocument, nullable=False),
    # Per-profile limits overriding the campaign's, as LimitConfig documents.
    sa.Column("limits", JsonDocument, nullable=False),
    sa.Column("batch_id", sa.String(64), nullable=False),
    # The import that created it (imports.id), the referral whose effect created it.
    sa.Column("import_id", sa.BigInteger(), nullable=True),
    sa.Column("referral_id", sa.BigInteger(), nullable=True),
    sa.Column("is_reservation_mandatory", sa.Boolean(), nullable=False),
    sa.Column("implicitly_reserved", sa.Boolean(), nullable=False),
    sa.UniqueConstraint("application_id", "value_lookup"),
    sa.Index(None, "application_id", "campaign_id", "id"),
    sa.Index(None, "application_id", "batch_id"),
    sa.Index(None, "application_id", "recipient_integration_id"),
    # The few coupons every profile's inventory lists ("coupon visibility").
    sa.Index(
        "ix_coupons_implicitly_reserved",
        "application_id",
        "id",
        postgresql_where=sa.text("implicitly_reserved"),
        sqlite_where=sa.text("implicitly_reserved = 1"),
    ),
)

# Background coupon generation (POST …/coupons_async): written by the thread running it,
# batch by batch, in the same transaction as the coupons of each batch.
coupon_jobs = sa.Table(
    "coupon_jobs",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    _ref("campaign_id", "campaigns.id"),
    sa.Column("batch_id", sa.String(64), nullable=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("created_count", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("error", sa.Text(), nullable=False, server_default=""),
    sa.Column("created", UtcDateTime(), nullable=False),
    # Touched with every batch: a pending job not touched for long lost its server.
    sa.Column("updated", UtcDateTime(), nullable=False),
    sa.Column("finished", UtcDateTime(), nullable=True),
    sa.Index(None, "application_id", "campaign_id"),
)

# CSV imports of coupons and referrals (Talon.One's Import).
imports = sa.Table(
    "imports",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    _ref("account_id", "accounts.id"),
    sa.Column("user_id", sa.BigInteger(), nullable=False),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("amount", sa.Integer(), nullable=False),
    sa.Column("created", UtcDateTime(), nullable=False),
)

referrals = sa.Table(
    "referrals",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    _ref("campaign_id", "campaigns.id"),
    sa.Column("code", sa.String(100), nullable=False),
    sa.Column("code_lookup", sa.String(400), nullable=False),
    sa.Column("code_folded", sa.String(400), nullable=False),
    sa.Column("advocate_profile_integration_id", sa.String(1000), nullable=False),
    sa.Column("friend_profile_integration_id", sa.String(1000), nullable=True),
    sa.Column("start_date", UtcDateTime(), nullable=True),
    sa.Column("expiry_date", UtcDateTime(), nullable=True),
    sa.Column("usage_limit", sa.Integer(), nullable=False),
    sa.Column("usage_counter", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("attributes", JsonDocument, nullable=False),
    sa.Column("batch_id", sa.String(64), nullable=True),
    sa.Column("import_id", sa.BigInteger(), nullable=True),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.UniqueConstraint("application_id", "code_lookup"),
    sa.Index(None, "application_id", "campaign_id", "id"),
    sa.Index(None, "application_id", "advocate_profile_integration_id"),
)


# --- budgets and ledgers -----------------------------------------------------------------

# One counter per (campaign, action, entity values, period) of a campaign's limits, made the
# first time a session may consume it. `entity_key` names the entity values ("" campaign-wide);
# its SHA-256 (`entity_hash`) keeps the unique index short whatever the values' length.
# `counter` only changes through the guarded updates of store/ledger.py.
budget_counters = sa.Table(
    "budget_counters",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    _ref("campaign_id", "campaigns.id"),
    sa.Column("action", sa.String(40), nullable=False),
    sa.Column("entity_key", sa.Text(), nullable=False),
    sa.Column("entity_hash", sa.String(64), nullable=False),
    sa.Column("period_key", sa.String(16), nullable=False),
    sa.Column("counter", Money(), nullable=False),
    sa.UniqueConstraint(
        "application_id",
        "campaign_id",
        "action",
        "period_key",
        "entity_hash",
        name="uq_budget_counters_key",
    ),
)

# Every change of a limited counter (coupon usage and discount, referral usage, budget), one
# row each, written in the transaction that changes the counter: positive when a session,
# event or profile update consumes, negative when a cancel, reopen or return gives back.
# Counters can always be recomputed from it (`carrot check-ledgers`). No foreign keys but
# the application's: the ledger outlives the sessions and codes it mentions.
ledger = sa.Table(
    "ledger",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("coupon_id", sa.BigInteger(), nullable=True),
    sa.Column("referral_id", sa.BigInteger(), nullable=True),
    sa.Column("budget_counter_id", sa.BigInteger(), nullable=True),
    sa.Column("campaign_id", sa.BigInteger(), nullable=False),
    sa.Column("session_id", sa.BigInteger(), nullable=True),
    sa.Column("event_id", sa.BigInteger(), nullable=True),
    sa.Column("amount", Money(), nullable=False),
    sa.Column("reason", sa.String(20), nullable=False),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.Index(None, "application_id", "session_id"),
)

# Who holds a reservation of a coupon (POST /v1/coupon_reservations, the reserveCoupon effect).
coupon_reservations = sa.Table(
    "coupon_reservations",
    metadata,
    _id(),
    _ref("application_id", "applications.id"),
    _ref("coupon_id", "coupons.id"),
    sa.Column("profile_integration_id", sa.String(1000), nullable=False),
    sa.Column("created", UtcDateTime(), nullable=False),
    sa.UniqueConstraint(
        "application_id",
        "coupon_id",
        "profile_integration_id",
        name="uq_coupon_reservations_holder",
    ),
    sa.Index(None, "application_id", "profile_integration_id"),
)

# Ids are never reused on SQLite either (AUTOINCREMENT): a deleted application's id coming back
# would meet caches and clients that still know the old one.
for _table in metadata.tables.values():
    _table.dialect_options["sqlite"]["autoincrement"] = True
