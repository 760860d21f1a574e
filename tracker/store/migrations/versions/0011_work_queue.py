"""The billing work queue: who owns an authorization, its due date set by hand and its next touch
(authorization_work), and the notes people write on it (authorization_notes).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
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


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_authorization_notes_authorization_id"), table_name="authorization_notes")
    op.drop_table("authorization_notes")
    op.drop_index(op.f("ix_authorization_work_owner"), table_name="authorization_work")
    op.drop_table("authorization_work")
