"""What each role may do: schedulers read, billing updates authorizations, admins manage users."""

from __future__ import annotations

import secrets

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.store.tables import AuthorizationEventRow, AuthorizationRow, SessionRow

from .conftest import Practice, form_token


def _authorization(practice: Practice, mrn: str) -> AuthorizationRow:
    patient = practice.patient_id(mrn)
    with DbSession(practice.engine) as db:
        auth = db.execute(select(AuthorizationRow)
                          .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
                          .where(col(SessionRow.patient_id) == patient)).scalars().one()
        return auth


def _events(practice: Practice, auth_id: int) -> list[AuthorizationEventRow]:
    with DbSession(practice.engine) as db:
        return list(db.execute(select(AuthorizationEventRow)
                               .where(col(AuthorizationEventRow.authorization_id) == auth_id)
                               .order_by(col(AuthorizationEventRow.id))).scalars())


def test_a_scheduler_reads_but_cannot_update_an_authorization(scheduler: TestClient,
                                                             practice: Practice) -> None:
    auth = _authorization(practice, "SYN-1002")
    assert auth.id is not None
    page = scheduler.get(f"/patients/{practice.patient_id('SYN-1002')}")
    assert "Update authorization" not in page.text
    response = scheduler.post(f"/authorizations/{auth.id}/status", data={
        "status": "approved", "reason": "trying", "token": form_token(scheduler, "/visits")})
    assert response.status_code == 403
    assert "needs the billing role" in response.text
    after = _authorization(practice, "SYN-1002")
    assert (after.status, len(_events(practice, auth.id))) == (auth.status, len(
        _events(practice, auth.id)))


def test_billing_updates_an_authorization_and_the_audit_trail_says_who_and_why(
        billing: TestClient, practice: Practice) -> None:
    auth = _authorization(practice, "SYN-1002")
    assert auth.id is not None
    new_status = "submitted" if auth.status != "submitted" else "pended"
    before = len(_events(practice, auth.id))
    patient = practice.patient_id("SYN-1002")
    page = billing.get(f"/patients/{patient}")
    assert "Update authorization" in page.text
    response = billing.post(f"/authorizations/{auth.id}/status", data={
        "status": new_status, "reason": "faxed to Aetna", "auth_number": "",
        "patient": str(patient), "token": form_token(billing, f"/patients/{patient}")})
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{patient}#authorizations"
    assert _authorization(practice, "SYN-1002").status == new_status
    events = _events(practice, auth.id)
    assert len(events) == before + 1
    latest = events[-1]
    assert (latest.from_status, latest.to_status, latest.actor, latest.reason) == (
        auth.status, new_status, "bea.billing", "faxed to Aetna")
    assert "faxed to Aetna" in billing.get(f"/patients/{patient}").text
    api_visit = [v for v in billing.get("/api/visits").json()["visits"] if v["mrn"] == "SYN-1002"]
    assert api_visit[0]["auth_status"] == new_status


def test_an_update_without_a_reason_is_refused_and_changes_nothing(billing: TestClient,
                                                                  practice: Practice) -> None:
    auth = _authorization(practice, "SYN-1002")
    assert auth.id is not None
    patient = practice.patient_id("SYN-1002")
    response = billing.post(f"/authorizations/{auth.id}/status", data={
        "status": "denied", "reason": "  ", "patient": str(patient),
        "token": form_token(billing, f"/patients/{patient}")})
    assert response.status_code == 400
    assert "say why the status changes" in response.text
    assert _authorization(practice, "SYN-1002").status == auth.status


def test_the_board_refuses_an_approval_without_the_payers_number(billing: TestClient,
                                                                 practice: Practice) -> None:
    auth = _authorization(practice, "SYN-1002")
    assert auth.id is not None
    patient = practice.patient_id("SYN-1002")
    response = billing.post(f"/authorizations/{auth.id}/status", data={
        "status": "approved", "reason": "approved by phone", "auth_number": "",
        "valid_from": "2026-12-01", "valid_to": "2027-02-28", "patient": str(patient),
        "token": form_token(billing, f"/patients/{patient}")})
    assert response.status_code == 400
    assert "approved needs the payer&#39;s authorization number" in response.text
    assert _authorization(practice, "SYN-1002").status == auth.status


def test_the_board_refuses_an_approval_without_its_validity_window(billing: TestClient,
                                                                   practice: Practice) -> None:
    auth = _authorization(practice, "SYN-1002")
    assert auth.id is not None
    patient = practice.patient_id("SYN-1002")
    response = billing.post(f"/authorizations/{auth.id}/status", data={
        "status": "approved", "reason": "approved by phone", "auth_number": "AET-55",
        "valid_from": "2026-12-01", "patient": str(patient),
        "token": form_token(billing, f"/patients/{patient}")})
    assert response.status_code == 400
    assert "valid_to: approved needs the last day the approval covers" in response.text
    assert _authorization(practice, "SYN-1002").auth_number == auth.auth_number


def test_only_an_admin_opens_the_users_page(scheduler: TestClient) -> None:
    assert scheduler.get("/users").status_code == 403
    assert "Users</a>" not in scheduler.get("/visits").text


def test_billing_cannot_add_a_user(billing: TestClient) -> None:
    response = billing.post("/users", data={"name": "mallory", "role": "admin",
                                            "password": "0123456789ab",
                                            "token": form_token(billing, "/visits")})
    assert response.status_code == 403


def test_an_admin_adds_a_user_who_can_then_sign_in(admin: TestClient, client: TestClient) -> None:
    name = f"new.{secrets.token_hex(3)}"
    response = admin.post("/users", data={"name": name, "role": "scheduler",
                                          "password": "another-password",
                                          "token": form_token(admin, "/users")})
    assert response.status_code == 303
    assert name in admin.get("/users").text
    token = form_token(admin, "/visits")
    admin.post("/logout", data={"token": token})
    response = admin.post("/login", data={"name": name, "password": "another-password",
                                          "token": form_token(admin)})
    assert response.status_code == 303
    assert admin.get("/users").status_code == 403


def test_an_admin_cannot_remove_their_own_admin_role(admin: TestClient) -> None:
    page = admin.get("/users").text
    own_row = page[page.index("<td>ada.admin"):]
    user_id = own_row[own_row.index('action="/users/') + len('action="/users/'):].split('"')[0]
    response = admin.post(f"/users/{user_id}", data={"role": "scheduler", "active": "1",
                                                     "token": form_token(admin, "/users")})
    assert response.status_code == 400
    assert admin.get("/users").status_code == 200
