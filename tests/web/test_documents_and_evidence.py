"""Documents and evidence from the board: billing uploads, downloads and withdraws documents and
enters evidence on the authorization page; schedulers only read; bad input names the field and
keeps what was typed."""

from __future__ import annotations

import io
import re
import secrets
from datetime import date
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfWriter
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.store.tables import (
    AuthorizationEventRow,
    AuthorizationRow,
    CoverageRow,
    DocumentRow,
    PatientRow,
    SessionRow,
)

from .conftest import Practice, form_token


def pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def add_patient_with_authorization(practice: Practice, status: str = "needed") -> tuple[int, int]:
    """A patient of this test's own, long in the past (so no other test's lists see it): a
    performed diagnostic block on 2020-01-10 and an authorization for a visit on 2020-01-20.
    Returns (authorization id, the block's session id)."""
    with DbSession(practice.engine) as db:
        patient = PatientRow(mrn=f"DOC-{secrets.token_hex(4)}", family_name="Docket",
                             given_name="Dale", birth_date=date(1970, 1, 1))
        db.add(patient)
        db.flush()
        assert patient.id is not None
        db.add(CoverageRow(patient_id=patient.id, payer="aetna", member_id="AET-DOC",
                           effective_start=date(2019, 1, 1)))
        block = SessionRow(patient_id=patient.id, date=date(2020, 1, 10), status="performed",
                           intent="diagnostic")
        visit = SessionRow(patient_id=patient.id, date=date(2020, 1, 20), status="performed")
        db.add_all([block, visit])
        db.flush()
        assert visit.id is not None and block.id is not None
        auth = AuthorizationRow(session_id=visit.id, payer="aetna", status=status)
        db.add(auth)
        db.commit()
        assert auth.id is not None
        return auth.id, block.id


def _history(practice: Practice, auth_id: int) -> list[AuthorizationEventRow]:
    with DbSession(practice.engine) as db:
        return list(db.exec(select(AuthorizationEventRow)
                            .where(AuthorizationEventRow.authorization_id == auth_id)
                            .order_by(col(AuthorizationEventRow.id))))


def _documents(practice: Practice, auth_id: int) -> list[DocumentRow]:
    with DbSession(practice.engine) as db:
        return list(db.exec(select(DocumentRow).where(DocumentRow.authorization_id == auth_id)))


def _notice(page: str) -> str:
    found = re.search(r'<p class="notice" role="alert">(.*?)</p>', page, re.S)
    assert found, "no error on the page"
    return unescape(found.group(1))


@pytest.fixture(autouse=True)
def _documents_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PAINAUTH_HOME", str(tmp_path))
    return tmp_path


def test_billing_uploads_a_document_reads_it_back_as_an_attachment_and_withdraws_it(
        billing: TestClient, practice: Practice, tmp_path: Path) -> None:
    auth_id, _ = add_patient_with_authorization(practice)
    page = f"/authorizations/{auth_id}"
    letter = pdf(pages=3)
    response = billing.post(f"{page}/documents", data={
        "token": form_token(billing, page), "kind": "imaging_report",
        "document_date": "2019-12-02", "title": "MRI lumbar spine"},
        files={"file": ("../../etc/mri.pdf", letter, "text/html")})
    assert response.status_code == 303, response.text
    [row] = _documents(practice, auth_id)
    assert (row.kind, row.pages, row.content_type, row.uploaded_by) == (
        "imaging_report", 3, "application/pdf", "bea.billing")
    shown = billing.get(page).text
    assert "MRI lumbar spine" in shown and "PDF, 3 pages" in shown
    assert "document uploaded: Imaging report" in shown  # the history says who and what

    download = billing.get(f"/documents/{row.id}")
    assert download.status_code == 200 and download.content == letter
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == f'attachment; filename="document-{row.id}.pdf"'
    assert download.headers["x-content-type-options"] == "nosniff"
    assert not any(p.name.endswith(".pdf") for p in (tmp_path / "documents").iterdir())

    withdrawn = billing.post(f"/documents/{row.id}/withdraw", data={
        "token": form_token(billing, page), "reason": "superseded by the new MRI",
        "back": str(auth_id)})
    assert withdrawn.status_code == 303
    assert billing.get(f"/documents/{row.id}").status_code == 404
    assert "superseded by the new MRI" in (_history(practice, auth_id)[-1].reason or "")


