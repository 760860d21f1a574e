"""One patient as the board's patient page shows them: counters per payer and region, and a
timeline of sessions, conservative care, psychological evaluations and authorizations.

Counters come from a fresh evaluation — the same `evaluate` call `painauth check` and the pre-visit
check make — of each upcoming scheduled session against every payer whose coverage is in force on
its date, so a patient with a secondary payer sees both payers' limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.rules import evaluate, policies_in_force
from tracker.rules.session import Session
from tracker.store.patient_record import PatientRecord, load_patient_record
from tracker.store.tables import (
    COVERAGE_RANKS,
    AuthorizationEventRow,
    AuthorizationRow,
    PatientRow,
    SessionRow,
)
from tracker.visits.session_lines import BilledSession, billed_sessions
from tracker.visits.upcoming import UpcomingVisit, counter_text, upcoming_visits

UPCOMING_DAYS = 366


@dataclass(frozen=True)
class PayerCounter:
    payer: str
    rank: str
    text: str
    full: bool
    visit_date: date
    next_eligible_date: date | None


@dataclass(frozen=True)
class TimelineEntry:
    date: date
    kind: str
    summary: str
    detail: str = ""


@dataclass(frozen=True)
class AuthorizationView:
    id: int
    session_date: date
    payer: str
    status: str
    missing_items: tuple[str, ...]
    auth_number: str | None
    events: tuple[tuple[datetime, str, str, str], ...]  # (at, change, actor, reason)
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class PatientOverview:
    id: int
    mrn: str
    name: str
    birth_date: date
    coverages: tuple[tuple[str, str, date, date | None], ...]  # (payer, rank, start, end)
    counters: tuple[PayerCounter, ...]
    problems: tuple[str, ...]
    upcoming: tuple[UpcomingVisit, ...]
    timeline: tuple[TimelineEntry, ...]
    authorizations: tuple[AuthorizationView, ...]
    sessions: tuple[BilledSession, ...] = ()  # every session, line by line as billed


def patient_overview(engine: Engine, patient_id: int, today: date) -> PatientOverview | None:
    with DbSession(engine) as db:
        patient = db.get(PatientRow, patient_id)
        if patient is None:
            return None
        record = load_patient_record(db, patient_id)
        authorizations = _authorizations(db, patient_id)
        sessions = billed_sessions(db, patient_id)
    counters, problems = _counters(record, today)
    return PatientOverview(
        id=patient_id, mrn=patient.mrn, name=f"{patient.family_name}, {patient.given_name}",
        birth_date=patient.birth_date,
        coverages=tuple((c.payer, c.rank, c.start, c.end) for c in record.coverages),
        counters=counters, problems=problems,
        upcoming=tuple(upcoming_visits(engine, today, UPCOMING_DAYS, patient_id=patient_id)),
        timeline=_timeline(record, authorizations),
        authorizations=tuple(authorizations), sessions=sessions)


def _counters(record: PatientRecord, today: date) -> tuple[tuple[PayerCounter, ...], tuple[str, ...]]:
    policies = policies_in_force()
    seen: set[tuple[str, str, str | None, str | None, str]] = set()
    counters: list[PayerCounter] = []
    problems: list[str] = []
    for stored in record.scheduled():
        visit_day = stored.session.date
        if visit_day < today:
            continue
        for coverage in sorted((c for c in record.coverages if c.covers(visit_day)),
                               key=lambda c: _rank_order(c.rank)):
            policy = policies.get(coverage.payer)
            if policy is None:
                problems.append(f"no policy for payer {coverage.payer!r}")
                continue
            request = record.check_request(stored.id, today, payer=coverage.payer)
            result = evaluate(request, policy)
            for counter in result.counters:
                document: dict[str, Any] = counter.as_json()
                key = (coverage.payer, counter.family, counter.region, counter.intent,
                       str(document["window"]))
                if key in seen:
                    continue  # the earliest visit's count is the one that matters
                seen.add(key)
                counters.append(PayerCounter(
                    payer=coverage.payer, rank=coverage.rank, text=counter_text(document),
                    full=counter.used >= counter.limit, visit_date=visit_day,
                    next_eligible_date=result.next_eligible_date))
    return tuple(counters), tuple(dict.fromkeys(problems))


def _authorizations(db: DbSession, patient_id: int) -> list[AuthorizationView]:
    rows = db.execute(
        select(AuthorizationRow, col(SessionRow.date))
        .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
        .where(col(SessionRow.patient_id) == patient_id)
        .order_by(col(SessionRow.date), col(AuthorizationRow.id))).all()
    ids = [auth.id for auth, _ in rows]
    events: dict[int, list[tuple[datetime, str, str, str]]] = {}
    if ids:
        for event in db.execute(select(AuthorizationEventRow)
                                .where(col(AuthorizationEventRow.authorization_id).in_(ids))
                                .order_by(col(AuthorizationEventRow.at),
                                          col(AuthorizationEventRow.id))).scalars():
            change = (f"{event.from_status} → {event.to_status}" if event.from_status
                      else f"opened as {event.to_status}")
            events.setdefault(event.authorization_id, []).append(
                (event.at, change, event.actor, event.reason or ""))
    views = []
    for auth, session_date in rows:
        assert auth.id is not None
        views.append(AuthorizationView(
            id=auth.id, session_date=session_date, payer=auth.payer, status=auth.status,
            missing_items=tuple(auth.missing_items), auth_number=auth.auth_number,
            events=tuple(events.get(auth.id, [])), valid_from=auth.valid_from,
            valid_to=auth.valid_to))
    return views


def _timeline(record: PatientRecord,
              authorizations: list[AuthorizationView]) -> tuple[TimelineEntry, ...]:
    entries = [TimelineEntry(s.session.date, f"session {s.status}", _codes(s.session),
                             _outcome(s.session)) for s in record.sessions]
    entries += [TimelineEntry(c.start, "conservative care", c.kind.replace("_", " "),
                              f"{c.start.isoformat()} to {c.end.isoformat()}")
                for c in record.conservative_care]
    entries += [TimelineEntry(p.date, "psych evaluation", str(p.result))
                for p in record.psych_evaluations]
    for auth in authorizations:
        for at, change, actor, reason in auth.events:
            entries.append(TimelineEntry(
                at.date(), "authorization",
                f"{auth.payer} authorization for {auth.session_date.isoformat()}: {change}",
                f"by {actor}" + (f": {reason}" if reason else "")))
    return tuple(sorted(entries, key=lambda e: e.date))


def _codes(session: Session) -> str:
    lines = []
    for line in session.codes:
        text = line.code + ("-" + "-".join(line.modifiers) if line.modifiers else "")
        lines.append(text + (f"×{line.units}" if line.units != 1 else ""))
    return " ".join(lines)


def _outcome(session: Session) -> str:
    outcome = session.outcome
    if outcome is None:
        return ""
    parts = []
    if outcome.relief_percent is not None:
        parts.append(f"{outcome.relief_percent:g}% relief")
    if outcome.duration_days is not None:
        parts.append(f"for {outcome.duration_days} days")
    return " ".join(parts)


def _rank_order(rank: str) -> int:
    return COVERAGE_RANKS.index(rank) if rank in COVERAGE_RANKS else len(COVERAGE_RANKS)
