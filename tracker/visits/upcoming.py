"""Upcoming visits as a scheduler reads them: one query shared by the board, `painauth status`,
`/api/visits`, the CSV export, the alerts and the pre-visit flow's artifact. Each visit carries its
readiness (tracker.visits.readiness), computed here once for every one of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.codes import load_catalog
from tracker.store.tables import (
    AuthorizationRow,
    CoverageRow,
    EvaluationResultRow,
    LocationRow,
    PatientRow,
    ProviderRow,
    SessionCodeRow,
    SessionRow,
)
from tracker.visits.authorization_ledger import (
    booked_line,
    covering_approval,
    facts_of,
    ledger_lines,
    series_approvals,
)
from tracker.visits.readiness import (
    READINESSES,
    AuthorizationFacts,
    Readiness,
    VisitFacts,
    VisitLocation,
    procedure_units,
    readiness_of,
)

FAMILY_WORDS = {
    "esi": "ESI", "esi_transforaminal": "transforaminal ESI", "esi_interlaminar": "interlaminar ESI",
    "facet_injection": "facet injection", "facet_rfa": "facet RFA", "si_injection": "SI injection",
    "si_rfa": "SI RFA", "trigger_point": "trigger point", "scs": "stimulator",
}
REGION_WORDS = {"cervical_thoracic": "cervical/thoracic", "lumbar_sacral": "lumbar",
                "sacroiliac": "sacroiliac"}


# code lines by session: (code, units, modifiers), in line order
_Lines = dict[int, list[tuple[str, int, list[str]]]]


@dataclass(frozen=True)
class UpcomingVisit:
    session_id: int
    date: date
    patient_id: int
    mrn: str
    patient_name: str
    provider: str
    codes: str
    payer: str
    verdict: str
    auth_status: str
    counters: tuple[str, ...]
    next_eligible_date: str | None
    findings: tuple[str, ...]
    authorization_id: int | None = None  # the authorization the visit rests on, if any
    readiness: Readiness = field(default_factory=lambda: _NOT_YET_READY)
    authorization: AuthorizationFacts | None = None

    @property
    def needs_attention(self) -> bool:
        """Anything but clear: someone must act, the payer has not decided, or it will not be
        paid as booked."""
        return self.readiness.readiness != "clear"

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.readiness.reason_codes

    @property
    def next_action(self) -> str:
        return self.readiness.next_action

    @property
    def auth_number(self) -> str:
        return (self.authorization.number or "") if self.authorization else ""

    @property
    def auth_valid_to(self) -> str:
        auth = self.authorization
        return auth.valid_to.isoformat() if auth is not None and auth.valid_to else ""

    @property
    def auth_units(self) -> str:
        """"2 of 2 procedure units" for the visit's authorization, drugs apart."""
        return procedure_units(self.authorization.lines) if self.authorization else ""

    def as_json(self) -> dict[str, Any]:
        """The row `/api/visits` and `painauth status --json` print."""
        return {"session_id": self.session_id, "date": self.date.isoformat(),
                "patient_id": self.patient_id, "mrn": self.mrn, "patient": self.patient_name,
                "provider": self.provider, "codes": self.codes, "payer": self.payer,
                "verdict": self.verdict, "readiness": self.readiness.readiness,
                "reasons": [r.as_json() for r in self.readiness.reasons],
                "next_action": self.next_action,
                "next_eligible_date": self.readiness.next_eligible_date,
                "auth_status": self.auth_status,
                "authorization": self.authorization.as_json() if self.authorization else None,
                "counters": list(self.counters), "findings": list(self.findings)}


# What a visit reads before its readiness is computed: not evaluated.
_NOT_YET_READ: VisitFacts = VisitFacts(date=date.min, now=datetime.min.replace(tzinfo=UTC),
                                       evaluation=None)
_NOT_YET_READY: Readiness = readiness_of(_NOT_YET_READ)  # frozen: one for every visit


def by_readiness(visits: list[UpcomingVisit]) -> list[UpcomingVisit]:
    """Worst readiness first, then by date and MRN: the order every surface lists visits in."""
    order = {name: index for index, name in enumerate(READINESSES)}
    return sorted(visits, key=lambda v: (order[v.readiness.readiness], v.date, v.mrn,
                                         v.session_id))


def readiness_counts(visits: list[UpcomingVisit]) -> dict[str, int]:
    counts = dict.fromkeys(READINESSES, 0)
    for v in visits:
        counts[v.readiness.readiness] += 1
    return counts


def counter_text(counter: dict[str, Any]) -> str:
    """"3 of 4 lumbar ESI sessions in 12 months" from an evaluation's counter."""
    window = counter["window"]
    span = f"{window['months']} months" if window["kind"] == "rolling_months" else "the calendar year"
    family = FAMILY_WORDS.get(counter["family"], counter["family"].replace("_", " "))
    intent = f"{counter['intent']} " if counter.get("intent") else ""
    region = REGION_WORDS.get(counter.get("region") or "", "")
    words = " ".join(w for w in (region, intent + family) if w)
    return f"{counter['used']} of {counter['limit']} {words} sessions in {span}"


