"""Evidence detail a reviewer reads: pain and function scores before and after a session, the
evaluator of a psychological evaluation, and the imaging studies on file (imaging_studies).

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pain_before", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pain_after", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("function_scale", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("function_before", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("function_after", sa.Float(), nullable=True))
    with op.batch_alter_table("psych_evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evaluator", sa.String(length=120), nullable=True))
    op.create_table(
        "imaging_studies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("modality", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("impression", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"],
                                name=op.f("fk_imaging_studies_patient_id_patients"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_imaging_studies")),
        sa.UniqueConstraint("patient_id", "date", "modality", "region",
                            name=op.f("uq_imaging_studies_patient_id_date_modality_region")),
    )
    op.create_index(op.f("ix_imaging_studies_patient_id"), "imaging_studies", ["patient_id"],
                    unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_imaging_studies_patient_id"), table_name="imaging_studies")
    op.drop_table("imaging_studies")
    with op.batch_alter_table("psych_evaluations", schema=None) as batch_op:
        batch_op.drop_column("evaluator")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        for name in ("function_after", "function_before", "function_scale", "pain_after",
                     "pain_before"):
            batch_op.drop_column(name)
