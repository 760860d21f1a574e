"""Turnaround: the hours from submission to the payer's decision, per program — median and 90th
percentile, against the program's decision clock (the deadline the request was held to:
`tracker.authorizations.decisions.deadline_for`, stored as its `decision_due_at`)."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, and_, or_
from sqlalchemy import select as columns
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.authorizations.decisions import decision_deadline
from tracker.figures.approvals import DECIDED, NO_PROGRAM
from tracker.figures.months import Period
from tracker.store.tables import AuthorizationRow, CoverageRow, SessionRow

# Turnaround as a share of the clock it was held to: the distribution's buckets.
BUCKETS = (("≤ 25 % of the clock", 0.25), ("25–50 %", 0.5), ("50–100 %", 1.0),
           ("over the clock", math.inf))


def median(values: list[float]) -> float | None:
    """The middle value; the mean of the two middle values of an even count."""
    ordered = sorted(values)
    if not ordered:
        return None
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def percentile(values: list[float], share: float) -> float | None:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


@dataclass(frozen=True)
class Decision:
    """One decided request: its hours to the decision and the hours its clock allowed."""

    program: str
    hours: float
    clock_hours: float

    @property
    def within_clock(self) -> bool:
        return self.hours <= self.clock_hours


@dataclass(frozen=True)
class Turnaround:
    program: str
    decisions: int
    within_clock: int
    median_hours: float | None
    p90_hours: float | None
    median_clock_hours: float | None

    @property
    def within_clock_percent(self) -> float | None:
        return 100.0 * self.within_clock / self.decisions if self.decisions else None


@dataclass(frozen=True)
class TurnaroundFigures:
    period: Period
    overall: Turnaround
    by_program: tuple[Turnaround, ...]
    distribution: tuple[tuple[str, int], ...]  # BUCKETS' labels with their counts


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _hours(later: datetime, earlier: datetime) -> float:
    return (_aware(later) - _aware(earlier)).total_seconds() / 3600


def decisions(engine: Engine, period: Period) -> list[Decision]:
    """Requests submitted and decided, the decision in `period`. A request without a stored
    deadline is held to the clock `deadline_for` gives it (its program's, on its plan type)."""
    query = (columns(col(AuthorizationRow.id), col(AuthorizationRow.payer),
                     col(AuthorizationRow.program), col(AuthorizationRow.submitted_at),
                     col(AuthorizationRow.decided_at), col(AuthorizationRow.decision_due_at))
             .where(col(AuthorizationRow.status).in_(DECIDED),
                    col(AuthorizationRow.submitted_at).is_not(None),
                    col(AuthorizationRow.decided_at) >= period.starts_at,
                    col(AuthorizationRow.decided_at) < period.ends_before)
             .order_by(col(AuthorizationRow.id)))
    with DbSession(engine) as db:
        rows: list[Any] = list(db.execute(query).all())
        due = _deadlines(db, [row[0] for row in rows if row[5] is None])
    found = []
    for auth_id, payer, program, submitted, decided, stored in rows:
        label = f"{payer} {program}" if program else f"{payer} {NO_PROGRAM}"
        found.append(Decision(label, max(0.0, _hours(decided, submitted)),
                              _hours(stored or due[auth_id], submitted)))
    return found


def _deadlines(db: DbSession, ids: list[int]) -> dict[int, datetime]:
    """The deadline of each request that has none stored (entered before deadlines were kept):
    its program's clock on the submission date, on the plan type of the visit's coverage."""
    on_visit_day = and_(col(CoverageRow.patient_id) == col(SessionRow.patient_id),
                        col(CoverageRow.payer) == col(AuthorizationRow.payer),
                        col(CoverageRow.effective_start) <= col(SessionRow.date),
                        or_(col(CoverageRow.effective_end).is_(None),
                            col(CoverageRow.effective_end) >= col(SessionRow.date)))
    found: dict[int, datetime] = {}
    for start in range(0, len(ids), 900):
        rows: list[Any] = list(db.execute(
            columns(col(AuthorizationRow.id), col(AuthorizationRow.payer),
                    col(AuthorizationRow.program), col(AuthorizationRow.priority),
                    col(AuthorizationRow.submitted_at), col(CoverageRow.plan_type))
            .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
            .outerjoin(CoverageRow, on_visit_day)
            .where(col(AuthorizationRow.id).in_(ids[start:start + 900]))
            .order_by(col(AuthorizationRow.id))).all())
        for auth_id, payer, program, priority, submitted, plan_type in rows:
            if auth_id not in found:  # two coverages with the payer that day: the first
                found[auth_id] = decision_deadline(payer, _aware(submitted), priority,
                                                   program=program, plan_type=plan_type)
    return found


def _summary(program: str, found: list[Decision]) -> Turnaround:
    hours = [d.hours for d in found]
    return Turnaround(program=program, decisions=len(found),
                      within_clock=sum(d.within_clock for d in found),
                      median_hours=median(hours), p90_hours=percentile(hours, 0.9),
                      median_clock_hours=median([d.clock_hours for d in found]))


def turnaround_figures(engine: Engine, period: Period) -> TurnaroundFigures:
    found = decisions(engine, period)
    per_program: dict[str, list[Decision]] = defaultdict(list)
    for decision in found:
        per_program[decision.program].append(decision)
    counts = dict.fromkeys((label for label, _ in BUCKETS), 0)
    for decision in found:
        share = decision.hours / decision.clock_hours if decision.clock_hours > 0 else math.inf
        counts[next(label for label, upper in BUCKETS if share <= upper)] += 1
    return TurnaroundFigures(
        period=period, overall=_summary("all programs", found),
        by_program=tuple(sorted((_summary(p, d) for p, d in per_program.items()),
                                key=lambda t: (-t.decisions, t.program))),
        distribution=tuple(counts.items()))
