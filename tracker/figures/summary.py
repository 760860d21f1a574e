"""Every figure of one month together, as the Practice page, the monthly report and the CSV
downloads show them, with the headline numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from tracker.authorizations.exemptions import ApprovalRate
from tracker.figures.approvals import ApprovalFigures, Rate, approval_figures, payer_rates_by_month
from tracker.figures.denials import DenialFigures, denial_figures
from tracker.figures.exemption_progress import exemption_progress
from tracker.figures.months import Period, month_of, months_before
from tracker.figures.turnaround import TurnaroundFigures, turnaround_figures

MONTHS_SHOWN = 6  # the approval rate per payer over time: this many months, the last included


@dataclass(frozen=True)
class PracticeFigures:
    month: Period
    approvals: ApprovalFigures
    turnaround: TurnaroundFigures
    denials: DenialFigures
    payer_months: dict[str, list[Rate]]
    exemptions: tuple[ApprovalRate, ...]

    def headline(self) -> list[tuple[str, str]]:
        """The numbers a practice owner reads first, as (what, value) in words."""
        a, t, d = self.approvals.overall, self.turnaround, self.denials
        qualifying = sum(r.standing == "qualifies" for r in self.exemptions)
        close = sum(r.standing == "close" for r in self.exemptions)
        return [
            ("Requests decided", str(a.decided)),
            ("Approved in full", f"{a.approved} ({_percent(a.rate_percent)})"),
            ("Partly approved", str(a.partial)),
            ("Denied", str(a.denied)),
            ("Median turnaround", _hours(t.overall.median_hours)),
            ("90th-percentile turnaround", _hours(t.overall.p90_hours)),
            ("Decided within the clock", f"{t.overall.within_clock} of {t.overall.decisions} "
                                         f"({_percent(t.overall.within_clock_percent)})"),
            ("Denials overturned on appeal or peer-to-peer", str(d.overturned)),
            ("Exemption thresholds met", f"{qualifying} (close: {close})"),
        ]


def practice_figures(engine: Engine, month: Period) -> PracticeFigures:
    return PracticeFigures(
        month=month, approvals=approval_figures(engine, month),
        turnaround=turnaround_figures(engine, month), denials=denial_figures(engine, month),
        payer_months=payer_rates_by_month(engine, months_before(month, MONTHS_SHOWN)),
        exemptions=tuple(exemption_progress(engine, month.first.year)))


def this_month(today: date) -> Period:
    return month_of(today)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} %"


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f} h" if value < 48 else f"{value:.0f} h ({value / 24:.1f} days)"
