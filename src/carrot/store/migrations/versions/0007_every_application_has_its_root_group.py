"""every application has its default (root) evaluation group from its creation on

Until now the root group and the campaign set were created on first need, so an application
answered without `defaultEvaluationGroupId` until then. This creates them for the
applications that have none yet; new applications get theirs when they are created.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        sa.text(
            "INSERT INTO campaign_evaluation_groups (application_id, parent_id, position, "
            "created, name, description, evaluation_mode, evaluation_scope, locked) "
            "SELECT a.id, NULL, 0, a.created, 'default', '', 'stackable', 'session', :locked "
            "FROM applications a WHERE NOT EXISTS (SELECT 1 FROM campaign_evaluation_groups g "
            "WHERE g.application_id = a.id AND g.parent_id IS NULL)"
        ).bindparams(sa.bindparam("locked", False, type_=sa.Boolean()))
    )
    op.execute(
        "INSERT INTO campaign_sets (application_id, version, updated) "
        "SELECT a.id, 1, a.created FROM applications a WHERE NOT EXISTS "
        "(SELECT 1 FROM campaign_sets s WHERE s.application_id = a.id)"
    )


def downgrade() -> None:
    """Nothing to undo: the groups and sets made here are what first use would have made."""
