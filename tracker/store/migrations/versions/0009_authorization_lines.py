"""Authorization lines: each code of a request with the units asked for and approved, so an
approval reads per line (procedures apart from drugs) and can cover a series of sessions; and a
session's source id (the booking's id in the practice system), so a rescheduled booking moves.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "authorization_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authorization_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("modifiers", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("units_requested", sa.Integer(), nullable=False),
        sa.Column("units_approved", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["authorization_id"], ["authorizations.id"],
                                name=op.f("fk_authorization_lines_authorization_id_authorizations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization_lines")),
        sa.UniqueConstraint("authorization_id", "position",
                            name=op.f("uq_authorization_lines_authorization_id_position")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_id", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_sessions_patient_id_source_id", ["patient_id", "source_id"],
                              unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_patient_id_source_id")
        batch_op.drop_column("source_id")
    op.drop_table("authorization_lines")
