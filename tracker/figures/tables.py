"""The figures as tables: the rows each chart draws, and the ones shown only as tables (approval
per program, service and provider, appeals, exemption progress), each downloadable as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from tracker.figures.approvals import Rate
from tracker.figures.summary import PracticeFigures

Cell = str | int | float
# Excel reads a CSV without a byte-order mark in the machine's legacy code page.
BOM = "\ufeff"
# A cell starting with one of these is read as a formula by spreadsheet programs.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class NamedTable:
    name: str  # its CSV file's name
    title: str
    table: Table


def table_csv(table: Table) -> str:
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.header)
    for row in table.rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def _cell(value: Cell) -> Cell:
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def number_cell(value: float | None) -> Cell:
    return "" if value is None else round(value, 1)


def rate_table(what: str, rates: tuple[Rate, ...]) -> Table:
    return Table((what, "decided", "approved", "partial", "denied", "approved_percent"),
                 tuple((r.label, r.decided, r.approved, r.partial, r.denied,
                        number_cell(r.rate_percent)) for r in rates))


def other_tables(figures: PracticeFigures) -> list[NamedTable]:
    """The figures the page and the report show as tables only."""
    a, d = figures.approvals, figures.denials
    return [
        NamedTable("approval-by-program", "Approved in full, per program",
                   rate_table("program", a.by_program)),
        NamedTable("approval-by-service", "Approved in full, per service",
                   rate_table("service", a.by_service)),
        NamedTable("approval-by-provider", "Approved in full, per provider",
                   rate_table("provider", a.by_provider)),
        NamedTable("appeals", "Peer-to-peers and appeals against the month's denials",
                   Table(("step", "opened", "overturned", "upheld", "withdrawn", "open",
                          "overturned_percent"),
                         tuple((s.words, s.opened, s.overturned, s.upheld, s.withdrawn,
                                s.still_open, number_cell(s.overturned_percent))
                               for s in d.appeals))),
        NamedTable("exemption-progress",
                   f"Progress towards each exemption threshold, {figures.month.first.year}",
                   Table(("provider", "npi", "payer", "program", "service", "period",
                          "requests", "approved", "approved_percent", "needs_percent",
                          "needs_requests", "standing"),
                         tuple((r.provider_name, r.provider_npi, r.payer, r.program, r.service,
                                f"{r.period[0]} – {r.period[1]}", r.requests, r.approved,
                                round(r.rate_percent, 1), r.min_rate_percent, r.min_requests,
                                r.standing) for r in figures.exemptions))),
    ]
