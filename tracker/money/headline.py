"""The revenue headline and the weekly charges-to-capture report: at risk this week, protected
in the last seven days, not captured last month — what the demo prints, `painauth money` shows
and the weekly flow publishes as a markdown artifact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Engine

from tracker.money.at_risk import AtRisk, Protected, protected, revenue_at_risk
from tracker.money.capture import KIND_WORDS, MissedCharges, missed_charges
from tracker.money.fee_schedule import dollars

WEEK_DAYS = 6  # as_of and the six days after it: seven days


@dataclass(frozen=True)
class Headline:
    as_of: date
    at_risk: AtRisk  # upcoming visits from as_of for seven days, stop or act
    protected: Protected  # cleared in the seven days to as_of
    not_captured: MissedCharges  # performed last calendar month

    def lines(self) -> list[str]:
        risk, saved, missed = self.at_risk, self.protected, self.not_captured
        month = missed.since.strftime("%B %Y")
        return [
            f"At risk this week: {dollars(risk.total_cents)} on {risk.count} visit(s) "
            f"marked stop or act{_unpriced_visits(risk.visits_without_fee)}",
            f"Protected in the last 7 days: {dollars(saved.total_cents)} on "
            f"{len(saved.visits)} visit(s) fixed or moved after painauth flagged them"
            f"{_unpriced_visits(saved.visits_without_fee)}",
            f"Not captured in {month}: {dollars(missed.total_cents)} in "
            f"{len(missed.charges)} charge(s) documented but not billed"
            f"{_unpriced(missed.without_fee)}",
        ]


def _unpriced(count: int) -> str:
    return f" ({count} of them with no fee on file, not counted)" if count else ""


def _unpriced_visits(count: int) -> str:
    return (f" ({count} of them book a code with no fee on file, not counted)" if count
            else "")


def previous_month(as_of: date) -> tuple[date, date]:
    """The first and last day of the calendar month before `as_of`'s."""
    last = as_of.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def headline(engine: Engine, as_of: date) -> Headline:
    since, until = previous_month(as_of)
    return Headline(as_of=as_of, at_risk=revenue_at_risk(engine, as_of, WEEK_DAYS),
                    protected=protected(engine, as_of - timedelta(days=WEEK_DAYS), as_of),
                    not_captured=missed_charges(engine, since, until))


def weekly_markdown(top: Headline, recent: MissedCharges) -> str:
    """The weekly report: the headline, then each charge to capture from the last 7 days."""
    rows = "\n".join(
        f"| {c.date} | {c.mrn} | {c.payer or '—'} | {KIND_WORDS[c.kind]} | {c.code}"
        f"{'×' + str(c.units) if c.units != 1 else ''} | "
        f"{dollars(c.amount_cents) if c.amount_cents is not None else 'no fee on file'} | "
        f"{c.message} |" for c in recent.charges) or "| — | | | none | | | |"
    kinds = "\n".join(f"| {KIND_WORDS[k]} | {dollars(v)} |" for k, v in recent.by_kind.items())
    return (f"# Money, week of {top.as_of}\n\n"
            + "\n".join(f"- {line}" for line in top.lines())
            + f"\n\n## Charges to capture, performed {recent.since} to {recent.until}\n\n"
            f"{dollars(recent.total_cents)} in {len(recent.charges)} charge(s)"
            f"{_unpriced(recent.without_fee)}.\n\n"
            + (f"| kind | amount |\n|---|---|\n{kinds}\n\n" if kinds else "")
            + "| date | MRN | payer | kind | add | amount | why |\n|---|---|---|---|---|---|---|\n"
            + rows + "\n")
