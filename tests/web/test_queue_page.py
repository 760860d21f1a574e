"""The board's work queue: billing and admin see the authorization work by view with counts, claim
and reassign it, set its dates, search by MRN and authorization number; a scheduler may not.
A fax payer's packet reads "packet ready to send" until the send is recorded, and notes sit in
the authorization's history. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.store.tables import AuthorizationEventRow, AuthorizationRow, PatientRow, SessionRow

from .conftest import USERS, Practice, form_token

VISIT = date(2027, 4, 6)  # after the board's three weeks: the other board tests' counts stay


def _authorization(practice: Practice, mrn: str, status: str, **facts: object) -> int:
    with DbSession(practice.engine) as db:
        found = db.exec(select(PatientRow).where(PatientRow.mrn == mrn)).first()
        if found is None:
            found = PatientRow(mrn=mrn, family_name="Queuewell", given_name=mrn[-4:],
                               birth_date=date(1970, 3, 3))
            db.add(found)
            db.flush()
        assert found.id is not None
        session = SessionRow(patient_id=found.id, date=VISIT, status="scheduled")
        db.add(session)
        db.flush()
        assert session.id is not None
        auth = AuthorizationRow(session_id=session.id, payer="aetna", status=status, **facts)
        db.add(auth)
        db.commit()
        assert auth.id is not None
        return auth.id


_made: dict[str, dict[str, int]] = {}


@pytest.fixture
def items(practice: Practice) -> dict[str, int]:
    if practice.url not in _made:
        _made[practice.url] = {
            "prepare": _authorization(practice, "SYN-9601", "needed"),
            "numbered": _authorization(practice, "SYN-9602", "denied", auth_number="AE-770431",
                                       decision_reason="not medically necessary"),
            "packet": _authorization(practice, "SYN-9603", "submitted", flags=["packet_ready"]),
            "appealed": _authorization(practice, "SYN-9604", "denied",
                                       decided_at=datetime(2026, 11, 20, 16, 0, tzinfo=UTC)),
        }
    return _made[practice.url]


def _row(page: str, authorization_id: int) -> str:
    found = re.search(rf'<tr data-queue-item="{authorization_id}".*?</tr>', page, re.S)
    assert found, f"authorization {authorization_id} is not in the queue"
    return found.group(0)


def _count(page: str, view: str) -> int:
    found = re.search(rf'id="view-{view}"[^>]*>[^<]*<strong class="count">(\d+)<', page)
    assert found, view
    return int(found.group(1))


def test_a_scheduler_may_not_open_the_queue(scheduler: TestClient, items: dict[str, int]) -> None:
    page = scheduler.get("/queue")
    assert page.status_code == 403 and "needs the billing role" in page.text
    refused = scheduler.post(f"/queue/{items['prepare']}/claim",
                             data={"token": form_token(scheduler, "/visits")})
    assert refused.status_code == 403


def test_billing_claims_reassigns_and_dates_an_item(billing: TestClient, practice: Practice,
                                                   items: dict[str, int]) -> None:
    page = billing.get("/queue").text
    assert "Prepare the package" in _row(page, items["prepare"])
    assert "Send the packet by fax or portal" in _row(page, items["packet"])
    assert "unassigned" in _row(page, items["prepare"])
    mine_before, unassigned_before = _count(page, "mine"), _count(page, "unassigned")

    response = billing.post(f"/queue/{items['prepare']}/claim",
                            data={"token": form_token(billing, "/queue"), "view": "mine"})
    assert response.status_code == 303 and response.headers["location"] == "/queue?view=mine"
    mine = billing.get("/queue?view=mine").text
    assert USERS["billing"] in _row(mine, items["prepare"])
    assert _count(mine, "mine") == mine_before + 1
    assert _count(mine, "unassigned") == unassigned_before - 1

    response = billing.post(f"/queue/{items['prepare']}/dates", data={
        "token": form_token(billing, "/queue"), "due_on": "2026-11-30",
        "next_touch_on": "2026-12-02"})
    assert response.status_code == 303
    overdue = billing.get("/queue?view=overdue").text
    assert "overdue" in _row(overdue, items["prepare"]) and "set by hand" in _row(overdue,
                                                                               items["prepare"])
    refused = billing.post(f"/queue/{items['prepare']}/dates", data={
        "token": form_token(billing, "/queue"), "due_on": "30/11/2026"})
    assert refused.status_code == 400 and "write it as YYYY-MM-DD" in refused.text

    response = billing.post(f"/queue/{items['prepare']}/assign", data={
        "token": form_token(billing, "/queue"), "owner": USERS["admin"]})
    assert response.status_code == 303
    assert f'data-queue-item="{items["prepare"]}"' not in billing.get("/queue?view=mine").text
    refused = billing.post(f"/queue/{items['prepare']}/assign", data={
        "token": form_token(billing, "/queue"), "owner": USERS["scheduler"]})
    assert refused.status_code == 400 and "billing or admin user" in refused.text
    with DbSession(practice.engine) as db:
        reasons = list(db.exec(select(AuthorizationEventRow.reason).where(
            AuthorizationEventRow.authorization_id == items["prepare"])
            .order_by(col(AuthorizationEventRow.id))))
    assert reasons == [f"queue: claimed by {USERS['billing']}",
                       f"queue: due 2026-11-30; next touch 2026-12-02, set by {USERS['billing']}",
                       f"queue: assigned to {USERS['admin']} by {USERS['billing']} "
                       f"(was {USERS['billing']})"]


def test_the_search_box_finds_by_mrn_and_by_auth_number(admin: TestClient,
                                                        items: dict[str, int]) -> None:
    by_mrn = admin.get("/queue", params={"q": "syn-9601"}).text
    results = by_mrn.split('id="search-results"')[1]
    assert "SYN-9601" in results and f'data-found-authorization="{items["prepare"]}"' in results
    assert f'data-found-authorization="{items["numbered"]}"' not in results
    by_number = admin.get("/queue", params={"q": "AE-7704"}).text.split('id="search-results"')[1]
    assert f'data-found-authorization="{items["numbered"]}"' in by_number and "auth number" in by_number
    too_short = admin.get("/queue", params={"q": "x"})
    assert too_short.status_code == 400 and "at least 2 characters" in too_short.text


def test_a_packet_for_staff_reads_ready_to_send_with_only_the_send_form(
        billing: TestClient, items: dict[str, int]) -> None:
    path = f"/authorizations/{items['packet']}"
    page = billing.get(path).text
    assert 'id="status">packet ready to send<' in page
    assert "Record the send" in page and "Record a fax or portal payer's answer" not in page
    response = billing.post(f"{path}/manual-submission", data={
        "token": form_token(billing, path), "channel": "portal", "reference": "PORTAL-5521"})
    assert response.status_code == 303
    page = billing.get(path).text
    assert 'id="status">submitted<' in page and "Record the send" not in page
    assert "Record a fax or portal payer's answer" in page
    assert "sent by portal, reference PORTAL-5521" in page.split('id="history"')[1]


def test_the_answer_form_is_not_offered_for_an_incomplete_package(
        billing: TestClient, items: dict[str, int]) -> None:
    page = billing.get(f"/authorizations/{items['prepare']}").text
    assert "Record the send" not in page and "Record a fax or portal payer" not in page


def test_a_note_appears_in_the_history_with_who_wrote_it(billing: TestClient,
                                                        items: dict[str, int]) -> None:
    path = f"/authorizations/{items['numbered']}"
    response = billing.post(f"{path}/notes", data={
        "token": form_token(billing, path), "text": "Asked Aetna for the medical director's name"})
    assert response.status_code == 303
    history = billing.get(path).text.split('id="history"')[1]
    row = re.search(r'<tr class="note">.*?</tr>', history, re.S)
    assert row and "Asked Aetna for the medical director&#39;s name" in row.group(0)
    assert USERS["billing"] in row.group(0)
    empty = billing.post(f"{path}/notes", data={"token": form_token(billing, path), "text": " "})
    assert empty.status_code == 400 and "write the note first" in empty.text


def test_billing_opens_an_appeal_with_its_deadline_and_resubmits(
        billing: TestClient, items: dict[str, int]) -> None:
    path = f"/authorizations/{items['appealed']}"
    response = billing.post(f"{path}/denial-reason", data={
        "token": form_token(billing, path), "reason": "Not medically necessary", "code": "CO-50"})
    assert response.status_code == 303
    response = billing.post(f"{path}/denial-steps", data={
        "token": form_token(billing, path), "kind": "first_level"})
    assert response.status_code == 303
    page = billing.get(path).text
    assert "Not medically necessary" in page and "(code CO-50)" in page
    steps = page.split('id="denial"')[1]
    assert "first-level appeal" in steps and "2027-01-19" in steps  # 60 days after 2026-11-20
    queue = billing.get("/queue").text
    assert "Appeal the denial" in _row(queue, items["appealed"])
    assert "2027-01-19" in _row(queue, items["appealed"])
    refused = billing.post(f"{path}/resubmission", data={"token": form_token(billing, path),
                                                         "correction": ""})
    assert refused.status_code == 400 and "say what was corrected" in refused.text
    response = billing.post(f"{path}/resubmission", data={
        "token": form_token(billing, path), "correction": "added the MRI report"})
    assert response.status_code == 303
    page = billing.get(path).text
    assert 'id="status">needed<' in page
    history = page.split('id="history"')[1]
    assert "first-level appeal opened, due 2027-01-19" in history
    assert "resubmission: added the MRI report" in history
