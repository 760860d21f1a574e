"""One month's figures with their charts and tables: what the Practice page, the monthly PDF
and the CSV downloads read, so they cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine

from tracker.errors import InputError
from tracker.figures.charts import Chart, authorization_charts
from tracker.figures.money_charts import MoneyFigures, money_charts, money_figures
from tracker.figures.months import Period, month_of, parse_month
from tracker.figures.summary import PracticeFigures, practice_figures
from tracker.figures.tables import NamedTable, other_tables


@dataclass(frozen=True)
class Figures:
    """What a page of figures shows: a headline, charts and tables, each downloadable as CSV."""

    month: Period
    charts: tuple[Chart, ...]
    tables: tuple[NamedTable, ...]

    def headline(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def downloads(self) -> list[NamedTable]:
        """Every figure's numbers, charts' first: one CSV each."""
        return [NamedTable(c.name, c.title, c.table) for c in self.charts] + list(self.tables)

    def download(self, name: str) -> NamedTable:
        found = {t.name: t for t in self.downloads()}
        if name not in found:
            raise InputError("figure", f"no figure named {name!r}; the figures are "
                             + ", ".join(found))
        return found[name]


@dataclass(frozen=True)
class PracticeReport(Figures):
    """A month's authorization figures."""

    figures: PracticeFigures

    def headline(self) -> list[tuple[str, str]]:
        return self.figures.headline()


@dataclass(frozen=True)
class MoneyReport(Figures):
    """The money's figures beside a month: at risk from today, not billed month by month."""

    money: MoneyFigures

    def headline(self) -> list[tuple[str, str]]:
        at_risk, missed = self.money.at_risk, self.money.missed
        per_month = {first: cents for first, cents in missed.by_month.items()}
        return [(f"Revenue at risk, visits {at_risk.as_of} + {at_risk.days} days",
                 f"{_money(at_risk.total_cents)} on {at_risk.count} "
                 + ("visit" if at_risk.count == 1 else "visits")),
                (f"Charges documented but not billed, {self.month.label}",
                 _money(per_month.get(self.month.first, 0)))]


def last_full_month(today: date) -> Period:
    return month_of(month_of(today).first - timedelta(days=1))


def month_asked(text: str | None, today: date) -> Period:
    """The month a person asked for (YYYY-MM), or the last full month before `today`."""
    return parse_month(text) if text and text.strip() else last_full_month(today)


def practice_report(engine: Engine, month: Period) -> PracticeReport:
    figures = practice_figures(engine, month)
    return PracticeReport(month=month, charts=tuple(authorization_charts(figures)),
                          tables=tuple(other_tables(figures)), figures=figures)


def money_report(engine: Engine, month: Period, today: date) -> MoneyReport:
    """The money at risk from `today`, and the charges not billed in the six months ending
    with `month` (`tracker.money`: on a large practice these take far longer than the
    authorization figures, so they have a page of their own)."""
    money = money_figures(engine, today, month)
    return MoneyReport(month=month, charts=tuple(money_charts(money)), tables=(), money=money)


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"
