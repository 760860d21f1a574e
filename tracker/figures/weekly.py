"""The weekly headline: the seven days' figures in markdown, for the Prefect artifact the
weekly-figures flow publishes (and anyone who reads it in the Prefect UI)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from tracker.figures.months import week_ending
from tracker.figures.summary import PracticeFigures, practice_figures

TOP_REASONS = 5


def weekly_figures(engine: Engine, last_day: date) -> PracticeFigures:
    """The figures of the seven days ending on `last_day`."""
    return practice_figures(engine, week_ending(last_day))


def weekly_markdown(figures: PracticeFigures) -> str:
    period = figures.month
    lines = [f"# Authorization figures, {period.first} to {period.last}", "",
             "| figure | value |", "|---|---|"]
    lines += [f"| {what} | {value} |" for what, value in figures.headline()]
    lines += ["", "## Approved in full, per payer", "", "| payer | decided | approved | rate |",
              "|---|---|---|---|"]
    lines += [f"| {r.label} | {r.decided} | {r.approved} | "
              f"{'—' if r.rate_percent is None else f'{r.rate_percent:.0f} %'} |"
              for r in figures.approvals.by_payer] or ["| none decided | | | |"]
    lines += ["", "## Denials by reason", ""]
    lines += [f"- {r.label}: {r.denials}" for r in figures.denials.by_reason[:TOP_REASONS]] \
        or ["- none"]
    return "\n".join(lines) + "\n"
