"""Revenue at risk on upcoming visits, and what painauth protected.

At risk: the scheduled visits whose readiness (tracker.visits.readiness, as the board shows it)
is `stop` or `act`, each worth the expected reimbursement of its booked lines. A visit's amount
goes to its worst reason, so the totals by reason add up to the total.

Protected: visits painauth flagged `stop` or `act` that became `clear` before their date (moved
or fixed), as the pre-visit check recorded in `readiness_changes`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

AT_RISK_READINESSES = ("stop", "act")
DAYS_TO_VISIT_BUCKETS: tuple[tuple[str, int, int], ...] = (
    ("0-2 days", 0, 2), ("3-7 days", 3, 7), ("8-14 days", 8, 14), ("15+ days", 15, 10**6))


@dataclass(frozen=True)
class VisitAtRisk:
    session_id: int
    date: date
    mrn: str
    provider: str
    payer: str
    readiness: str
    reason: str  # the worst reason's code
    amount_cents: int
    unpriced: tuple[str, ...] = ()  # booked codes with no fee on file


@dataclass(frozen=True)
class AtRisk:
    as_of: date
    days: int
    visits: tuple[VisitAtRisk, ...]
    total_cents: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    by_payer: dict[str, int] = field(default_factory=dict)
    by_provider: dict[str, int] = field(default_factory=dict)
    by_days_to_visit: dict[str, int] = field(default_factory=dict)
    by_week: dict[date, int] = field(default_factory=dict)  # the Monday of the visit's week
    visits_without_fee: int = 0  # visits with at least one booked code without a fee on file


@dataclass(frozen=True)
class ProtectedVisit:
    session_id: int
    date: date
    mrn: str
    payer: str
    flagged: str  # stop or act
    reason: str  # the reason it was flagged for
    flagged_at: date
    cleared_at: date
    amount_cents: int
    unpriced: tuple[str, ...] = ()


@dataclass(frozen=True)
class Protected:
    since: date
    until: date
    visits: tuple[ProtectedVisit, ...]
    total_cents: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    by_week: dict[date, int] = field(default_factory=dict)  # the Monday of the week it cleared
    visits_without_fee: int = 0


def revenue_at_risk(engine: object, as_of: date, days: int = 21) -> AtRisk:
    """The scheduled visits from `as_of` for `days` days that are `stop` or `act`, priced."""
    raise NotImplementedError


def protected(engine: object, since: date, until: date) -> Protected:
    """Visits that went from `stop`/`act` to `clear` between `since` and `until` (inclusive),
    before their date, priced."""
    raise NotImplementedError