@dataclass(frozen=True, slots=True)
class BookedSession:
    """What a visit reads of its session (the pre-visit batch builds these from what it holds)."""

    id: int
    date: date
    provider_id: int | None
    place_of_service: str | None
    location_id: int | None


@dataclass(frozen=True, slots=True)
class VisitPatient:
    id: int
    mrn: str
    family_name: str = ""
    given_name: str = ""


@dataclass(frozen=True, slots=True)
class VisitProvider:
    name: str


@dataclass(frozen=True, slots=True)
class StoredEvaluation:
    payer: str
    verdict: str
    result: dict[str, Any]


def visit_query() -> Any:
    """The scheduled sessions with their patient, provider and stored evaluation, as the columns
    `read_visits` turns into visits (no ORM object per row). Callers add the range, filters and
    order."""
    return (
        select(col(SessionRow.id), col(SessionRow.date), col(SessionRow.provider_id),
               col(SessionRow.place_of_service), col(SessionRow.location_id),
               col(PatientRow.id), col(PatientRow.mrn), col(PatientRow.family_name),
               col(PatientRow.given_name), col(ProviderRow.name),
               col(EvaluationResultRow.session_id), col(EvaluationResultRow.payer),
               col(EvaluationResultRow.verdict), col(EvaluationResultRow.result))
        .join(PatientRow, col(PatientRow.id) == col(SessionRow.patient_id))
        .outerjoin(ProviderRow, col(ProviderRow.id) == col(SessionRow.provider_id))
        .outerjoin(EvaluationResultRow, col(EvaluationResultRow.session_id) == col(SessionRow.id))
        .where(col(SessionRow.status) == "scheduled")
    )


def upcoming_visits(engine: Engine, start: date, days: int, *, provider_id: int | None = None,
                    verdict: str | None = None, patient_id: int | None = None,
                    readiness: str | None = None, now: datetime | None = None
                    ) -> list[UpcomingVisit]:
    """Scheduled sessions from `start` for `days` days (inclusive), with their stored evaluation,
    the authorization they rest on and their readiness, worst readiness first, then by date and
    patient."""
    until = start + timedelta(days=days)
    query = (visit_query()
             .where(col(SessionRow.date) >= start, col(SessionRow.date) <= until)
             .order_by(col(SessionRow.date), col(PatientRow.mrn),
                       col(SessionRow.id)))
    if provider_id is not None:
        query = query.where(col(SessionRow.provider_id) == provider_id)
    if patient_id is not None:
        query = query.where(col(SessionRow.patient_id) == patient_id)
    if verdict:
        query = query.where(col(EvaluationResultRow.verdict) == verdict)
    with DbSession(engine) as connection:
        visits = read_visits(connection, query, now or datetime.now(UTC))
    if readiness:
        visits = [v for v in visits if v.readiness.readiness == readiness]
    return by_readiness(visits)


def read_visits(connection: Any, query: Any, now: datetime) -> list[UpcomingVisit]:
    """The visits `query` (a `visit_query`) selects, in its order, each with the authorization it
    rests on and its readiness as of `now`."""
    rows = [(BookedSession(sid, day, provider_id, place, location),
             VisitPatient(pid, mrn, family, given),
             VisitProvider(provider) if provider is not None else None,
             StoredEvaluation(payer, verdict, result) if evaluated is not None else None)
            for (sid, day, provider_id, place, location, pid, mrn, family, given, provider,
                 evaluated, payer, verdict, result) in connection.execute(query)]
    return assemble_visits(connection, rows, now)


VisitRow = tuple[BookedSession, VisitPatient, VisitProvider | None, StoredEvaluation | None]


def assemble_visits(connection: Any, rows: Sequence[VisitRow], now: datetime,
                    *, lines: _Lines | None = None,
                    covered: dict[int, list[tuple[date, date | None]]] | None = None,
                    ) -> list[UpcomingVisit]:
    """The visits of (session, patient, provider, stored evaluation) rows, each with the
    authorization it rests on and its readiness, in the rows' order. `lines` (code, units,
    modifiers by session, in line order) and `covered` (coverage spans by patient) are read
    unless the caller already holds them, as the pre-visit check does."""
    session_ids = [row[0].id for row in rows]
    patient_ids = sorted({row[1].id for row in rows})
    if lines is None:
        lines = _lines_by_session(connection, session_ids)
    own = _newest_authorizations(connection, session_ids)
    series = series_approvals(connection, patient_ids)
    every = {a.id: a for a in [*own.values(), *(a for s in series.values() for a in s)]}
    ledger = ledger_lines(connection, list(every.values()))
    facts = facts_of(every.values(), ledger)
    if covered is None:
        covered = _covered(connection, patient_ids)
    locations = {row.id: VisitLocation(row.name, row.place_of_service)
                 for row in connection.execute(select(LocationRow)).scalars()}
    catalog = load_catalog()
    visits = []
    for session, patient, provider, evaluation in rows:
        booked = tuple(booked_line(code, units, modifiers, catalog)
                       for code, units, modifiers in lines.get(session.id, []))
        auth = own.get(session.id)
        payer = evaluation.payer if evaluation is not None else ""
        if (auth is None or auth.status not in ("approved", "partial")) and evaluation is not None \
                and (evaluation.result or {}).get("prior_auth_required"):
            # a series: an open approval of this patient and payer with units left covers it
            auth = covering_approval(series.get(patient.id, []), payer, session.date, booked,
                                     ledger) or auth
        visit = _visit(session, patient, provider, evaluation, _codes_text(lines, session.id),
                       facts.get(auth.id) if auth is not None and auth.id else None)
        ready = readiness_of(VisitFacts(
            date=session.date, now=now, evaluation=evaluation.result if evaluation else None,
            covered=_covers(covered.get(patient.id, []), session.date), booked=booked,
            authorization=visit.authorization, place_of_service=session.place_of_service,
            location=locations.get(session.location_id) if session.location_id else None))
        visits.append(_with_readiness(visit, ready))
    return visits


