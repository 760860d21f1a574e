"""One patient's stored rows, turned into what the evaluation engine asks about.

The pre-visit flow, the board and `painauth status` all ask the same question of the store: for
this scheduled session, what is the patient's history, what else is booked, what conservative care
and psychological evaluations are on file, and which payer covers the date? `load_patient_records`
answers it for many patients in a handful of queries (no query per session), and
`PatientRecord.check_request` builds the very `CheckRequest` that `painauth check` evaluates.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, cast

from sqlalchemy import ARRAY, Connection, Integer, Text, any_, func, or_, select, true
from sqlalchemy import cast as cast_sql
from sqlalchemy.orm import aliased
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.rules.session import (
    CareKind,
    CheckRequest,
    CodeLine,
    ConservativeCare,
    Exemption,
    Outcome,
    PsychEvaluation,
    Session,
)
from tracker.settings import load_settings
from tracker.store.exemptions import held_exemptions
from tracker.store.tables import (
    COVERAGE_RANKS,
    ConservativeCareRow,
    CoverageRow,
    LocationRow,
    PatientRow,
    ProviderRow,
    PsychEvaluationRow,
    SessionCodeRow,
    SessionRow,
)

# Bound parameters per IN (...) list; well under SQLite's and PostgreSQL's limits.
_CHUNK = 900


class Unset:
    """The default of an argument that, when not given, is read from the settings."""


UNSET = Unset()


class NoCoverageOnDate(LookupError):
    """The patient has no coverage in force on the session's date, so no payer policy applies."""


@dataclass(frozen=True, slots=True)
class StoredSession:
    """A session as the engine sees it, with the id and status it has in the store."""

    id: int
    status: str
    session: Session
    # where it is performed, when not the practice's state: the session's own service_state,
    # else its location's state
    service_state: str | None = None
    provider_id: int | None = None
    location_id: int | None = None