def test_a_disguised_or_oversized_upload_is_refused_and_the_form_keeps_its_values(
        sqlite_client: TestClient, sqlite_practice: Practice,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from .conftest import sign_in

    billing = sign_in(sqlite_client, "billing")
    auth_id, _ = add_patient_with_authorization(sqlite_practice)
    page = f"/authorizations/{auth_id}"
    form = {"kind": "office_note", "document_date": "2019-12-20", "title": "Visit note Dec"}
    html = b"<html><body onload='steal()'>not a pdf</body></html>"
    refused = billing.post(f"{page}/documents", data={**form, "token": form_token(billing, page)},
                           files={"file": ("note.pdf", html, "application/pdf")})
    assert refused.status_code == 400
    assert _notice(refused.text).startswith("file: note.pdf is not a PDF, PNG, JPEG file")
    assert 'value="Visit note Dec"' in refused.text and 'value="2019-12-20"' in refused.text
    monkeypatch.setenv("PAINAUTH_DOCUMENT_MAX_MB", "0.001")
    too_big = billing.post(f"{page}/documents", data={**form, "token": form_token(billing, page)},
                           files={"file": ("scan.pdf", pdf(1) + b"%" * 2000, "application/pdf")})
    assert too_big.status_code == 400 and "PAINAUTH_DOCUMENT_MAX_MB" in _notice(too_big.text)
    # far over the limit, the body is refused before it is read, signed in or not
    huge = b"%PDF-1.7\n" + b"0" * 1_100_000
    for browser in (billing, TestClient(billing.app, follow_redirects=False)):
        refused = browser.post(f"{page}/documents", data={**form, "token": "x"},
                               files={"file": ("huge.pdf", huge, "application/pdf")})
        assert refused.status_code == 413 and "PAINAUTH_DOCUMENT_MAX_MB" in refused.text
    assert _documents(sqlite_practice, auth_id) == []


def test_a_scheduler_sees_the_documents_but_cannot_upload_read_or_withdraw_them(
        sqlite_client: TestClient, sqlite_practice: Practice) -> None:
    from .conftest import sign_in

    auth_id, block = add_patient_with_authorization(sqlite_practice)
    billing = sign_in(sqlite_client, "billing")
    page = f"/authorizations/{auth_id}"
    assert billing.post(f"{page}/documents", data={
        "token": form_token(billing, page), "kind": "office_note", "document_date": "2019-12-20",
        "title": "Visit note"}, files={"file": ("n.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
                                                "image/png")}).status_code == 303
    [row] = _documents(sqlite_practice, auth_id)
    billing.post("/logout", data={"token": form_token(billing, page)})
    scheduler = sign_in(sqlite_client, "scheduler")
    shown = scheduler.get(page).text
    assert "Visit note" in shown and 'href="/documents/' not in shown
    assert f'action="/authorizations/{auth_id}/documents"' not in shown
    assert "/evidence/" not in shown
    token = form_token(scheduler, page)
    assert scheduler.get(f"/documents/{row.id}").status_code == 403
    for url, data in ((f"{page}/documents", {"kind": "office_note"}),
                      (f"/documents/{row.id}/withdraw", {"reason": "x"}),
                      (f"{page}/evidence/psych", {"evaluation_date": "2019-12-01",
                                                  "evaluator": "Dr. X", "result": "cleared"}),
                      (f"{page}/evidence/outcome", {"session": str(block),
                                                    "relief_percent": "90"})):
        response = scheduler.post(url, data={**data, "token": token})
        assert response.status_code == 403 and "needs the billing role" in response.text, url
    assert len(_documents(sqlite_practice, auth_id)) == 1


def test_evidence_forms_name_the_bad_field_keep_the_values_and_save_into_the_history(
        billing: TestClient, practice: Practice) -> None:
    auth_id, block = add_patient_with_authorization(practice)
    page = f"/authorizations/{auth_id}"
    token = form_token(billing, page)

    bad = billing.post(f"{page}/evidence/outcome", data={
        "token": token, "session": str(block), "relief_percent": "150", "duration_days": "30",
        "pain_before": "7", "pain_after": "2"})
    assert bad.status_code == 400
    assert _notice(bad.text).startswith("relief_percent: 150 is not a percentage")
    assert f'id="relief-{block}" name="relief_percent" size="4" value="150"' in bad.text
    good = billing.post(f"{page}/evidence/outcome", data={
        "token": token, "session": str(block), "relief_percent": "80", "duration_days": "30",
        "pain_before": "7", "pain_after": "2"})
    assert good.status_code == 303
    events = _history(practice, auth_id)
    assert any("outcome of the diagnostic block of 2020-01-10 entered: 80 % relief, for 30 "
               "days, pain 7 → 2 of 10" in (e.reason or "") for e in events)
    # the save checked the package at once: it now says what else is missing, by the same user
    assert (events[-1].to_status, events[-1].actor) == ("documentation_missing", "bea.billing")

    care = {"token": token, "kind": "medication", "start": "2019-10-01", "end": "2019-09-01",
            "outcome": "no_relief", "drugs": "naproxen 500 mg", "visits": ""}
    bad = billing.post(f"{page}/evidence/care", data=care)
    assert bad.status_code == 400
    assert _notice(bad.text) == "end: 2019-09-01 is before the start 2019-10-01"
    assert 'value="naproxen 500 mg"' in bad.text and 'value="2019-09-01"' in bad.text
    assert billing.post(f"{page}/evidence/care", data={**care, "end": "2019-12-01"}
                        ).status_code == 303
    shown = billing.get(page).text
    assert "naproxen 500 mg" in shown and "no relief" in shown

    psych = {"token": token, "evaluation_date": "2999-01-01", "evaluator": "Dr. Ada Mind",
             "result": "cleared"}
    bad = billing.post(f"{page}/evidence/psych", data=psych)
    assert bad.status_code == 400 and _notice(bad.text).startswith("evaluation_date:")
    assert 'value="Dr. Ada Mind"' in bad.text
    assert billing.post(f"{page}/evidence/psych", data={**psych, "evaluation_date": "2019-11-30"}
                        ).status_code == 303
    reasons = [e.reason or "" for e in _history(practice, auth_id)]
    assert any("psychological evaluation entered: 2019-11-30 by Dr. Ada Mind, cleared" in r
               for r in reasons)
    assert all(e.actor == "bea.billing" for e in _history(practice, auth_id))


def test_the_denial_form_keeps_the_payers_letter_apart_from_the_request(
        sqlite_client: TestClient, sqlite_practice: Practice) -> None:
    from .conftest import sign_in

    billing = sign_in(sqlite_client, "billing")
    auth_id, _ = add_patient_with_authorization(sqlite_practice, status="denied")
    page = f"/authorizations/{auth_id}"
    response = billing.post(f"{page}/denial-reason", data={
        "token": form_token(billing, page), "reason": "Not medically necessary", "code": "CO-50",
        "letter_date": "2020-01-25"},
        files={"letter": ("denial.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 64, "image/jpeg")})
    assert response.status_code == 303
    [letter] = _documents(sqlite_practice, auth_id)
    assert (letter.kind, letter.document_date, letter.content_type) == (
        "denial_letter", date(2020, 1, 25), "image/jpeg")
    assert "no (payer correspondence)" in billing.get(page).text
