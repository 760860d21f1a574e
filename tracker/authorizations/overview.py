"""One authorization as the board's authorization page shows it: where it stands, its flags, what
is missing, the audit trail, and every submission attempt with the payer's answer read line by
line (by `tracker.payers.interpret_pas_response`, the reader the submit and follow-up use)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.denials import DenialStep, denial_steps
from tracker.authorizations.documents import Document, documents_of
from tracker.authorizations.notes import Note, notes_on, patient_notes
from tracker.payers.errors import PayerError
from tracker.payers.pas_response import PasResponse, interpret_pas_response
from tracker.store.tables import (
    AuthorizationEventRow,
    AuthorizationRow,
    PatientRow,
    SessionCodeRow,
    SessionRow,
    SubmissionAttemptRow,
)
from tracker.visits.authorization_ledger import ledger_lines
from tracker.visits.readiness import AuthorizationLine, procedure_units

SERVER_PATH = re.compile(r"(?:[A-Za-z]:)?[/\\](?:[^\s/\\]+[/\\])+([^\s/\\]+)")


@dataclass(frozen=True)
class AuthorizationEvent:
    at: datetime
    from_status: str | None
    to_status: str
    actor: str
    reason: str | None


@dataclass(frozen=True)
class SubmissionAttempt:
    bundle_identifier: str
    attempt: int
    state: str
    error: str | None
    created_at: datetime
    finished_at: datetime | None
    answer: PasResponse | None  # the payer's response as read; None when it sent none
    unreadable: str | None = None  # why a stored response could not be read


@dataclass(frozen=True)
class AuthorizationOverview:
    id: int
    patient_id: int
    patient_name: str
    mrn: str
    session_date: date
    codes: str
    payer: str
    status: str
    priority: str
    flags: tuple[str, ...]
    missing_items: tuple[str, ...]
    submission_id: str | None
    submitted_at: datetime | None
    decided_at: datetime | None
    decision_due_at: datetime | None
    next_check_at: datetime | None
    checks: int
    auth_number: str | None
    valid_from: date | None
    valid_to: date | None
    approved_units: int | None
    requested_units: int
    decision_reason: str | None
    events: tuple[AuthorizationEvent, ...]
    attempts: tuple[SubmissionAttempt, ...]
    lines: tuple[AuthorizationLine, ...] = ()
    notes: tuple[Note, ...] = ()
    denial_code: str | None = None
    denial_steps: tuple[DenialStep, ...] = ()
    documents: tuple[Document, ...] = ()  # the patient's, newest first, withdrawn ones too

    @property
    def history(self) -> list[AuthorizationEvent | Note]:
        """Status changes, queue changes and notes (its own and its patient's), oldest first."""
        merged: list[AuthorizationEvent | Note] = [*self.events, *self.notes]
        return sorted(merged, key=lambda entry: _aware(entry.at))

    @property
    def shown_status(self) -> str:
        """A packet handed to staff reads "packet ready to send" until someone records the send."""
        return "packet_ready" if self.status == "submitted" and "packet_ready" in self.flags \
            else self.status

    @property
    def units_text(self) -> str:
        """"2 of 2 procedure units; J1010: 40 of 40 units" — drugs never added to procedures."""
        parts = [procedure_units(self.lines)] if procedure_units(self.lines) else []
        parts += [f"{line.code}: {line.units_approved} of {line.units_requested} units"
                  if line.units_approved is not None else
                  f"{line.code}: {line.units_requested} units requested"
                  for line in self.lines if line.kind == "drug"]
        return "; ".join(parts) or f"{self.requested_units} requested"


def authorization_overview(engine: Engine, authorization_id: int) -> AuthorizationOverview | None:
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, authorization_id)
        if auth is None:
            return None
        session = db.get(SessionRow, auth.session_id)
        assert session is not None
        patient = db.get(PatientRow, session.patient_id)
        assert patient is not None
        lines = list(db.exec(select(SessionCodeRow).where(SessionCodeRow.session_id == session.id)
                             .order_by(col(SessionCodeRow.position))))
        events = db.exec(select(AuthorizationEventRow)
                         .where(AuthorizationEventRow.authorization_id == authorization_id)
                         .order_by(col(AuthorizationEventRow.at), col(AuthorizationEventRow.id)))
        attempts = db.exec(select(SubmissionAttemptRow)
                           .where(SubmissionAttemptRow.authorization_id == authorization_id)
                           .order_by(col(SubmissionAttemptRow.attempt)))
        return AuthorizationOverview(
            id=authorization_id, patient_id=patient.id or 0,
            patient_name=f"{patient.family_name}, {patient.given_name}", mrn=patient.mrn,
            session_date=session.date,
            codes=" ".join(_line_text(line) for line in lines),
            payer=auth.payer, status=auth.status, priority=auth.priority,
            flags=tuple(auth.flags or ()), missing_items=tuple(auth.missing_items or ()),
            submission_id=auth.submission_id, submitted_at=auth.submitted_at,
            decided_at=auth.decided_at, decision_due_at=auth.decision_due_at,
            next_check_at=auth.next_check_at, checks=auth.checks, auth_number=auth.auth_number,
            valid_from=auth.valid_from, valid_to=auth.valid_to,
            approved_units=auth.approved_units, requested_units=sum(line.units for line in lines),
            decision_reason=auth.decision_reason,
            events=tuple(AuthorizationEvent(at=e.at, from_status=e.from_status,
                                            to_status=e.to_status, actor=e.actor,
                                            reason=without_paths(e.reason))
                         for e in events),
            attempts=tuple(_attempt(a) for a in attempts),
            lines=ledger_lines(db, [auth]).get(authorization_id, ()),
            notes=(*notes_on(db, authorization_id), *patient_notes(db, session.patient_id)),
            denial_code=auth.denial_code,
            denial_steps=tuple(denial_steps(db, authorization_id)),
            documents=tuple(documents_of(db, patient.id or 0)))


def without_paths(text: str | None) -> str | None:
    """An event's words with any server file path cut to the file's name: history is shown to
    browser users (events written before the submit run stopped naming paths still hold them)."""
    return SERVER_PATH.sub(lambda found: found.group(1), text) if text else text


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite: naive UTC


def _attempt(row: SubmissionAttemptRow) -> SubmissionAttempt:
    answer, unreadable = _read(row.response)
    return SubmissionAttempt(bundle_identifier=row.bundle_identifier, attempt=row.attempt,
                             state=row.state, error=row.error, created_at=row.created_at,
                             finished_at=row.finished_at, answer=answer, unreadable=unreadable)


def _read(response: dict[str, Any] | None) -> tuple[PasResponse | None, str | None]:
    if response is None:
        return None, None
    try:
        return interpret_pas_response(response), None
    except PayerError as error:
        return None, str(error)


def _line_text(line: SessionCodeRow) -> str:
    text = line.code + "".join(f"-{m}" for m in line.modifiers or ())
    return text + (f"×{line.units}" if line.units != 1 else "")
