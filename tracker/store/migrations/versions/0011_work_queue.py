"""The billing work queue: who owns an authorization, its due date set by hand and its next touch
(authorization_work), the notes people write on it (authorization_notes), and what is done
against a denial — the payer's coded reason, peer-to-peer and appeal levels (denial_steps).

Revision ID: 0011
Revises: 0012
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "authorization_work",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authorization_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("next_touch_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["authorization_id"], ["authorizations.id"],
                                name=op.f("fk_authorization_work_authorization_id_authorizations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization_work")),
        sa.UniqueConstraint("authorization_id",
                            name=op.f("uq_authorization_work_authorization_id")),
    )
    op.create_index(op.f("ix_authorization_work_owner"), "authorization_work", ["owner"],
                    unique=False)
    op.create_table(
        "authorization_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authorization_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["authorization_id"], ["authorizations.id"],
                                name=op.f("fk_authorization_notes_authorization_id_authorizations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorization_notes")),
    )
    op.create_index(op.f("ix_authorization_notes_authorization_id"), "authorization_notes",
                    ["authorization_id"], unique=False)
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("denial_code", sa.String(length=32), nullable=True))
    op.create_table(
        "denial_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authorization_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("denied_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("physician", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["authorization_id"], ["authorizations.id"],
                                name=op.f("fk_denial_steps_authorization_id_authorizations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_denial_steps")),
    )
    op.create_index(op.f("ix_denial_steps_authorization_id"), "denial_steps",
                    ["authorization_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_denial_steps_authorization_id"), table_name="denial_steps")
    op.drop_table("denial_steps")
    with op.batch_alter_table("authorizations", schema=None) as batch_op:
        batch_op.drop_column("denial_code")
    op.drop_index(op.f("ix_authorization_notes_authorization_id"), table_name="authorization_notes")
    op.drop_table("authorization_notes")
    op.drop_index(op.f("ix_authorization_work_owner"), table_name="authorization_work")
    op.drop_table("authorization_work")
