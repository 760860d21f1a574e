"""Hardening: submission leases, board sessions that end, sign-in throttling, the audit trail of
people's changes, and payer notifications recognised when redelivered.

- `submission_attempts.claimed_by` / `lease_expires_at`: the run sending an attempt holds it until
  the lease expires; another run leaves it alone until then.
- `users.session_generation`: every board session carries the generation it was signed in under;
  logging out, changing the password or disabling the user moves it on, ending those sessions.
- `sign_in_failures`: wrong passwords per account and per address, for throttling.
- `audit_events`: who changed what on the board, and when.
- `payer_notifications.bundle_id` (unique with the payer): a notification redelivered with the same
  bundle id is stored once.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("submission_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True),
                                      nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), nullable=False,
                                      server_default="0"))
    with op.batch_alter_table("payer_notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bundle_id", sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(
            op.f("uq_payer_notifications_payer_bundle_id"), ["payer", "bundle_id"])
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index(op.f("ix_sign_in_failures_name"), "sign_in_failures", ["name"])
    op.create_index(op.f("ix_sign_in_failures_address"), "sign_in_failures", ["address"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_audit_events_at"), table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index(op.f("ix_sign_in_failures_address"), table_name="sign_in_failures")
    op.drop_index(op.f("ix_sign_in_failures_name"), table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("payer_notifications", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_payer_notifications_payer_bundle_id"), type_="unique")
        batch_op.drop_column("bundle_id")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_generation")
    with op.batch_alter_table("submission_attempts", schema=None) as batch_op:
        batch_op.drop_column("lease_expires_at")
        batch_op.drop_column("claimed_by")
