"""Each scheduled visit's readiness kept beside it (visit_readiness), so the board filters,
counts and pages by readiness in SQL instead of computing it for every visit in range; triggers
that forget it when its inputs change (tracker.store.readiness_triggers).

Revision ID: 0017
Revises: 0020
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracker.store.readiness_triggers import create_statements, drop_statements

revision: str = "0017"
down_revision: str | None = "0020"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "visit_readiness",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("readiness", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("mrn", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(length=32), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recheck_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"],
                                name=op.f("fk_visit_readiness_session_id_sessions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_visit_readiness")),
    )
    op.create_index("ix_visit_readiness_rank_date_mrn_session_id", "visit_readiness",
                    ["rank", "date", "mrn", "session_id"], unique=False)
    op.create_index("ix_visit_readiness_date_rank", "visit_readiness", ["date", "rank"],
                    unique=False)
    op.create_index(op.f("ix_visit_readiness_recheck_at"), "visit_readiness", ["recheck_at"],
                    unique=False)
    for statement in create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index(op.f("ix_visit_readiness_recheck_at"), table_name="visit_readiness")
    op.drop_index("ix_visit_readiness_date_rank", table_name="visit_readiness")
    op.drop_index("ix_visit_readiness_rank_date_mrn_session_id", table_name="visit_readiness")
    op.drop_table("visit_readiness")
