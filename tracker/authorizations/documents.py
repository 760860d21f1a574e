"""Documents billing uploads on an authorization: office notes, imaging reports, psychological
evaluation letters, the payer's denial letter, the appeal letter — each typed and dated.

An upload is checked before anything is kept: its size against PAINAUTH_DOCUMENT_MAX_MB, its type
by its content (`document_content`). The file goes under PAINAUTH_HOME by a random name
(`tracker.store.document_files`), its sha256 in the row; an event in the authorization's history
says who uploaded what, and the patient is checked again at once. Uploading a psychological
evaluation letter may record the evaluation itself in the same step. Withdrawing keeps the row and
the file and is an event too; a withdrawn document leaves the packet and the request.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePath

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.decisions import change_status
from tracker.authorizations.document_content import read_content
from tracker.authorizations.evidence_entry import (
    PsychEvaluationEntry,
    locked_authorization,
    put_psych_evaluation,
)
from tracker.authorizations.recheck import Recheck, recheck_patient
from tracker.errors import InputError
from tracker.packages.attachments import CONTENT_TYPES, DOCUMENT_KINDS, PAYER_CORRESPONDENCE
from tracker.store.document_files import (
    read_document_file,
    remove_document_file,
    store_document_file,
)
from tracker.store.tables import AuthorizationRow, DocumentRow, utc_now

LONGEST_TITLE = 200
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


@dataclass(frozen=True)
class Document:
    id: int
    patient_id: int
    authorization_id: int | None
    kind: str
    date: date
    title: str
    content_type: str
    size_bytes: int
    pages: int | None
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: str | None

    @property
    def kind_name(self) -> str:
        return DOCUMENT_KINDS.get(self.kind, self.kind)

    @property
    def format_name(self) -> str:
        return CONTENT_TYPES.get(self.content_type, self.content_type)

    @property
    def in_request(self) -> bool:
        return self.kind not in PAYER_CORRESPONDENCE and self.withdrawn_at is None

    @property
    def download_name(self) -> str:
        """A file name made by the board, never the uploader's."""
        return f"document-{self.id}.{EXTENSIONS.get(self.content_type, 'bin')}"

    @property
    def size_text(self) -> str:
        return f"{self.size_bytes / 1_000_000:.1f} MB" if self.size_bytes >= 100_000 else \
            f"{max(1, round(self.size_bytes / 1000))} kB"


@dataclass(frozen=True)
class Upload:
    document: Document
    recheck: Recheck


def upload_document(engine: Engine, home: Path, authorization_id: int, *, actor: str, kind: str,
                    on: date | None, title: str, file_name: str, content: bytes,
                    max_bytes: int, as_of: date,
                    evaluation: PsychEvaluationEntry | None = None) -> Upload:
    """Check and keep one uploaded document (and, with a psychological evaluation letter, the
    evaluation it reports), then check the patient again."""
    if kind not in DOCUMENT_KINDS:
        raise InputError("kind", "choose what the document is: " + ", ".join(DOCUMENT_KINDS))
    if on is None:
        raise InputError("document_date", "give the document's date (the letter's or the "
                         "report's date), YYYY-MM-DD")
    if on > as_of:
        raise InputError("document_date", f"{on.isoformat()} is in the future; give the date "
                         "written on the document")
    title = " ".join(title.split()) or _title_from(file_name) or DOCUMENT_KINDS[kind]
    if len(title) > LONGEST_TITLE:
        raise InputError("title", f"keep the title under {LONGEST_TITLE} characters")
    if len(content) > max_bytes:
        raise InputError("file", f"{file_name or 'the file'} is {len(content) / 1_000_000:.1f} "
                         f"MB; the board takes documents up to {max_bytes / 1_000_000:g} MB "
                         "(PAINAUTH_DOCUMENT_MAX_MB): scan it at a lower resolution, or split it")
    if evaluation is not None and kind != "psych_evaluation":
        evaluation = None
    found = read_content(content, file_name)
    stored_name = store_document_file(home, content)
    try:
        with DbSession(engine) as db:
            auth, patient_id = locked_authorization(db, authorization_id)
            row = DocumentRow(patient_id=patient_id, authorization_id=authorization_id, kind=kind,
                              document_date=on, title=title, content_type=found.content_type,
                              size_bytes=len(content), pages=found.pages,
                              sha256=hashlib.sha256(content).hexdigest(),
                              stored_name=stored_name, uploaded_by=actor, uploaded_at=utc_now())
            db.add(row)
            pages = f", {found.pages} page{'s' if found.pages != 1 else ''}" if found.pages else ""
            change_status(db, auth, auth.status, actor=actor, reason=(
                f"document uploaded: {DOCUMENT_KINDS[kind]} of {on.isoformat()}, “{title}” "
                f"({CONTENT_TYPES[found.content_type]}{pages}, sha256 {row.sha256[:12]}…)"))
            if evaluation is not None:
                put_psych_evaluation(db, auth, patient_id, evaluation, actor=actor,
                                     source=" from the uploaded letter")
            db.commit()
            document = _document(row)
    except BaseException:
        remove_document_file(home, stored_name)
        raise
    return Upload(document, recheck_patient(engine, patient_id, actor=actor, as_of=as_of))


