"""Notes people write on an authorization: who, when, the text, kept in its own table and shown
in the authorization's history. Notes are for the practice's staff only; no alert carries them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.errors import InputError
from tracker.store.tables import AuthorizationNoteRow, AuthorizationRow, utc_now

LONGEST_NOTE = 4000


@dataclass(frozen=True)
class Note:
    authorization_id: int
    author: str
    at: datetime
    text: str


def add_note(engine: Engine, authorization_id: int, *, author: str, text: str) -> Note:
    text, author = (text or "").strip(), (author or "").strip()
    if not text:
        raise InputError("text", "write the note first")
    if len(text) > LONGEST_NOTE:
        raise InputError("text", f"keep a note under {LONGEST_NOTE} characters, or split it")
    if not author:
        raise InputError("author", "say who writes the note")
    with DbSession(engine) as db:
        if db.get(AuthorizationRow, authorization_id) is None:
            raise InputError("authorization", f"no authorization with id {authorization_id}")
        row = AuthorizationNoteRow(authorization_id=authorization_id, author=author,
                                   at=utc_now(), text=text)
        db.add(row)
        db.commit()
        return Note(authorization_id=authorization_id, author=author, at=row.at, text=text)


def notes_on(db: DbSession, authorization_id: int) -> list[Note]:
    rows = db.exec(select(AuthorizationNoteRow)
                   .where(AuthorizationNoteRow.authorization_id == authorization_id)
                   .order_by(col(AuthorizationNoteRow.at), col(AuthorizationNoteRow.id)))
    return [Note(authorization_id=r.authorization_id, author=r.author, at=r.at, text=r.text)
            for r in rows]
