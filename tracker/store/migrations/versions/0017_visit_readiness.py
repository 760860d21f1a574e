"""Each scheduled visit's readiness kept beside it (visit_readiness), so the board filters,
counts and pages by readiness in SQL instead of computing it for every visit in range.

Revision ID: 0017
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "visit_readiness",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("readiness", sa.String(length=16), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"],
                                name=op.f("fk_visit_readiness_session_id_sessions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_visit_readiness")),
    )
    op.create_index(op.f("ix_visit_readiness_readiness"), "visit_readiness", ["readiness"],
                    unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_visit_readiness_readiness"), table_name="visit_readiness")
    op.drop_table("visit_readiness")
