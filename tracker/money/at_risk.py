"""Revenue at risk on upcoming visits, and what painauth protected.

At risk: the scheduled visits whose readiness (tracker.visits.readiness, as the board shows it
and keeps it in `visit_readiness`) is `stop` or `act`, each worth the expected reimbursement of
its booked lines. A visit's amount goes to its worst reason, so the totals by reason add up to
the total.

Protected: visits painauth flagged `stop` or `act` that became `clear` before their date (moved
or fixed), as the pre-visit check recorded in `readiness_changes`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Engine, Select, func
from sqlalchemy import select as select_columns
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.money.billing_lines import (
    payer_on,
    session_lines,
    session_payers,
    visit_payer,
)
from tracker.money.fee_schedule import FeeSchedule, load_fee_schedule
from tracker.rules.session import CodeLine
from tracker.store.tables import (
    EvaluationResultRow,
    PatientRow,
    ProviderRow,
    ReadinessChangeRow,
    SessionRow,
    VisitReadinessRow,
)
from tracker.visits.stored_readiness import RANK, refresh_readiness
from tracker.visits.upcoming import UpcomingVisit

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
    count: int = 0  # the visits at risk (len(visits))
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
    visit_date: date
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


def revenue_at_risk(engine: Engine, as_of: date, days: int = 21, *,
                    now: datetime | None = None,
                    visits: Sequence[UpcomingVisit] | None = None) -> AtRisk:
    """The scheduled visits from `as_of` for `days` days that are `stop` or `act`, priced.

    Read from the readiness the board keeps (`tracker.visits.stored_readiness`, brought up to
    date first, as the board does before it reads a range), so only the visits at risk are
    read, with their payer (evaluated, else the coverage's on the date) in the same query and
    their booked lines in one more. `visits`: the `upcoming_visits(engine, as_of, days)` a
    caller has already read, priced instead."""
    if visits is not None:
        return _priced_upcoming(engine, as_of, days, visits)
    until = as_of + timedelta(days=days)
    refresh_readiness(engine, as_of, until, now=now or datetime.now(UTC))
    stored = VisitReadinessRow
    at_risk: Select[Any] = (select_columns(col(stored.session_id).label("session_id"))
               .join(SessionRow, col(SessionRow.id) == col(stored.session_id))
               .outerjoin(ProviderRow, col(ProviderRow.id) == col(SessionRow.provider_id))
               .outerjoin(EvaluationResultRow,
                          col(EvaluationResultRow.session_id) == col(stored.session_id))
               .where(col(stored.date) >= as_of, col(stored.date) <= until,
                      col(stored.rank).in_([RANK[r] for r in AT_RISK_READINESSES]),
                      col(SessionRow.status) == "scheduled"))
    described = at_risk.add_columns(
        col(stored.date).label("day"), col(stored.mrn).label("mrn"),
        func.coalesce(col(ProviderRow.name), "").label("provider"),
        visit_payer(col(EvaluationResultRow.payer), col(SessionRow.patient_id),
                    col(stored.date)).label("payer"),
        col(stored.readiness).label("readiness"),
        func.coalesce(col(stored.reason), "").label("reason"))
    schedule = load_fee_schedule(engine)
    with DbSession(engine) as db:
        booked = [_Booked(*row) for row in db.execute(
            described.order_by(col(stored.rank), col(stored.date), col(stored.mrn),
                               col(stored.session_id)))]
        lines = session_lines(db, at_risk, given=False)
    return _at_risk(as_of, days, _priced(schedule, booked, lines))


class _Booked(NamedTuple):
    """A visit at risk as the pricing reads it (a tuple: tens of thousands are read)."""

    session_id: int
    date: date
    mrn: str
    provider: str
    payer: str
    readiness: str
    reason: str


def _priced_upcoming(engine: Engine, as_of: date, days: int,
                     visits: Sequence[UpcomingVisit]) -> AtRisk:
    at_risk = [v for v in visits if v.readiness.readiness in AT_RISK_READINESSES]
    with DbSession(engine) as db:
        lines = session_lines(db, [v.session_id for v in at_risk], given=False)
        payers = session_payers(db, [v.session_id for v in at_risk if not v.payer])
    booked = [_Booked(v.session_id, v.date, v.mrn, v.provider,
                      v.payer or payers.get(v.session_id, ""), v.readiness.readiness,
                      v.reasons[0] if v.reasons else "") for v in at_risk]
    return _at_risk(as_of, days, _priced(load_fee_schedule(engine), booked, lines))


def _priced(schedule: FeeSchedule, visits: list[_Booked],
            lines: dict[int, list[CodeLine]]) -> list[VisitAtRisk]:
    priced = []
    for visit in visits:
        expected = schedule.expected(visit.payer, lines.get(visit.session_id, ()), visit.date)
        priced.append(VisitAtRisk(
            session_id=visit.session_id, date=visit.date, mrn=visit.mrn,
            provider=visit.provider, payer=visit.payer, readiness=visit.readiness,
            reason=visit.reason, amount_cents=expected.amount_cents,
            unpriced=expected.unpriced))
    return priced


def days_to_visit_bucket(days: int) -> str:
    return next(name for name, low, high in DAYS_TO_VISIT_BUCKETS if low <= days <= high)


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


class _Totals:
    """The totals of the visits at risk, added a visit at a time."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self.total = 0
        self.by_reason: dict[str, int] = defaultdict(int)
        self.by_payer: dict[str, int] = defaultdict(int)
        self.by_provider: dict[str, int] = defaultdict(int)
        self.by_days = dict.fromkeys((name for name, _, _ in DAYS_TO_VISIT_BUCKETS), 0)
        self.by_week: dict[date, int] = defaultdict(int)

    def add(self, reason: str, day: date, provider: str, payer: str, cents: int) -> None:
        self.total += cents
        self.by_reason[reason] += cents
        self.by_payer[payer or "no coverage"] += cents
        self.by_provider[provider or "no provider"] += cents
        self.by_days[days_to_visit_bucket((day - self.as_of).days)] += cents
        self.by_week[week_of(day)] += cents

    def at_risk(self, days: int, visits: tuple[VisitAtRisk, ...], count: int,
                without_fee: int) -> AtRisk:
        return AtRisk(as_of=self.as_of, days=days, visits=visits, count=count,
                      total_cents=self.total, by_reason=_largest_first(self.by_reason),
                      by_payer=_largest_first(self.by_payer),
                      by_provider=_largest_first(self.by_provider),
                      by_days_to_visit=self.by_days, by_week=dict(sorted(self.by_week.items())),
                      visits_without_fee=without_fee)


def _at_risk(as_of: date, days: int, visits: list[VisitAtRisk]) -> AtRisk:
    totals = _Totals(as_of)
    for v in visits:
        totals.add(v.reason, v.date, v.provider, v.payer, v.amount_cents)
    return totals.at_risk(days, tuple(visits), len(visits),
                          sum(1 for v in visits if v.unpriced))


def _largest_first(totals: dict[str, int]) -> dict[str, int]:
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def protected(engine: Engine, since: date, until: date) -> Protected:
    """Visits that went from `stop`/`act` to `clear` between `since` and `until` (inclusive),
    before their date, priced: what painauth flagged and someone fixed or moved."""
    with DbSession(engine) as db:
        end = _start_of(until + timedelta(days=1))
        cleared_then = (select(col(ReadinessChangeRow.session_id))
                        .where(col(ReadinessChangeRow.readiness) == "clear",
                               col(ReadinessChangeRow.at) >= _start_of(since),
                               col(ReadinessChangeRow.at) < end).distinct())
        changes = db.exec(select(ReadinessChangeRow)
                          .where(col(ReadinessChangeRow.session_id).in_(cleared_then),
                                 col(ReadinessChangeRow.at) < end)
                          .order_by(col(ReadinessChangeRow.session_id),
                                    col(ReadinessChangeRow.at), col(ReadinessChangeRow.id))).all()
        found = _cleared(changes, since, until)
        sessions: dict[int, tuple[SessionRow, str]] = {s.id: (s, mrn) for s, mrn in db.exec(
            select(SessionRow, PatientRow.mrn)
            .join(PatientRow, col(PatientRow.id) == col(SessionRow.patient_id))
            .where(col(SessionRow.id).in_([f[0].session_id for f in found])))
            if s.id is not None}
        lines = session_lines(db, list(sessions), given=False)
        payers = _payers_then(db, [cleared.id for _, cleared in found if cleared.id is not None])
    schedule = load_fee_schedule(engine)
    visits = []
    for flagged, cleared in found:
        if flagged.session_id not in sessions:
            continue
        session, mrn = sessions[flagged.session_id]
        if session.status == "cancelled":
            continue
        payer = payers.get(cleared.id or 0, "")
        expected = schedule.expected(payer, lines.get(flagged.session_id, ()),
                                     cleared.visit_date)
        visits.append(ProtectedVisit(
            session_id=flagged.session_id, visit_date=cleared.visit_date, mrn=mrn, payer=payer,
            flagged=flagged.readiness, reason=flagged.reason or "",
            flagged_at=_day(flagged.at), cleared_at=_day(cleared.at),
            amount_cents=expected.amount_cents, unpriced=expected.unpriced))
    by_reason: dict[str, int] = defaultdict(int)
    by_week: dict[date, int] = defaultdict(int)
    for v in visits:
        by_reason[v.reason] += v.amount_cents
        by_week[week_of(v.cleared_at)] += v.amount_cents
    return Protected(since=since, until=until, visits=tuple(visits),
                     total_cents=sum(v.amount_cents for v in visits),
                     by_reason=_largest_first(by_reason), by_week=dict(sorted(by_week.items())),
                     visits_without_fee=sum(1 for v in visits if v.unpriced))


def _cleared(changes: Sequence[ReadinessChangeRow], since: date, until: date
             ) -> list[tuple[ReadinessChangeRow, ReadinessChangeRow]]:
    """(the first flag, the clearing) of each session cleared in the period before its visit."""
    found: dict[int, tuple[ReadinessChangeRow, ReadinessChangeRow]] = {}
    flagged: dict[int, ReadinessChangeRow] = {}
    for change in changes:
        sid = change.session_id
        if change.readiness in AT_RISK_READINESSES:
            flagged.setdefault(sid, change)
        elif change.readiness == "clear":
            first = flagged.pop(sid, None)
            if first is not None and since <= _day(change.at) <= until \
                    and _day(change.at) <= change.visit_date and sid not in found:
                found[sid] = (first, change)
    return list(found.values())


def _payers_then(db: DbSession, change_ids: list[int]) -> dict[int, str]:
    """The payer on the visit's date as each readiness change recorded it."""
    change = ReadinessChangeRow
    payers: dict[int, str] = {}
    for start in range(0, len(change_ids), 900):
        payers.update((cid, payer) for cid, payer in db.execute(
            select_columns(col(change.id),
                           payer_on(col(SessionRow.patient_id), col(change.visit_date)))
            .join(SessionRow, col(SessionRow.id) == col(change.session_id))
            .where(col(change.id).in_(change_ids[start:start + 900]))))
    return payers


def _day(moment: datetime) -> date:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).date()


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)