def _with_readiness(visit: UpcomingVisit, ready: Readiness) -> UpcomingVisit:
    return replace(visit, readiness=ready, next_eligible_date=ready.next_eligible_date)


def _visit(session: BookedSession, patient: VisitPatient, provider: VisitProvider | None,
           evaluation: StoredEvaluation | None, codes: str,
           auth: AuthorizationFacts | None) -> UpcomingVisit:
    result: dict[str, Any] = evaluation.result if evaluation is not None else {}
    verdict = evaluation.verdict if evaluation is not None else "not evaluated"
    authorization_id = None
    if auth is not None:
        authorization_id, auth_status = auth.id, auth.status
    elif result:
        if not result.get("prior_auth_required"):
            auth_status = "not_required"
        elif verdict == "blocked":  # none is opened: the visit needs rescheduling first
            auth_status = "not_opened_blocked"
        else:
            auth_status = "required"
    else:
        auth_status = "unknown"
    return UpcomingVisit(
        session_id=session.id, date=session.date, patient_id=patient.id, mrn=patient.mrn,
        patient_name=f"{patient.family_name}, {patient.given_name}",
        provider=provider.name if provider is not None else "",
        codes=codes, payer=evaluation.payer if evaluation is not None else "",
        verdict=verdict, auth_status=auth_status,
        counters=tuple(counter_text(c) for c in result.get("counters", [])),
        next_eligible_date=result.get("next_eligible_date"),
        findings=tuple(f"{f['code']}: {f['message']}" for f in result.get("findings", [])),
        authorization_id=authorization_id, authorization=auth,
    )


def _lines_by_session(connection: Any, session_ids: list[int]) -> _Lines:
    lines: _Lines = {}
    for start in range(0, len(session_ids), 900):
        chunk = session_ids[start:start + 900]
        rows = connection.execute(
            select(col(SessionCodeRow.session_id), col(SessionCodeRow.code),
                   col(SessionCodeRow.units), col(SessionCodeRow.modifiers))
            .where(col(SessionCodeRow.session_id).in_(chunk))
            .order_by(col(SessionCodeRow.session_id), col(SessionCodeRow.position)))
        for session_id, code, units, modifiers in rows:
            lines.setdefault(session_id, []).append((code, units, list(modifiers or ())))
    return lines


def _codes_text(lines: _Lines, session_id: int) -> str:
    texts = []
    for code, units, modifiers in lines.get(session_id, []):
        text = code + ("-" + "-".join(modifiers) if modifiers else "")
        texts.append(text + (f"×{units}" if units != 1 else ""))
    return " ".join(texts)


def _newest_authorizations(connection: Any, session_ids: list[int]) -> dict[int, AuthorizationRow]:
    newest: dict[int, AuthorizationRow] = {}
    for start in range(0, len(session_ids), 900):
        chunk = session_ids[start:start + 900]
        for auth in connection.execute(
                select(AuthorizationRow)
                .where(col(AuthorizationRow.session_id).in_(chunk))).scalars():
            known = newest.get(auth.session_id)
            if known is None or (known.id or 0) < (auth.id or 0):
                newest[auth.session_id] = auth
    return newest


def _covered(connection: Any, patient_ids: list[int]) -> dict[int, list[tuple[date, date | None]]]:
    spans: dict[int, list[tuple[date, date | None]]] = {}
    for start in range(0, len(patient_ids), 900):
        chunk = patient_ids[start:start + 900]
        for patient_id, first, last in connection.execute(
                select(col(CoverageRow.patient_id), col(CoverageRow.effective_start),
                       col(CoverageRow.effective_end))
                .where(col(CoverageRow.patient_id).in_(chunk))):
            spans.setdefault(patient_id, []).append((first, last))
    return spans


def _covers(spans: list[tuple[date, date | None]], day: date) -> bool:
    return any(first <= day and (last is None or day <= last) for first, last in spans)
