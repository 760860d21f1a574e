"""Each performed session's charge capture kept beside it (charge_checks), so the money figures
sum stored misses instead of reading six months of documented sessions with their lines on
every view; triggers that forget it when the session or its lines change
(tracker.store.charge_triggers); and the readiness triggers of 0017 made again as
tracker.store.forgetting makes them now (on PostgreSQL: planned on an empty table, they scanned
it whole on every change as it grew).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from tracker.store import readiness_triggers
from tracker.store.charge_triggers import create_statements, drop_statements

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "charge_checks",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("rules", sa.String(length=16), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("misses", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"],
                                name=op.f("fk_charge_checks_session_id_sessions"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_charge_checks")),
    )
    op.create_index("ix_charge_checks_rules_date", "charge_checks", ["rules", "date"],
                    unique=False)
    op.create_index("ix_charge_checks_missed_date", "charge_checks", ["rules", "date"],
                    unique=False,
                    sqlite_where=sa.text("missed > 0"), postgresql_where=sa.text("missed > 0"))
    for statement in create_statements(op.get_bind().dialect.name):
        op.execute(statement)
    # visit_readiness's triggers (0017) made again as tracker.store.forgetting makes them now
    dialect = op.get_bind().dialect.name
    for statement in [*readiness_triggers.drop_statements(dialect),
                      *readiness_triggers.create_statements(dialect)]:
        op.execute(statement)


def downgrade() -> None:
    """Downgrade schema."""
    for statement in drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index("ix_charge_checks_missed_date", table_name="charge_checks")
    op.drop_index("ix_charge_checks_rules_date", table_name="charge_checks")
    op.drop_table("charge_checks")
