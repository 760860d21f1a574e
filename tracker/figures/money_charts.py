"""The money's pictures (the figures are `tracker.money`'s, docs/money.md): revenue at risk on
the upcoming visits by reason and by week, and the charges found not billed on performed
sessions, month by month — drawn and tabled like the authorization charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from tracker.figures.charts import Chart, drawing
from tracker.figures.months import Period, months_before
from tracker.figures.tables import Table
from tracker.money.at_risk import AtRisk, revenue_at_risk
from tracker.money.capture import MissedCharges, missed_charges

AT_RISK_DAYS = 21  # the board's horizon
MONTHS_SHOWN = 6
MONEY_CHARTS = ("at-risk-by-reason", "at-risk-by-week", "charges-not-billed")


@dataclass(frozen=True)
class MoneyFigures:
    at_risk: AtRisk
    missed: MissedCharges
    months: tuple[Period, ...]


def money_figures(engine: Engine, today: date, month: Period) -> MoneyFigures:
    """At risk from `today` over the board's horizon; charges not billed on the sessions
    performed in the six months ending with `month`."""
    months = tuple(months_before(month, MONTHS_SHOWN))
    return MoneyFigures(at_risk=revenue_at_risk(engine, today, AT_RISK_DAYS),
                        missed=missed_charges(engine, months[0].first, month.last),
                        months=months)


def dollars(cents: int) -> float:
    return round(cents / 100, 2)


def at_risk_by_reason(money: MoneyFigures) -> Chart:
    reasons = list(money.at_risk.by_reason.items())
    title = f"Revenue at risk by reason, visits {money.at_risk.as_of} + {AT_RISK_DAYS} days ($)"
    return Chart("at-risk-by-reason", title, drawing(
        "hbar", "at-risk-by-reason", title, [_words(reason) for reason, _ in reasons],
        [("at risk ($)", [dollars(cents) for _, cents in reasons])], prefix="$"),
        Table(("reason", "at_risk_dollars"),
              tuple((reason, dollars(cents)) for reason, cents in reasons)))


def at_risk_by_week(money: MoneyFigures) -> Chart:
    weeks = list(money.at_risk.by_week.items())
    title = "Revenue at risk by the visit's week ($)"
    return Chart("at-risk-by-week", title, drawing(
        "bar", "at-risk-by-week", title, [f"week of {monday}" for monday, _ in weeks],
        [("at risk ($)", [dollars(cents) for _, cents in weeks])], prefix="$"),
        Table(("week_of", "at_risk_dollars"),
              tuple((monday.isoformat(), dollars(cents)) for monday, cents in weeks)))


def charges_not_billed_by_month(money: MoneyFigures) -> Chart:
    per_month = {first: cents for first, cents in money.missed.by_month.items()}
    title = "Charges documented but not billed, per month ($)"
    labels = [p.label for p in money.months]
    values = [dollars(per_month.get(p.first, 0)) for p in money.months]
    return Chart("charges-not-billed", title, drawing(
        "bar", "charges-not-billed", title, labels, [("not billed ($)", values)], prefix="$"),
        Table(("month", "not_billed_dollars"), tuple(zip(labels, values, strict=True))))


def money_charts(money: MoneyFigures) -> list[Chart]:
    return [at_risk_by_reason(money), at_risk_by_week(money), charges_not_billed_by_month(money)]


def _words(reason: str) -> str:
    """A readiness reason code as the chart's label: NO_COVERAGE -> "No coverage" (the CSV keeps
    the code)."""
    return reason.replace("_", " ").capitalize() if reason else "No reason"
