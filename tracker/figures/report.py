"""One month's figures with their charts and tables: what the Practice page, the monthly PDF
and the CSV downloads read, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine

from tracker.errors import InputError
from tracker.figures.charts import Chart, authorization_charts
from tracker.figures.months import Period, month_of, parse_month
from tracker.figures.summary import PracticeFigures, practice_figures
from tracker.figures.tables import NamedTable, other_tables


@dataclass(frozen=True)
class PracticeReport:
    figures: PracticeFigures
    charts: tuple[Chart, ...]
    tables: tuple[NamedTable, ...]

    @property
    def month(self) -> Period:
        return self.figures.month

    def downloads(self) -> list[NamedTable]:
        """Every figure's numbers, charts' first: one CSV each."""
        return [NamedTable(c.name, c.title, c.table) for c in self.charts] + list(self.tables)

    def download(self, name: str) -> NamedTable:
        found = {t.name: t for t in self.downloads()}
        if name not in found:
            raise InputError("figure", f"no figure named {name!r}; the figures are "
                             + ", ".join(found))
        return found[name]


def last_full_month(today: date) -> Period:
    return month_of(month_of(today).first - timedelta(days=1))


def month_asked(text: str | None, today: date) -> Period:
    """The month a person asked for (YYYY-MM), or the last full month before `today`."""
    return parse_month(text) if text and text.strip() else last_full_month(today)


def practice_report(engine: Engine, month: Period) -> PracticeReport:
    figures = practice_figures(engine, month)
    return PracticeReport(figures=figures, charts=tuple(authorization_charts(figures)),
                          tables=tuple(other_tables(figures)))
