"""A board user linked to a provider record (the provider role sees only that provider's
patients), and the notes people write on a patient (patient_notes).

Data: packets the submit run handed to staff before the `packet_ready` flag existed (history
"... handed to staff for fax or portal", still submitted, no send recorded after it) get the flag,
so they read "packet ready to send by fax/portal" and sit in the queue as "send", not "chase".

Revision ID: 0015
Revises: 0019
Create Date: 2026-12-04
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0019"
branch_labels: str | None = None
depends_on: str | None = None
HANDED = "%handed to staff for fax or portal%"
PACKET_READY = "packet_ready"


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_users_provider_id"), ["provider_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_users_provider_id_providers"), "providers",
                                    ["provider_id"], ["id"], ondelete="SET NULL")
    op.create_table(
        "patient_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"],
                                name=op.f("fk_patient_notes_patient_id_patients"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_notes")),
    )
    op.create_index(op.f("ix_patient_notes_patient_id"), "patient_notes", ["patient_id"],
                    unique=False)
    _flag_packets_handed_to_staff(op.get_bind())


def _flag_packets_handed_to_staff(bind: Any) -> None:
    authorizations = sa.table("authorizations", sa.column("id", sa.Integer()),
                              sa.column("status", sa.String()), sa.column("flags", sa.JSON()))
    events = sa.table("authorization_events", sa.column("id", sa.Integer()),
                      sa.column("authorization_id", sa.Integer()), sa.column("reason", sa.Text()))
    handed: dict[int, int] = {}  # authorization -> its newest hand-over event
    for auth_id, event_id in bind.execute(sa.select(events.c.authorization_id, events.c.id)
                                          .where(events.c.reason.like(HANDED))):
        handed[auth_id] = max(event_id, handed.get(auth_id, 0))
    for auth_id, event_id in handed.items():
        row = bind.execute(sa.select(authorizations.c.status, authorizations.c.flags)
                           .where(authorizations.c.id == auth_id)).first()
        if row is None or row.status != "submitted" or PACKET_READY in (row.flags or []):
            continue
        sent_since = bind.execute(sa.select(events.c.id).where(
            events.c.authorization_id == auth_id, events.c.id > event_id,
            events.c.reason.like("sent by %"))).first()
        if sent_since is None:
            bind.execute(sa.update(authorizations).where(authorizations.c.id == auth_id)
                         .values(flags=[*(row.flags or []), PACKET_READY]))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_patient_notes_patient_id"), table_name="patient_notes")
    op.drop_table("patient_notes")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_users_provider_id_providers"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_users_provider_id"))
        batch_op.drop_column("provider_id")
