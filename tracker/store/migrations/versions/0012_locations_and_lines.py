"""The practice's locations (facilities) and a session's location; the spinal levels of a code
line; the outcome, drugs and visit count of a conservative-care episode.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("npi", sa.String(length=10), nullable=True),
        sa.Column("place_of_service", sa.String(length=2), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint("code", name=op.f("uq_locations_code")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_sessions_location_id_locations"), "locations",
                                    ["location_id"], ["id"], ondelete="SET NULL")
    with op.batch_alter_table("session_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("levels", sa.JSON(), nullable=True))
    with op.batch_alter_table("conservative_care", schema=None) as batch_op:
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("drugs", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("visits", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("conservative_care", schema=None) as batch_op:
        for column in ("visits", "drugs", "outcome"):
            batch_op.drop_column(column)
    with op.batch_alter_table("session_codes", schema=None) as batch_op:
        batch_op.drop_column("levels")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_sessions_location_id_locations"), type_="foreignkey")
        batch_op.drop_column("location_id")
    op.drop_table("locations")
