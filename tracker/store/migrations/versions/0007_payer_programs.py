"""Payer programs: coverages carry a plan type, sessions their state, medication reduction and
why RFA is not an option, authorizations their program, and the practice's exemptions ("gold
cards") get a table.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("coverages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_type", sa.String(length=32), nullable=True))
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("medication_reduction_percent", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("service_state", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("rfa_not_an_option", sa.Text(), nullable=True))
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("program", sa.String(length=64), nullable=True))
    op.create_table(
        "exemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payer", sa.String(length=64), nullable=False),
        sa.Column("program", sa.String(length=64), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("service_group", sa.String(length=64), nullable=True),
        sa.Column("provider_npi", sa.String(length=10), nullable=True),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_exemptions_payer", "exemptions", ["payer"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_exemptions_payer", table_name="exemptions")
    op.drop_table("exemptions")
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.drop_column("program")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("rfa_not_an_option")
        batch_op.drop_column("service_state")
        batch_op.drop_column("medication_reduction_percent")
    with op.batch_alter_table("coverages", schema=None) as batch_op:
        batch_op.drop_column("plan_type")
