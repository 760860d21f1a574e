"""The filtered upcoming-visits list as a CSV file for spreadsheets."""

from __future__ import annotations

import csv
import io

from tracker.visits.upcoming import UpcomingVisit

COLUMNS = ("date", "mrn", "patient", "provider", "codes", "payer", "verdict", "auth_status",
           "counters", "next_eligible_date", "findings")
# Excel reads a CSV without a byte-order mark in the machine's legacy code page ("×" garbled).
BOM = "\ufeff"
# A cell starting with one of these is read as a formula by spreadsheet programs.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def visits_csv(visits: list[UpcomingVisit]) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for v in visits:
        writer.writerow([_cell(value) for value in (
            v.date.isoformat(), v.mrn, v.patient_name, v.provider, v.codes, v.payer, v.verdict,
            v.auth_status, "; ".join(v.counters), v.next_eligible_date or "",
            "; ".join(v.findings))])
    return out.getvalue()


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
