"""The fee schedule page (everyone reads, billing edits) and the charges-to-capture page
(billing), on the board's loaded practice, whose fees come from samples/fees.csv."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.store.tables import CoverageRow, PatientRow, SessionCodeRow, SessionRow
from tracker.web.app import create_app

from .conftest import SECRET, TODAY, Practice, form_token, sign_in


@pytest.fixture
def board(sqlite_practice: Practice) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_practice.engine, SECRET, today=lambda: TODAY),
                    follow_redirects=False) as client:
        yield client


@pytest.fixture
def stimulator_trial_without_77003(sqlite_practice: Practice) -> Iterator[None]:
    """A patient whose stimulator trial last month was done under fluoroscopy, with no 77003."""
    with DbSession(sqlite_practice.engine) as db:
        patient = PatientRow(mrn="MONEY-1", family_name="Testperson", given_name="Money",
                             birth_date=date(1960, 1, 2))
        db.add(patient)
        db.flush()
        assert patient.id is not None
        db.add(CoverageRow(patient_id=patient.id, payer="cigna", member_id="M-MONEY-1",
                           effective_start=date(2024, 1, 1)))
        session = SessionRow(patient_id=patient.id, date=date(2026, 11, 2), status="performed",
                             intent="trial", guidance="fluoroscopy")
        db.add(session)
        db.flush()
        assert session.id is not None
        db.add(SessionCodeRow(session_id=session.id, position=0, code="63650"))
        db.commit()
        patient_id = patient.id
    yield
    with sqlite_practice.engine.begin() as connection:
        connection.execute(delete(PatientRow).where(col(PatientRow.id) == patient_id))


def test_a_scheduler_reads_the_fee_schedule_but_cannot_change_it_or_see_the_charges(
        board: TestClient) -> None:
    for page in ("/fees", "/charges"):
        assert board.get(page).headers["location"] == f"/login?next={page}"
    scheduler = sign_in(board, "scheduler")
    page = scheduler.get("/fees")
    assert page.status_code == 200
    assert "63650" in page.text and "$1,850.00" in page.text and "every payer" in page.text
    assert "Record a fee" not in page.text
    refused = scheduler.post("/fees", data={"code": "77012", "amount": "90",
                                            "effective_start": "2026-01-01",
                                            "token": form_token(scheduler, "/fees")})
    assert refused.status_code == 403 and "needs the billing role" in refused.text
    assert scheduler.get("/charges").status_code == 403
    assert "77012" not in scheduler.get("/fees").text


def test_billing_records_and_removes_a_fee_and_a_bad_amount_names_the_field(
        board: TestClient) -> None:
    billing = sign_in(board, "billing")
    token = form_token(billing, "/fees")
    bad = billing.post("/fees", data={"code": "77012", "amount": "ninety", "payer": "medicare",
                                      "effective_start": "2026-01-01", "token": token})
    assert bad.status_code == 400 and "amount &#39;ninety&#39; is not an amount" in bad.text
    saved = billing.post("/fees", data={"code": "77012", "amount": "$90.50", "payer": "medicare",
                                        "effective_start": "2026-01-01", "per_unit": "1",
                                        "token": token})
    assert saved.status_code == 303
    page = billing.get("/fees").text
    assert "77012" in page and "$90.50" in page
    rows = [row for row in page.split("<tr>") if "77012" in row]
    assert len(rows) == 1
    fee_id = rows[0].split('action="/fees/')[1].split("/remove")[0]
    assert billing.post(f"/fees/{fee_id}/remove", data={"token": token}).status_code == 303
    assert "77012" not in billing.get("/fees").text


def test_billing_sees_the_charges_to_capture_with_their_amounts(
        board: TestClient, stimulator_trial_without_77003: None) -> None:
    billing = sign_in(board, "billing")
    page = billing.get("/charges")
    assert page.status_code == 200
    row = next(r for r in page.text.split("<tr") if "MONEY-1" in r)
    assert "77003" in row and "$72.00" in row and "imaging guidance not billed" in row
    assert "$72.00</strong>" in page.text
    assert "MONEY-1" not in billing.get("/charges?since=2026-11-03&until=2026-12-01").text
    bad = billing.get("/charges?since=last+week")
    assert bad.status_code == 400 and "since &#39;last week&#39; is not a date" in bad.text