def withdraw_document(engine: Engine, document_id: int, *, actor: str, reason: str,
                      as_of: date) -> Upload:
    """Take a document out of the packet and the request; the row and the file stay."""
    reason = " ".join(reason.split())
    if not reason:
        raise InputError("reason", "say why the document is withdrawn (wrong patient, "
                         "superseded, unreadable...)")
    with DbSession(engine) as db:
        row = db.get(DocumentRow, document_id, with_for_update=True)
        if row is None:
            raise InputError("document", f"no document with id {document_id}")
        if row.withdrawn_at is not None:
            raise InputError("document", f"document {document_id} was withdrawn already, by "
                             f"{row.withdrawn_by}")
        row.withdrawn_at, row.withdrawn_by = utc_now(), actor
        db.add(row)
        if row.authorization_id is not None:
            auth = db.get(AuthorizationRow, row.authorization_id, with_for_update=True)
            assert auth is not None
            change_status(db, auth, auth.status, actor=actor, reason=(
                f"document withdrawn: {DOCUMENT_KINDS.get(row.kind, row.kind)} of "
                f"{row.document_date.isoformat()}, “{row.title}”: {reason}"))
        db.commit()
        document = _document(row)
    return Upload(document, recheck_patient(engine, document.patient_id, actor=actor,
                                            as_of=as_of))


def document_file(engine: Engine, home: Path, document_id: int) -> tuple[Document, bytes] | None:
    """A document in force and its bytes; None for an id naming none (or a withdrawn one)."""
    with DbSession(engine) as db:
        row = db.get(DocumentRow, document_id)
        if row is None or row.withdrawn_at is not None:
            return None
        document, stored_name = _document(row), row.stored_name
    try:
        return document, read_document_file(home, stored_name)
    except OSError:
        return None


def documents_of(db: DbSession, patient_id: int) -> list[Document]:
    """Every document of the patient, withdrawn ones included, newest first."""
    rows = db.exec(select(DocumentRow).where(DocumentRow.patient_id == patient_id)
                   .order_by(col(DocumentRow.document_date).desc(), col(DocumentRow.id).desc()))
    return [_document(row) for row in rows]


def _title_from(file_name: str) -> str:
    """A title from the uploader's file name: its stem, without folders (never a path)."""
    stem = PurePath(file_name.replace("\\", "/")).stem if file_name else ""
    return " ".join(stem.replace("_", " ").split())[:LONGEST_TITLE]


def _document(row: DocumentRow) -> Document:
    assert row.id is not None
    return Document(id=row.id, patient_id=row.patient_id, authorization_id=row.authorization_id,
                    kind=row.kind, date=row.document_date, title=row.title,
                    content_type=row.content_type, size_bytes=row.size_bytes, pages=row.pages,
                    sha256=row.sha256, uploaded_by=row.uploaded_by, uploaded_at=row.uploaded_at,
                    withdrawn_at=row.withdrawn_at, withdrawn_by=row.withdrawn_by)
