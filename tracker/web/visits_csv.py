"""The filtered upcoming-visits list as a CSV file for spreadsheets, written as it is read."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from tracker.visits.upcoming import UpcomingVisit

COLUMNS = ("readiness", "reasons", "next_action", "session_id", "date", "mrn", "patient",
           "provider", "codes", "payer", "verdict", "auth_status", "auth_number", "auth_valid_from",
           "auth_valid_to", "auth_units", "counters", "next_eligible_date", "findings")
# Excel reads a CSV without a byte-order mark in the machine's legacy code page ("×" garbled).
BOM = "\ufeff"
# A cell starting with one of these is read as a formula by spreadsheet programs.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def visits_csv(visits: Iterable[UpcomingVisit]) -> str:
    return "".join(csv_text(visits))


def csv_text(visits: Iterable[UpcomingVisit], rows_per_piece: int = 200) -> Iterator[str]:
    """The file in pieces of `rows_per_piece` rows, for a streamed response: only one piece is
    held at a time, however many visits there are."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for n, v in enumerate(visits, start=1):
        writer.writerow(_row(v))
        if n % rows_per_piece == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _row(v: UpcomingVisit) -> list[str]:
    auth = v.authorization
    return [_cell(value) for value in (
        v.readiness.readiness, " ".join(v.reasons), v.next_action, str(v.session_id),
        v.date.isoformat(), v.mrn, v.patient_name, v.provider, v.codes, v.payer, v.verdict,
        v.auth_status, v.auth_number,
        auth.valid_from.isoformat() if auth is not None and auth.valid_from else "",
        v.auth_valid_to, v.auth_units, "; ".join(v.counters),
        v.readiness.next_eligible_date or "", "; ".join(v.findings))]


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value
