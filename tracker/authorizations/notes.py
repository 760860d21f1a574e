"""Notes people write on an authorization or on a patient: who, when, the text, each kept in its
own table. An authorization's history shows its own notes and its patient's; the patient page
shows the patient's. Notes are for the practice's people only; no alert carries them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.errors import InputError
from tracker.store.tables import (
    AuthorizationNoteRow,
    AuthorizationRow,
    PatientNoteRow,
    PatientRow,
    utc_now,
)

LONGEST_NOTE = 4000


@dataclass(frozen=True)
class Note:
    authorization_id: int | None
    author: str
    at: datetime
    text: str
    patient_id: int | None = None

    @property
    def on_patient(self) -> bool:
        """A note on the patient (shown in each of their authorizations' history)."""
        return self.authorization_id is None


def add_note(engine: Engine, authorization_id: int, *, author: str, text: str) -> Note:
    text, author = _checked(text, author)
    with DbSession(engine) as db:
        if db.get(AuthorizationRow, authorization_id) is None:
            raise InputError("authorization", f"no authorization with id {authorization_id}")
        row = AuthorizationNoteRow(authorization_id=authorization_id, author=author,
                                   at=utc_now(), text=text)
        db.add(row)
        db.commit()
        return Note(authorization_id=authorization_id, author=author, at=row.at, text=text)


def add_patient_note(engine: Engine, patient_id: int, *, author: str, text: str) -> Note:
    text, author = _checked(text, author)
    with DbSession(engine) as db:
        if db.get(PatientRow, patient_id) is None:
            raise InputError("patient", f"no patient with id {patient_id}")
        row = PatientNoteRow(patient_id=patient_id, author=author, at=utc_now(), text=text)
        db.add(row)
        db.commit()
        return Note(authorization_id=None, patient_id=patient_id, author=author, at=row.at,
                    text=text)


def notes_on_patient(engine: Engine, patient_id: int) -> list[Note]:
    """The patient's notes, oldest first: the patient page's thread."""
    with DbSession(engine) as db:
        return patient_notes(db, patient_id)


def patient_notes(db: DbSession, patient_id: int) -> list[Note]:
    """The patient's notes, oldest first."""
    rows = db.exec(select(PatientNoteRow).where(PatientNoteRow.patient_id == patient_id)
                   .order_by(col(PatientNoteRow.at), col(PatientNoteRow.id)))
    return [Note(authorization_id=None, patient_id=r.patient_id, author=r.author, at=r.at,
                 text=r.text) for r in rows]


def _checked(text: str, author: str) -> tuple[str, str]:
    text, author = (text or "").strip(), (author or "").strip()
    if not text:
        raise InputError("text", "write the note first")
    if len(text) > LONGEST_NOTE:
        raise InputError("text", f"keep a note under {LONGEST_NOTE} characters, or split it")
    if not author:
        raise InputError("author", "say who writes the note")
    return text, author


def notes_on(db: DbSession, authorization_id: int) -> list[Note]:
    rows = db.exec(select(AuthorizationNoteRow)
                   .where(AuthorizationNoteRow.authorization_id == authorization_id)
                   .order_by(col(AuthorizationNoteRow.at), col(AuthorizationNoteRow.id)))
    return [Note(authorization_id=r.authorization_id, author=r.author, at=r.at, text=r.text)
            for r in rows]
