"""The upcoming visits as a terminal table: `painauth status` and the demo's scheduler's board."""

from __future__ import annotations

from rich.table import Table

from tracker.visits.upcoming import UpcomingVisit

VERDICT_STYLE = {"blocked": "bold red", "needs_documentation": "yellow", "needs_auth": "cyan",
                 "ok": "green"}


def visits_table(visits: list[UpcomingVisit], title: str) -> Table:
    table = Table(title=title)
    for column in ("date", "MRN", "patient", "provider", "codes", "payer", "verdict", "auth",
                   "counters", "next eligible"):
        table.add_column(column, overflow="fold")
    for v in visits:
        style = VERDICT_STYLE.get(v.verdict, "magenta")
        table.add_row(v.date.isoformat(), v.mrn, v.patient_name, v.provider, v.codes, v.payer,
                      f"[{style}]{v.verdict}[/]", v.auth_status, "\n".join(v.counters),
                      v.next_eligible_date or "")
    return table
