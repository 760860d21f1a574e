"""One patient's stored rows, turned into what the evaluation engine asks about.

The pre-visit flow, the board and `painauth status` all ask the same question of the store: for
this scheduled session, what is the patient's history, what else is booked, what conservative care
and psychological evaluations are on file, and which payer covers the date? `load_patient_records`
answers it for many patients in a handful of queries (no query per session), and
`PatientRecord.check_request` builds the very `CheckRequest` that `painauth check` evaluates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.rules.session import (
    CareKind,
    CheckRequest,
    CodeLine,
    ConservativeCare,
    Intent,
    Outcome,
    PsychEvaluation,
    Session,
)
from tracker.store.tables import (
    COVERAGE_RANKS,
    ConservativeCareRow,
    CoverageRow,
    PatientRow,
    PsychEvaluationRow,
    SessionCodeRow,
    SessionRow,
)

# Bound parameters per IN (...) list; well under SQLite's and PostgreSQL's limits.
_CHUNK = 900


class NoCoverageOnDate(LookupError):
    """The patient has no coverage in force on the session's date, so no payer policy applies."""


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A session as the engine sees it, with the id and status it has in the store."""

    id: int
    status: str
    session: Session


@dataclass(frozen=True, slots=True)
class CoverageSpan:
    payer: str
    rank: str
    start: date
    end: date | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True, slots=True)
class PatientRecord:
    patient_id: int
    mrn: str
    sessions: tuple[StoredSession, ...]
    conservative_care: tuple[ConservativeCare, ...]
    psych_evaluations: tuple[PsychEvaluation, ...]
    coverages: tuple[CoverageSpan, ...]

    def scheduled(self) -> tuple[StoredSession, ...]:
        return tuple(s for s in self.sessions if s.status == "scheduled")

    def payer_on(self, day: date) -> str | None:
        """The payer of the highest-ranked coverage in force on `day`."""
        in_force = [c for c in self.coverages if c.covers(day)]
        if not in_force:
            return None
        return min(in_force, key=lambda c: (_rank_order(c.rank), c.start)).payer

    def check_request(self, session_id: int, as_of: date, payer: str | None = None) -> CheckRequest:
        """The engine's question about scheduled session `session_id`, evaluated on `as_of`.

        History is every performed session up to `as_of`; other scheduled sessions are the booked
        ones from `as_of` on, except those on a date that already has a performed session (the same
        visit, not yet taken off the schedule). Cancelled sessions count for nothing. The payer is
        the primary coverage in force on the session's date unless one is given.
        """
        target = next((s for s in self.sessions if s.id == session_id), None)
        if target is None:
            raise KeyError(f"session {session_id} does not belong to patient {self.mrn}")
        scheduled = target.session
        chosen = payer or self.payer_on(scheduled.date)
        if chosen is None:
            raise NoCoverageOnDate(
                f"patient {self.mrn} has no coverage in force on {scheduled.date.isoformat()}")
        performed_dates = {s.session.date for s in self.sessions if s.status == "performed"}
        history = tuple(s.session for s in self.sessions
                        if s.status == "performed" and s.session.date <= as_of)
        others = tuple(s.session for s in self.sessions
                       if s.status == "scheduled" and s.id != session_id
                       and s.session.date >= as_of and s.session.date not in performed_dates)
        return CheckRequest(
            as_of=as_of,
            payer=chosen,
            scheduled=scheduled,
            patient_id=self.mrn,
            history=history,
            other_scheduled=others,
            conservative_care=tuple(c for c in self.conservative_care if c.start <= as_of),
            psych_evaluations=tuple(p for p in self.psych_evaluations if p.date <= as_of),
        )


def load_patient_record(db: DbSession, patient_id: int) -> PatientRecord:
    records = load_patient_records(db, [patient_id])
    if patient_id not in records:
        raise KeyError(f"no patient with id {patient_id}")
    return records[patient_id]


def load_patient_records(db: DbSession, patient_ids: Iterable[int]) -> dict[int, PatientRecord]:
    """The records of every patient in `patient_ids`, in a few queries per 900 patients."""
    records: dict[int, PatientRecord] = {}
    for chunk in _chunks(sorted(set(patient_ids))):
        records.update(_load_chunk(db, chunk))
    return records


def _load_chunk(db: DbSession, ids: Sequence[int]) -> dict[int, PatientRecord]:
    mrns: dict[int, str] = {
        pid: mrn for pid, mrn in db.execute(
            select(col(PatientRow.id), col(PatientRow.mrn)).where(col(PatientRow.id).in_(ids)))}
    sessions = _sessions_by_patient(db, ids)
    care: dict[int, list[ConservativeCare]] = defaultdict(list)
    for row in db.execute(select(ConservativeCareRow)
                          .where(col(ConservativeCareRow.patient_id).in_(ids))
                          .order_by(col(ConservativeCareRow.start))).scalars():
        care[row.patient_id].append(
            ConservativeCare(kind=cast(CareKind, row.kind), start=row.start, end=row.end))
    psych: dict[int, list[PsychEvaluation]] = defaultdict(list)
    for row_p in db.execute(select(PsychEvaluationRow)
                            .where(col(PsychEvaluationRow.patient_id).in_(ids))
                            .order_by(col(PsychEvaluationRow.date))).scalars():
        psych[row_p.patient_id].append(
            PsychEvaluation(date=row_p.date, result=cast(Any, row_p.result)))
    coverages: dict[int, list[CoverageSpan]] = defaultdict(list)
    for row_c in db.execute(select(CoverageRow)
                            .where(col(CoverageRow.patient_id).in_(ids))
                            .order_by(col(CoverageRow.effective_start))).scalars():
        coverages[row_c.patient_id].append(CoverageSpan(
            payer=row_c.payer, rank=row_c.rank, start=row_c.effective_start,
            end=row_c.effective_end))
    return {
        pid: PatientRecord(
            patient_id=pid, mrn=mrn, sessions=tuple(sessions[pid]),
            conservative_care=tuple(care[pid]), psych_evaluations=tuple(psych[pid]),
            coverages=tuple(coverages[pid]))
        for pid, mrn in mrns.items()
    }


def _sessions_by_patient(db: DbSession, ids: Sequence[int]) -> dict[int, list[StoredSession]]:
    lines: dict[int, list[CodeLine]] = defaultdict(list)
    code_rows = db.execute(
        select(col(SessionCodeRow.session_id), col(SessionCodeRow.code),
               col(SessionCodeRow.units), col(SessionCodeRow.modifiers))
        .join(SessionRow, col(SessionRow.id) == col(SessionCodeRow.session_id))
        .where(col(SessionRow.patient_id).in_(ids))
        .order_by(col(SessionCodeRow.session_id), col(SessionCodeRow.position)))
    for session_id, code, units, modifiers in code_rows:
        lines[session_id].append(CodeLine(code=code, units=units, modifiers=tuple(modifiers)))
    by_patient: dict[int, list[StoredSession]] = defaultdict(list)
    rows = db.execute(select(SessionRow)
                      .where(col(SessionRow.patient_id).in_(ids))
                      .order_by(col(SessionRow.patient_id), col(SessionRow.date))).scalars()
    for row in rows:
        assert row.id is not None
        session = _engine_session(row, lines[row.id])
        by_patient[row.patient_id].append(StoredSession(id=row.id, status=row.status,
                                                        session=session))
    return by_patient


def _engine_session(row: SessionRow, codes: list[CodeLine]) -> Session:
    outcome = None
    if row.status == "performed" and (row.relief_percent is not None
                                      or row.duration_days is not None):
        outcome = Outcome(relief_percent=row.relief_percent, duration_days=row.duration_days)
    return Session(date=row.date, codes=tuple(codes), place_of_service=row.place_of_service,
                   intent=cast(Intent | None, row.intent), muscles=row.muscles, outcome=outcome)


def _rank_order(rank: str) -> int:
    return COVERAGE_RANKS.index(rank) if rank in COVERAGE_RANKS else len(COVERAGE_RANKS)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]