@dataclass(frozen=True, slots=True)
class CoverageSpan:
    payer: str
    rank: str
    start: date
    end: date | None
    plan_type: str | None = None

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
    # the practice's state (PAINAUTH_PRACTICE_STATE) and the exemptions it holds, by payer
    practice_state: str | None = None
    exemptions: Mapping[str, tuple[Exemption, ...]] = field(default_factory=dict)

    def scheduled(self) -> tuple[StoredSession, ...]:
        return tuple(s for s in self.sessions if s.status == "scheduled")

    def payer_on(self, day: date) -> str | None:
        """The payer of the highest-ranked coverage in force on `day`."""
        coverage = self.coverage_on(day)
        return coverage.payer if coverage else None

    def coverage_on(self, day: date) -> CoverageSpan | None:
        """The highest-ranked coverage in force on `day`."""
        in_force = [c for c in self.coverages if c.covers(day)]
        if not in_force:
            return None
        return min(in_force, key=lambda c: (_rank_order(c.rank), c.start))

    def check_request(self, session_id: int, as_of: date, payer: str | None = None) -> CheckRequest:
        """The engine's question about scheduled session `session_id`, evaluated on `as_of`.

        History is every performed session up to `as_of` that was loaded (all of them, unless the
        records were loaded with a `since` bound); other scheduled sessions are the booked
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
            service_state=target.service_state or self.practice_state,
            exemptions=self.exemptions.get(chosen, ()),
        )


def load_patient_record(db: DbSession, patient_id: int) -> PatientRecord:
    records = load_patient_records(db, [patient_id])
    if patient_id not in records:
        raise KeyError(f"no patient with id {patient_id}")
    return records[patient_id]


def load_patient_records(db: DbSession, patient_ids: Iterable[int], *, since: date | None = None,
                         lasting_codes: Iterable[str] = (),
                         practice_state: str | None | Unset = UNSET,
                         exemptions: Mapping[str, tuple[Exemption, ...]] | None = None,
                         ) -> dict[int, PatientRecord]:
    """The records of every patient in `patient_ids`, in a few queries per 900 patients.

    With `since`, sessions dated before it are left out unless they hold one of `lasting_codes`
    (see `tracker.visits.history_reach`: the pre-visit check reads only the history its policies can
    look at). Without it, every session is read. Each record carries the practice's state
    (PAINAUTH_PRACTICE_STATE unless given) and the exemptions it holds (stored and in the policy
    files, unless given), so every caller asks the engine the same question.
    """
    records: dict[int, PatientRecord] = {}
    window = _SessionWindow(since, tuple(sorted(set(lasting_codes))))
    for chunk in _chunks(sorted(set(patient_ids))):
        records.update(_load_chunk(db, chunk, window))
    state = (load_settings().practice_state_code() if isinstance(practice_state, Unset)
             else practice_state)
    held = held_exemptions(db) if exemptions is None else exemptions
    return {pid: replace(record, practice_state=state, exemptions=held)
            for pid, record in records.items()}


@dataclass(frozen=True, slots=True)
class _SessionWindow:
    since: date | None
    lasting_codes: tuple[str, ...]

    def restrict(self, query: Any, lateral: bool) -> Any:
        """`query` (over sessions) without the sessions older than `since` that hold none of the
        lasting codes. `lateral`: probe each session's lines with a LATERAL subquery, which
        PostgreSQL runs per session on the index instead of scanning every code line."""
        if self.since is None:
            return query
        recent = col(SessionRow.date) >= self.since
        if not self.lasting_codes:
            return query.where(recent)
        line = aliased(SessionCodeRow, name="lasting_line")  # not the joined code lines
        probe = select(col(line.id)).where(col(line.session_id) == col(SessionRow.id),
                                           col(line.code).in_(self.lasting_codes))
        if not lateral:
            return query.where(or_(recent, probe.correlate(SessionRow).exists()))
        hit = probe.limit(1).lateral("lasting")
        return query.outerjoin(hit, true()).where(or_(recent, hit.c.id.is_not(None)))


def _load_chunk(db: DbSession, ids: Sequence[int],
                window: _SessionWindow) -> dict[int, PatientRecord]:
    # Column tuples through the Core connection, not ORM objects: the pre-visit check reads every
    # scheduled patient's history, and building ORM rows cost more than the evaluation itself.
    connection = db.connection()
    mrns: dict[int, str] = {
        pid: mrn for pid, mrn in _rows(connection.execute(
            select(col(PatientRow.id), col(PatientRow.mrn))
            .where(_among(connection, col(PatientRow.id), ids))))}
    sessions = _sessions_by_patient(connection, ids, window)
    care: dict[int, list[ConservativeCare]] = defaultdict(list)
    for pid, kind, start, end in _rows(connection.execute(
            select(col(ConservativeCareRow.patient_id), col(ConservativeCareRow.kind),
                   col(ConservativeCareRow.start), col(ConservativeCareRow.end))
            .where(_among(connection, col(ConservativeCareRow.patient_id), ids))
            .order_by(col(ConservativeCareRow.start)))):
        care[pid].append(ConservativeCare(kind=cast(CareKind, kind), start=start, end=end))
    psych: dict[int, list[PsychEvaluation]] = defaultdict(list)
    for pid, day, result in connection.execute(
            select(col(PsychEvaluationRow.patient_id), col(PsychEvaluationRow.date),
                   col(PsychEvaluationRow.result))
            .where(_among(connection, col(PsychEvaluationRow.patient_id), ids))
            .order_by(col(PsychEvaluationRow.date))):
        psych[pid].append(PsychEvaluation(date=day, result=cast(Any, result)))
    coverages: dict[int, list[CoverageSpan]] = defaultdict(list)
    for pid, payer, rank, start, end, plan_type in connection.execute(
            select(col(CoverageRow.patient_id), col(CoverageRow.payer), col(CoverageRow.rank),
                   col(CoverageRow.effective_start), col(CoverageRow.effective_end),
                   col(CoverageRow.plan_type))
            .where(_among(connection, col(CoverageRow.patient_id), ids))
            .order_by(col(CoverageRow.effective_start))):
        coverages[pid].append(CoverageSpan(payer=payer, rank=rank, start=start, end=end,
                                           plan_type=plan_type))
    return {
        pid: PatientRecord(
            patient_id=pid, mrn=mrn, sessions=tuple(sessions[pid]),
            conservative_care=tuple(care[pid]), psych_evaluations=tuple(psych[pid]),
            coverages=tuple(coverages[pid]))
        for pid, mrn in mrns.items()
    }


def _sessions_by_patient(connection: Connection, ids: Sequence[int],
                         window: _SessionWindow) -> dict[int, list[StoredSession]]:
    """Sessions with their code lines, in one query: a row per code line (or per session
    without any), in patient, date and line order."""
    sessions = (col(SessionRow.id), col(SessionRow.patient_id), col(SessionRow.status),
                col(SessionRow.date), col(SessionRow.place_of_service), col(SessionRow.intent),
                col(SessionRow.muscles), col(SessionRow.relief_percent),
                col(SessionRow.duration_days), col(SessionRow.medication_reduction_percent),
                _service_state(), col(SessionRow.provider_id), col(SessionRow.location_id))
    lines_of = (col(SessionCodeRow.code), col(SessionCodeRow.units),
                cast_sql(col(SessionCodeRow.modifiers), Text).label("modifiers"),
                col(SessionCodeRow.dose_mg), col(SessionCodeRow.wasted_mg),
                col(SessionCodeRow.container), col(SessionCodeRow.ndc),
                col(SessionCodeRow.position))
    lateral = connection.dialect.name == "postgresql"
    if lateral:  # per-session index probes; a plain join makes PostgreSQL scan every line
        # OFFSET 0 keeps PostgreSQL from flattening the LATERAL subquery back into that join
        per_session = (select(*lines_of)
                       .where(col(SessionCodeRow.session_id) == col(SessionRow.id))
                       .offset(0).lateral("line"))
        query = select(*sessions, per_session.c.code, per_session.c.units,
                       per_session.c.modifiers, per_session.c.dose_mg, per_session.c.wasted_mg,
                       per_session.c.container, per_session.c.ndc,
                       ).select_from(SessionRow).outerjoin(per_session, true())
        position: Any = per_session.c.position
    else:
        query = select(*sessions, *lines_of[:7]).outerjoin(
            SessionCodeRow, col(SessionCodeRow.session_id) == col(SessionRow.id))
        position = col(SessionCodeRow.position)
    query = window.restrict(query.where(_among(connection, col(SessionRow.patient_id), ids)),
                            lateral)
    rows = _rows(connection.execute(
        query.order_by(col(SessionRow.patient_id), col(SessionRow.date), position)))
    npis = dict(_rows(connection.execute(select(col(ProviderRow.id), col(ProviderRow.npi)))))
    by_patient: dict[int, list[StoredSession]] = defaultdict(list)
    # Most sessions repeat a handful of code lines: share one CodeLine per distinct line.
    known_lines: dict[tuple[Any, ...], CodeLine] = {}
    current: tuple[Any, ...] | None = None
    lines: list[CodeLine] = []
    for (sid, pid, status, day, place, intent, muscles, relief, duration, reduction, state,
         provider, location, code, units, mods, *drug) in rows:
        if current is None or current[0] != sid:
            if current is not None:
                _add_session(by_patient, current, lines)
            current, lines = (sid, pid, status, day, place, intent, muscles, relief, duration,
                              reduction, state, provider, location, npis.get(provider)), []
        if code is not None:
            key = (code, units, mods, *drug)
            line = known_lines.get(key)
            if line is None:
                line = known_lines[key] = CodeLine(code, units, _modifiers(mods), *drug)
            lines.append(line)
    if current is not None:
        _add_session(by_patient, current, lines)
    return by_patient


def _service_state() -> Any:
    """The state a session is performed in: its own service_state, else its location's state."""
    location_state = (select(col(LocationRow.state))
                      .where(col(LocationRow.id) == col(SessionRow.location_id))
                      .correlate(SessionRow).scalar_subquery())
    return func.coalesce(col(SessionRow.service_state), location_state).label("service_state")


