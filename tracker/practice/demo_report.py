"""The demo's closing pages: what billing sees of the authorizations, the packets for staff, and
the alerts providers received."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.table import Table
from sqlalchemy import Engine, select
from sqlmodel import col

from notifications.listing import alert_lines
from tracker.store.tables import AuthorizationRow, PatientRow, SessionRow

EXAMPLES_PER_STATUS = 3


def authorizations_table(engine: Engine) -> Table:
    """Authorizations by status, with a few examples each: the payer's word and the flags."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(col(AuthorizationRow.id), col(AuthorizationRow.status),
                   col(AuthorizationRow.payer), col(AuthorizationRow.auth_number),
                   col(AuthorizationRow.valid_to), col(AuthorizationRow.flags),
                   col(AuthorizationRow.decision_reason), col(AuthorizationRow.missing_items),
                   col(PatientRow.mrn), col(SessionRow.date))
            .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
            .join(PatientRow, col(PatientRow.id) == col(SessionRow.patient_id))
            .order_by(col(AuthorizationRow.status), col(SessionRow.date))).all()
    counts = Counter(row.status for row in rows)
    table = Table(title="Billing's view: authorizations by status ("
                  + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) + ")")
    for column in ("id", "status", "payer", "MRN", "visit", "auth number", "valid to", "flags",
                   "payer's word / what is missing"):
        table.add_column(column, overflow="fold")
    shown: Counter[str] = Counter()
    for row in rows:
        if shown[row.status] >= EXAMPLES_PER_STATUS:
            continue
        shown[row.status] += 1
        why = row.decision_reason or "; ".join(row.missing_items or []) or ""
        table.add_row(str(row.id), row.status, row.payer, row.mrn, str(row.date),
                      row.auth_number or "", str(row.valid_to or ""), ", ".join(row.flags or []),
                      why[:160])
    return table


def packets_summary(folder: Path) -> str:
    packets = sorted(folder.glob("*.pdf"))
    if not packets:
        return "No packets were written."
    listed = "\n".join(f"  {p}" for p in packets[:5])
    more = f"\n  … and {len(packets) - 5} more in {folder}" if len(packets) > 5 else ""
    return f"\n[bold]PDF packets[/] for payer reviewers and for fax/portal staff:\n{listed}{more}"


def alerts_table(engine: Engine, outbox: Path) -> Table:
    lines = alert_lines(engine)
    table = Table(title=f"Providers' alerts ({len(lines)}; the messages are in {outbox})")
    for column in ("alert", "kind", "provider", "patient ref", "visit", "urgency", "status",
                   "delivered by"):
        table.add_column(column, overflow="fold")
    for line in lines[:15]:
        table.add_row(str(line.id), line.kind_words, line.provider, line.reference,
                      line.visit_date or "", line.urgency, line.status,
                      ", ".join(f"{d.channel} {d.status}" for d in line.deliveries))
    return table
