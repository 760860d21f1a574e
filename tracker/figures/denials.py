"""Denials by the payer's reason, and what the peer-to-peers and appeals against them won.
Counted in SQL; docs/figures.md says what counts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, literal
from sqlalchemy import select as columns
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.authorizations.appeal_windows import STEP_WORDS
from tracker.figures.months import Period
from tracker.store.tables import AuthorizationRow, DenialStepRow

NO_REASON = "no reason recorded"


@dataclass(frozen=True)
class DenialReason:
    code: str | None
    reason: str
    denials: int

    @property
    def label(self) -> str:
        return f"{self.code}: {self.reason}" if self.code else self.reason


@dataclass(frozen=True)
class AppealTally:
    """The steps of one kind (peer-to-peer, first-level appeal, ...) against denials dated in
    the period."""

    kind: str
    opened: int
    overturned: int
    upheld: int
    withdrawn: int

    @property
    def words(self) -> str:
        return STEP_WORDS.get(self.kind, self.kind)

    @property
    def still_open(self) -> int:
        return self.opened - self.overturned - self.upheld - self.withdrawn

    @property
    def overturned_percent(self) -> float | None:
        """Overturned, of the steps the payer answered (withdrawn and open ones left out)."""
        answered = self.overturned + self.upheld
        return 100.0 * self.overturned / answered if answered else None


@dataclass(frozen=True)
class DenialFigures:
    period: Period
    denials: int
    by_reason: tuple[DenialReason, ...]
    appeals: tuple[AppealTally, ...]

    @property
    def overturned(self) -> int:
        return sum(a.overturned for a in self.appeals)


def denial_figures(engine: Engine, period: Period) -> DenialFigures:
    """Requests denied in `period` (still denied: a resubmitted one is back in preparation)
    grouped by code and wording; steps against denials dated in `period`, by kind and outcome."""
    reasons = (columns(col(AuthorizationRow.denial_code), col(AuthorizationRow.decision_reason),
                       func.count(literal(1)))
               .where(col(AuthorizationRow.status) == "denied",
                      col(AuthorizationRow.decided_at) >= period.starts_at,
                      col(AuthorizationRow.decided_at) < period.ends_before)
               .group_by(col(AuthorizationRow.denial_code), col(AuthorizationRow.decision_reason)))
    steps = (columns(col(DenialStepRow.kind), col(DenialStepRow.outcome), func.count(literal(1)))
             .where(col(DenialStepRow.denied_on) >= period.first,
                    col(DenialStepRow.denied_on) <= period.last)
             .group_by(col(DenialStepRow.kind), col(DenialStepRow.outcome)))
    with DbSession(engine) as db:
        reason_rows = db.execute(reasons).all()
        step_rows = db.execute(steps).all()
    by_reason = sorted((DenialReason(code or None, (reason or "").strip() or NO_REASON, count)
                        for code, reason, count in reason_rows),
                       key=lambda r: (-r.denials, r.label))
    tally: dict[str, dict[str | None, int]] = {}
    for kind, outcome, count in step_rows:
        tally.setdefault(kind, {})[outcome] = count
    order = list(STEP_WORDS)
    appeals = tuple(
        AppealTally(kind=kind, opened=sum(outcomes.values()),
                    overturned=outcomes.get("overturned", 0), upheld=outcomes.get("upheld", 0),
                    withdrawn=outcomes.get("withdrawn", 0))
        for kind, outcomes in sorted(tally.items(),
                                     key=lambda k: order.index(k[0]) if k[0] in order else 99))
    return DenialFigures(period=period, denials=sum(r.denials for r in by_reason),
                         by_reason=tuple(by_reason), appeals=appeals)
