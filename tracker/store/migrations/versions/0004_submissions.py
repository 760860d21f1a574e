"""Submission attempts, follow-up timing on authorizations, and received payer notifications.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.String(length=16), nullable=False,
                                      server_default="standard"))
        batch_op.add_column(sa.Column("decision_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_check_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("checks", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("flags", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "submission_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authorization_id", sa.Integer(), nullable=False),
        sa.Column("bundle_identifier", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["authorization_id"], ["authorizations.id"],
                                name=op.f("fk_submission_attempts_authorization_id_authorizations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_attempts")),
        sa.UniqueConstraint("bundle_identifier",
                            name=op.f("uq_submission_attempts_bundle_identifier")),
    )
    op.create_index(op.f("ix_submission_attempts_authorization_id"), "submission_attempts",
                    ["authorization_id"], unique=False)
    op.create_table(
        "payer_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payer", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("authorization_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["authorization_id"], ["authorizations.id"],
                                name=op.f("fk_payer_notifications_authorization_id_authorizations"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer_notifications")),
    )
    op.create_index(op.f("ix_payer_notifications_payer"), "payer_notifications", ["payer"],
                    unique=False)
    op.create_index(op.f("ix_payer_notifications_authorization_id"), "payer_notifications",
                    ["authorization_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_payer_notifications_authorization_id"), table_name="payer_notifications")
    op.drop_index(op.f("ix_payer_notifications_payer"), table_name="payer_notifications")
    op.drop_table("payer_notifications")
    op.drop_index(op.f("ix_submission_attempts_authorization_id"), table_name="submission_attempts")
    op.drop_table("submission_attempts")
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.drop_column("flags")
        batch_op.drop_column("checks")
        batch_op.drop_column("next_check_at")
        batch_op.drop_column("decision_due_at")
        batch_op.drop_column("priority")
