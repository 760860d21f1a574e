"""The practice's money: the fee schedule, the readiness history of scheduled visits, and what a
performed session's procedure note documents (imaging guidance, drugs given).

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "fee_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payer", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("per_unit", sa.Boolean(), nullable=False),
        sa.Column("effective_start", sa.Date(), nullable=False),
        sa.Column("effective_end", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_schedule")),
        sa.UniqueConstraint("payer", "code", "effective_start",
                            name=op.f("uq_fee_schedule_payer_code_effective_start")),
    )
    op.create_table(
        "readiness_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("readiness", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"],
                                name=op.f("fk_readiness_changes_session_id_sessions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_changes")),
    )
    op.create_index("ix_readiness_changes_session_id_at", "readiness_changes",
                    ["session_id", "at"], unique=False)
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("guidance", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("drugs_given", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("drugs_given")
        batch_op.drop_column("guidance")
    op.drop_index("ix_readiness_changes_session_id_at", table_name="readiness_changes")
    op.drop_table("readiness_changes")
    op.drop_table("fee_schedule")
