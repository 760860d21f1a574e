"""The upcoming visits as a terminal table: `painauth status` and the demo's scheduler's board.
Readiness first, then the reason and what to do, as on the board."""

from __future__ import annotations

from rich.table import Table

from tracker.visits.readiness import READINESS_WORDS
from tracker.visits.upcoming import UpcomingVisit, readiness_counts

VERDICT_STYLE = {"blocked": "bold red", "needs_documentation": "yellow", "needs_auth": "cyan",
                 "ok": "green"}
READINESS_STYLE = {"stop": "bold red", "act": "yellow", "waiting": "cyan", "clear": "green"}


def visits_table(visits: list[UpcomingVisit], title: str,
                 every: list[UpcomingVisit] | None = None) -> Table:
    """The title counts `every` visit per readiness (default: the ones shown)."""
    counts = readiness_counts(every if every is not None else visits)
    table = Table(title=f"{title} — " + ", ".join(
        f"{n} {READINESS_WORDS[name].lower()}" for name, n in counts.items()))
    for column in ("readiness", "date", "MRN", "patient", "codes", "payer",
                   "why, and what to do", "auth", "counters", "next eligible"):
        table.add_column(column, overflow="fold")
    for v in visits:
        name = v.readiness.readiness
        auth = v.auth_status + (f" {v.auth_number}" if v.auth_number else "") \
            + (f" to {v.auth_valid_to}" if v.auth_valid_to else "")
        table.add_row(f"[{READINESS_STYLE[name]}]{READINESS_WORDS[name]}[/]", v.date.isoformat(),
                      v.mrn, v.patient_name, v.codes, v.payer,
                      f"{' '.join(v.reasons)}: {v.next_action}", auth, "\n".join(v.counters),
                      v.readiness.next_eligible_date or "")
    return table