def _add_session(by_patient: dict[int, list[StoredSession]], row: tuple[Any, ...],
                 lines: list[CodeLine]) -> None:
    (sid, pid, status, day, place, intent, muscles, relief, duration, reduction, state,
     provider_id, location_id, npi) = row
    outcome = None
    if status == "performed" and (relief is not None or duration is not None
                                  or reduction is not None):
        outcome = Outcome(relief_percent=relief, duration_days=duration,
                          medication_reduction_percent=reduction)
    session = Session(date=day, codes=tuple(lines), place_of_service=place, intent=intent,
                      muscles=muscles, outcome=outcome, provider_npi=npi)
    by_patient[pid].append(StoredSession(id=sid, status=status, session=session,
                                         service_state=state, provider_id=provider_id,
                                         location_id=location_id))


def _rows(result: Any) -> Any:
    """All rows at once (one fetch, not one per row), typed loosely to unpack: the store's
    NOT NULL columns are never None here."""
    return result.all()


def _among(connection: Connection, column: Any, ids: Sequence[int]) -> Any:
    """`column IN ids`; on PostgreSQL as `= ANY(array)`, one parameter instead of hundreds."""
    if connection.dialect.name == "postgresql":
        return column == any_(cast_sql(list(ids), ARRAY(Integer)))
    return column.in_(ids)


def _modifiers(text: str | None) -> tuple[str, ...]:
    if not text or text == "[]":
        return ()
    return tuple(json.loads(text))


def _rank_order(rank: str) -> int:
    return COVERAGE_RANKS.index(rank) if rank in COVERAGE_RANKS else len(COVERAGE_RANKS)


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]
