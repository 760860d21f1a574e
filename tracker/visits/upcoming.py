"""Upcoming visits as a scheduler reads them: one query shared by the board, `painauth status`,
the CSV export and the pre-visit flow's artifact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.store.tables import (
    AuthorizationRow,
    EvaluationResultRow,
    PatientRow,
    ProviderRow,
    SessionCodeRow,
    SessionRow,
)

FAMILY_WORDS = {
    "esi": "ESI", "esi_transforaminal": "transforaminal ESI", "esi_interlaminar": "interlaminar ESI",
    "facet_injection": "facet injection", "facet_rfa": "facet RFA", "si_injection": "SI injection",
    "si_rfa": "SI RFA", "trigger_point": "trigger point", "scs": "stimulator",
}
REGION_WORDS = {"cervical_thoracic": "cervical/thoracic", "lumbar_sacral": "lumbar",
                "sacroiliac": "sacroiliac"}
ATTENTION_VERDICTS = ("blocked", "needs_documentation", "needs_auth")
SETTLED_AUTH = ("approved", "not_required")


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
    authorization_id: int | None = None  # the newest authorization of the session, if any

    @property
    def needs_attention(self) -> bool:
        """Blocked, missing documentation, or waiting on an authorization not yet approved."""
        if self.verdict in ("blocked", "needs_documentation", "not evaluated"):
            return True
        return self.verdict == "needs_auth" and self.auth_status not in SETTLED_AUTH

    def as_json(self) -> dict[str, Any]:
        return {"session_id": self.session_id, "date": self.date.isoformat(),
                "patient_id": self.patient_id, "mrn": self.mrn, "patient": self.patient_name,
                "provider": self.provider, "codes": self.codes, "payer": self.payer,
                "verdict": self.verdict, "auth_status": self.auth_status,
                "counters": list(self.counters), "next_eligible_date": self.next_eligible_date,
                "findings": list(self.findings)}


def counter_text(counter: dict[str, Any]) -> str:
    """"3 of 4 lumbar ESI sessions in 12 months" from an evaluation's counter."""
    window = counter["window"]
    span = f"{window['months']} months" if window["kind"] == "rolling_months" else "the calendar year"
    family = FAMILY_WORDS.get(counter["family"], counter["family"].replace("_", " "))
    intent = f"{counter['intent']} " if counter.get("intent") else ""
    region = REGION_WORDS.get(counter.get("region") or "", "")
    words = " ".join(w for w in (region, intent + family) if w)
    return f"{counter['used']} of {counter['limit']} {words} sessions in {span}"


def upcoming_visits(engine: Engine, start: date, days: int, *, provider_id: int | None = None,
                    verdict: str | None = None, patient_id: int | None = None) -> list[UpcomingVisit]:
    """Scheduled sessions from `start` for `days` days (inclusive), with their stored evaluation
    and the newest authorization, ordered by date and patient."""
    until = start + timedelta(days=days)
    query = (
        select(SessionRow, PatientRow, ProviderRow, EvaluationResultRow)
        .join(PatientRow, col(PatientRow.id) == col(SessionRow.patient_id))
        .outerjoin(ProviderRow, col(ProviderRow.id) == col(SessionRow.provider_id))
        .outerjoin(EvaluationResultRow, col(EvaluationResultRow.session_id) == col(SessionRow.id))
        .where(col(SessionRow.status) == "scheduled", col(SessionRow.date) >= start,
               col(SessionRow.date) <= until)
        .order_by(col(SessionRow.date), col(PatientRow.mrn))
    )
    if provider_id is not None:
        query = query.where(col(SessionRow.provider_id) == provider_id)
    if patient_id is not None:
        query = query.where(col(SessionRow.patient_id) == patient_id)
    if verdict:
        query = query.where(col(EvaluationResultRow.verdict) == verdict)
    with DbSession(engine) as connection:
        rows = connection.execute(query).all()
        session_ids: list[int] = [row[0].id for row in rows if row[0].id is not None]
        codes = _codes_by_session(connection, session_ids)
        auths = _newest_authorizations(connection, session_ids)
    return [_visit(session, patient, provider, evaluation, codes, auths)
            for session, patient, provider, evaluation in rows]


def _visit(session: Any, patient: Any, provider: Any, evaluation: Any,
           codes: dict[int, str], auths: dict[int, tuple[int, str]]) -> UpcomingVisit:
    result: dict[str, Any] = evaluation.result if evaluation is not None else {}
    verdict = evaluation.verdict if evaluation is not None else "not evaluated"
    authorization_id = None
    if session.id in auths:
        authorization_id, auth_status = auths[session.id]
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
        codes=codes.get(session.id, ""), payer=evaluation.payer if evaluation is not None else "",
        verdict=verdict, auth_status=auth_status,
        counters=tuple(counter_text(c) for c in result.get("counters", [])),
        next_eligible_date=result.get("next_eligible_date"),
        findings=tuple(f"{f['code']}: {f['message']}" for f in result.get("findings", [])),
        authorization_id=authorization_id,
    )


def _codes_by_session(connection: Any, session_ids: list[int]) -> dict[int, str]:
    lines: dict[int, list[str]] = {}
    for start in range(0, len(session_ids), 900):
        chunk = session_ids[start:start + 900]
        rows = connection.execute(
            select(col(SessionCodeRow.session_id), col(SessionCodeRow.code),
                   col(SessionCodeRow.units), col(SessionCodeRow.modifiers))
            .where(col(SessionCodeRow.session_id).in_(chunk))
            .order_by(col(SessionCodeRow.session_id), col(SessionCodeRow.position)))
        for session_id, code, units, modifiers in rows:
            text = code + ("-" + "-".join(modifiers) if modifiers else "")
            lines.setdefault(session_id, []).append(text + (f"×{units}" if units != 1 else ""))
    return {sid: " ".join(codes) for sid, codes in lines.items()}


def _newest_authorizations(connection: Any, session_ids: list[int]) -> dict[int, tuple[int, str]]:
    newest: dict[int, tuple[int, str]] = {}
    for start in range(0, len(session_ids), 900):
        chunk = session_ids[start:start + 900]
        rows = connection.execute(
            select(col(AuthorizationRow.session_id), col(AuthorizationRow.status),
                   col(AuthorizationRow.id))
            .where(col(AuthorizationRow.session_id).in_(chunk)))
        for session_id, status, auth_id in rows:
            if session_id not in newest or newest[session_id][0] < auth_id:
                newest[session_id] = (auth_id, status)
    return newest
