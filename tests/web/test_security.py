"""The board as an attacker meets it: sessions that end on the server, password guessing
throttled, a Secure cookie when configured, security headers, the board's own pages for bad
addresses, an audit event naming the user for every change, and spreadsheet-safe exports."""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.store.audit import audit_trail
from tracker.store.tables import (
    AlertRow,
    AuthorizationRow,
    DenialStepRow,
    DocumentRow,
    ExemptionRow,
    FeeRow,
    PatientRow,
    ProviderRow,
    SessionRow,
    SignInFailureRow,
)
from tracker.store.users import add_user, set_password
from tracker.visits.upcoming import UpcomingVisit
from tracker.web.app import create_app
from tracker.web.visits_csv import visits_csv

from .conftest import PASSWORD, SECRET, TODAY, USERS, Practice, form_token, sign_in

WRONG = "not-the-password"


def _client(practice: Practice, address: str = "testclient",
            base_url: str = "http://testserver") -> TestClient:
    app = create_app(practice.engine, SECRET, today=lambda: TODAY)
    return TestClient(app, follow_redirects=False, client=(address, 50000), base_url=base_url)


@pytest.fixture(autouse=True)
def no_failures_left_behind(practice: Practice) -> Iterator[None]:
    """Failed sign-ins of one test must not throttle the next."""
    yield
    with DbSession(practice.engine) as db:
        db.execute(delete(SignInFailureRow))
        db.commit()


def _new_user(practice: Practice, role: str = "scheduler") -> str:
    name = f"tmp.{secrets.token_hex(4)}"
    add_user(practice.engine, name, role, PASSWORD)
    return name


def _sign_in_as(client: TestClient, name: str, password: str = PASSWORD) -> int:
    return client.post("/login", data={"name": name, "password": password,
                                       "token": form_token(client)}).status_code


# -- sessions that end ------------------------------------------------------------------------

def test_a_cookie_replayed_after_logout_is_refused(practice: Practice) -> None:
    name = _new_user(practice)
    with _client(practice) as browser:
        assert _sign_in_as(browser, name) == 303
        stolen = browser.cookies.get("painauth_session")
        assert stolen and browser.get("/visits").status_code == 200
        logout = browser.post("/logout", data={"token": form_token(browser, "/visits")})
        assert logout.status_code == 303
    with _client(practice) as replay:
        replay.cookies.set("painauth_session", stolen)
        assert replay.get("/visits").status_code == 303  # back to the sign-in page
        assert replay.get("/api/visits").status_code == 401


@pytest.mark.parametrize("ending", ["new password", "disabled"])
def test_a_new_password_or_disabling_ends_the_users_sessions(practice: Practice,
                                                             ending: str) -> None:
    name = _new_user(practice)
    with _client(practice) as browser:
        assert _sign_in_as(browser, name) == 303
        assert browser.get("/api/visits").status_code == 200
        user_id = next(u.id for u in _users(practice) if u.name == name)
        if ending == "new password":
            set_password(practice.engine, user_id, "another-password-2")
        else:
            with _client(practice) as admin:
                sign_in(admin, "admin")
                changed = admin.post(f"/users/{user_id}", data={
                    "role": "scheduler", "token": form_token(admin, "/users")})
                assert changed.status_code == 303
        assert browser.get("/api/visits").status_code == 401
        assert browser.get("/visits").status_code == 303


def _users(practice: Practice) -> list:  # type: ignore[type-arg]
    from tracker.store.users import list_users
    return list_users(practice.engine)


# -- password guessing ------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["existing", "unknown"])
def test_the_eleventh_wrong_password_in_a_minute_is_throttled(practice: Practice,
                                                              who: str) -> None:
    name = _new_user(practice) if who == "existing" else "nobody.at.all"
    with _client(practice, address="198.51.100.7") as guesser:
        answers = [_sign_in_as(guesser, name, WRONG) for _ in range(10)]
        assert answers == [401] * 10
        eleventh = guesser.post("/login", data={"name": name, "password": PASSWORD,
                                                "token": form_token(guesser)})
    assert eleventh.status_code == 429
    assert "Too many failed sign-ins" in eleventh.text
    assert "do not match" not in eleventh.text  # the same answer whether the name exists


def test_guessing_many_names_from_one_address_is_throttled_too(practice: Practice) -> None:
    with _client(practice, address="198.51.100.8") as guesser:
        assert [_sign_in_as(guesser, f"guess.{n}", WRONG) for n in range(10)] == [401] * 10
        assert _sign_in_as(guesser, USERS["scheduler"]) == 429
    with _client(practice, address="198.51.100.9") as colleague:  # another desk is not locked out
        assert _sign_in_as(colleague, USERS["scheduler"]) == 303


# -- the cookie and the headers ---------------------------------------------------------------

def test_the_cookie_is_secure_and_hsts_sent_when_configured(practice: Practice,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAINAUTH_COOKIE_SECURE", "true")
    with _client(practice, base_url="https://testserver") as browser:  # TLS in front
        response = browser.post("/login", data={"name": USERS["scheduler"], "password": PASSWORD,
                                                "token": form_token(browser)})
    assert response.status_code == 303
    assert "secure" in response.headers["set-cookie"].lower()
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_the_cookie_is_not_secure_by_default_nor_hsts_sent(practice: Practice,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAINAUTH_COOKIE_SECURE", raising=False)
    with _client(practice) as browser:
        response = browser.post("/login", data={"name": USERS["scheduler"], "password": PASSWORD,
                                                "token": form_token(browser)})
    assert "secure" not in response.headers["set-cookie"].lower()
    assert "strict-transport-security" not in response.headers


def test_every_page_forbids_framing_and_sniffing(client: TestClient) -> None:
    for page in ("/login", "/visits", "/nowhere"):
        headers = client.get(page).headers
        assert headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


# -- bad addresses ----------------------------------------------------------------------------

@pytest.mark.parametrize("page", ["/patients/abc", "/patients/99999999999999999999999",
                                  "/patients/0", "/authorizations/abc",
                                  "/authorizations/99999999999999999999999", "/no/such/page"])
def test_a_bad_address_gets_the_boards_own_404_page(scheduler: TestClient, page: str) -> None:
    response = scheduler.get(page)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Signed in as" in response.text and '"detail"' not in response.text


def test_a_week_date_in_a_filter_is_refused_naming_the_field(scheduler: TestClient) -> None:
    response = scheduler.get("/api/visits?start=2026-W01-1")
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "start"
    assert scheduler.get("/visits?end=20261231").status_code == 400


# -- the audit trail --------------------------------------------------------------------------

def _add_authorization(practice: Practice, status: str) -> int:
    """A patient, a visit and an authorization of this test's own."""
    with DbSession(practice.engine) as db:
        patient = PatientRow(mrn=f"AUD-{secrets.token_hex(4)}", family_name="Audit",
                             given_name="Tess", birth_date=date(1970, 1, 1))
        db.add(patient)
        db.flush()
        assert patient.id is not None
        # long past, so the board's upcoming-visit lists of other tests do not see it
        visit = SessionRow(patient_id=patient.id, date=date(2020, 1, 20), status="performed")
        db.add(visit)
        db.flush()
        assert visit.id is not None
        auth = AuthorizationRow(session_id=visit.id, payer="aetna", status=status)
        db.add(auth)
        db.commit()
        assert auth.id is not None
        return auth.id


def _add_patient(practice: Practice) -> int:
    with DbSession(practice.engine) as db:
        patient = PatientRow(mrn=f"AUD-{secrets.token_hex(4)}", family_name="Audit",
                             given_name="Noel", birth_date=date(1971, 2, 2))
        db.add(patient)
        db.commit()
        assert patient.id is not None
        return patient.id


def _add_provider(practice: Practice) -> int:
    with DbSession(practice.engine) as db:
        provider = ProviderRow(npi=str(secrets.randbelow(10**10)).zfill(10), name="Dr. Audit")
        db.add(provider)
        db.commit()
        assert provider.id is not None
        return provider.id


def _add_interrupted_alert(practice: Practice) -> int:
    with DbSession(practice.engine) as db:
        alert = AlertRow(dedupe_key=f"test:{secrets.token_hex(6)}", kind="auth_denied",
                         subject="session:0", state="denied", urgency="high", status="unknown")
        db.add(alert)
        db.commit()
        assert alert.id is not None
        return alert.id


def _change(practice: Practice, browser: TestClient, change: str) -> tuple[str, str]:
    """Make one change through the board; returns the audit action and subject expected."""
    token = form_token(browser, "/visits")
    if change == "add user":
        name = f"new.{secrets.token_hex(4)}"
        assert browser.post("/users", data={"name": name, "role": "scheduler",
                                            "password": PASSWORD, "token": token}
                            ).status_code == 303
        added = next(u for u in _users(practice) if u.name == name)
        return "user_added", f"user:{added.id}"
    if change in ("change role", "disable user"):
        name = _new_user(practice)
        user_id = next(u.id for u in _users(practice) if u.name == name)
        form = ({"role": "billing", "active": "1"} if change == "change role"
                else {"role": "scheduler"})
        assert browser.post(f"/users/{user_id}", data={**form, "token": token}
                            ).status_code == 303
        return ("user_role_changed" if change == "change role" else "user_disabled",
                f"user:{user_id}")
    if change == "edit provider preferences":
        provider_id = _add_provider(practice)
        assert browser.post(f"/providers/{provider_id}", data={
            "channels": "email", "email": "dr.audit@example.org", "time_zone": "UTC",
            "token": token}).status_code == 303
        return "provider_preferences_edited", f"provider:{provider_id}"
    if change == "send alert again":
        alert_id = _add_interrupted_alert(practice)
        assert browser.post(f"/alerts/{alert_id}/send-again", data={"token": token}
                            ).status_code == 303
        return "alert_sent_again", f"alert:{alert_id}"
    if change == "change authorization status":
        auth_id = _add_authorization(practice, "needed")
        assert browser.post(f"/authorizations/{auth_id}/status", data={
            "status": "cancelled", "reason": "visit moved", "token": token}).status_code == 303
        return "authorization_status_changed", f"authorization:{auth_id}"
    if change == "record manual submission":
        auth_id = _add_authorization(practice, "ready")
        assert browser.post(f"/authorizations/{auth_id}/manual-submission", data={
            "channel": "fax", "reference": "FAX-1", "token": token}).status_code == 303
        return "manual_submission_recorded", f"authorization:{auth_id}"
    if change == "record manual decision":
        auth_id = _add_authorization(practice, "submitted")
        assert browser.post(f"/authorizations/{auth_id}/manual-decision", data={
            "decision": "denied", "reason": "not medically necessary", "token": token}
                            ).status_code == 303
        return "manual_decision_recorded", f"authorization:{auth_id}"
    if change in QUEUE_CHANGES:
        return _queue_change(practice, browser, change, token)
    if change in EVIDENCE_CHANGES:
        return _evidence_change(practice, browser, change, token)
    if change == "record exemption":
        assert browser.post("/exemptions", data={
            "program": "medicare/medicare-wiser", "group": "esi", "provider_npi": "1234567893",
            "starts": "2026-01-15", "ends": "2026-12-31", "reference": "AUDIT-TEST",
            "token": token}).status_code == 303
        with practice.engine.begin() as connection:  # other tests' evaluations must not see it
            connection.execute(delete(ExemptionRow).where(
                col(ExemptionRow.reference) == "AUDIT-TEST"))
        return "exemption_recorded", "program:medicare/medicare-wiser"
    if change == "add patient note":
        patient = _add_patient(practice)
        assert browser.post(f"/patients/{patient}/notes", data={"text": "audit note",
                                                                "token": token}).status_code == 303
        return "patient_note_added", f"patient:{patient}"
    if change in ("record fee", "remove fee"):
        assert browser.post("/fees", data={"code": "0213T", "amount": "1", "payer": "aetna",
                                           "effective_start": "2026-01-01", "token": token}
                            ).status_code == 303
        with practice.engine.connect() as connection:
            fee_id = connection.execute(
                select(col(FeeRow.id)).where(col(FeeRow.code) == "0213T")).scalar_one()
        if change == "record fee":
            with practice.engine.begin() as connection:  # other tests must not price with it
                connection.execute(delete(FeeRow).where(col(FeeRow.id) == fee_id))
            return "fee_recorded", f"fee:{fee_id}"
        assert browser.post(f"/fees/{fee_id}/remove", data={"token": token}).status_code == 303
        return "fee_removed", f"fee:{fee_id}"
    if change == "check again now":
        patient = practice.patient_id("SYN-1002")
        assert browser.post("/visits/check", data={"patient": str(patient), "token": token}
                            ).status_code == 303
        return "visits_checked_again", f"patient:{patient}"
    if change == "sign out":
        user = next(u for u in _users(practice) if u.name == USERS["admin"])
        assert browser.post("/logout", data={"token": token}).status_code == 303
        return "signed_out", f"user:{user.id}"
    raise AssertionError(change)


QUEUE_CHANGES = ["claim queue item", "assign queue item", "date queue item", "add note",
                 "record denial reason", "open denial step", "schedule peer-to-peer",
                 "record step outcome", "resubmit", "close denial"]


def _queue_change(practice: Practice, browser: TestClient, change: str,
                  token: str) -> tuple[str, str]:
    auth_id = _add_authorization(practice, "denied")
    path = f"/authorizations/{auth_id}"
    subject = f"authorization:{auth_id}"
    if change in ("schedule peer-to-peer", "record step outcome"):
        assert browser.post(f"{path}/denial-steps", data={"kind": "peer_to_peer", "token": token}
                            ).status_code == 303
        step = max(e.id for e in _steps(practice, auth_id))
        if change == "schedule peer-to-peer":
            assert browser.post(f"{path}/denial-steps/{step}/schedule", data={
                "at": "2026-12-03T15:30", "physician": "Dr. Audit", "token": token}
                                ).status_code == 303
            return "peer_to_peer_scheduled", subject
        assert browser.post(f"{path}/denial-steps/{step}/outcome", data={
            "outcome": "upheld", "token": token}).status_code == 303
        return "denial_step_outcome", subject
    posts = {"claim queue item": (f"/queue/{auth_id}/claim", {}, "queue_item_claimed"),
             "assign queue item": (f"/queue/{auth_id}/assign", {"owner": USERS["billing"]},
                                   "queue_item_assigned"),
             "date queue item": (f"/queue/{auth_id}/dates", {"due_on": "2026-12-09"},
                                 "queue_item_dated"),
             "add note": (f"{path}/notes", {"text": "audit note"}, "authorization_note_added"),
             "record denial reason": (f"{path}/denial-reason", {"reason": "no", "code": "CO-50"},
                                      "denial_reason_recorded"),
             "open denial step": (f"{path}/denial-steps", {"kind": "first_level"},
                                  "denial_step_opened"),
             "resubmit": (f"{path}/resubmission", {"correction": "fixed"},
                          "authorization_resubmitted"),
             "close denial": (f"{path}/denial-close", {"reason": "not appealed"},
                              "denial_closed")}
    url, data, action = posts[change]
    assert browser.post(url, data={**data, "token": token}).status_code == 303
    return action, subject


EVIDENCE_CHANGES = ["upload document", "withdraw document", "enter conservative care",
                    "enter session outcome", "enter psych evaluation"]


def _evidence_change(practice: Practice, browser: TestClient, change: str,
                     token: str) -> tuple[str, str]:
    from .test_documents_and_evidence import add_patient_with_authorization, pdf

    auth_id, block = add_patient_with_authorization(practice)
    path = f"/authorizations/{auth_id}"
    if change in ("upload document", "withdraw document"):
        assert browser.post(f"{path}/documents", data={
            "kind": "office_note", "document_date": "2019-12-20", "token": token},
            files={"file": ("note.pdf", pdf(), "application/pdf")}).status_code == 303
        if change == "upload document":
            return "document_uploaded", f"authorization:{auth_id}"
        with DbSession(practice.engine) as db:
            document = db.exec(select(DocumentRow).where(
                DocumentRow.authorization_id == auth_id)).one()
        assert browser.post(f"/documents/{document.id}/withdraw", data={
            "reason": "wrong patient", "token": token}).status_code == 303
        return "document_withdrawn", f"document:{document.id}"
    posts = {"enter conservative care": ("care", {"kind": "physical_therapy",
                                                  "start": "2019-09-01", "end": "2019-10-01"},
                                         "conservative_care_entered"),
             "enter session outcome": ("outcome", {"session": str(block),
                                                   "relief_percent": "80"},
                                       "session_outcome_entered"),
             "enter psych evaluation": ("psych", {"evaluation_date": "2019-11-01",
                                                  "evaluator": "Dr. Audit", "result": "cleared"},
                                        "psych_evaluation_entered")}
    form, data, action = posts[change]
    assert browser.post(f"{path}/evidence/{form}", data={**data, "token": token}
                        ).status_code == 303
    return action, f"authorization:{auth_id}"


def _steps(practice: Practice, auth_id: int) -> list[DenialStepRow]:
    with DbSession(practice.engine) as db:
        return list(db.exec(select(DenialStepRow).where(DenialStepRow.authorization_id == auth_id)))


CHANGES = ["add user", "change role", "disable user", "edit provider preferences",
           "send alert again", "change authorization status", "record manual submission",
           "record manual decision", "record exemption", "check again now", "add patient note",
           "sign out", "record fee", "remove fee",
           *QUEUE_CHANGES, *EVIDENCE_CHANGES]
# Routes that change state without a signed-in person: each is authenticated its own way and
# leaves its own record (the notification row, the delivery status), or changes nothing.
NOT_A_PERSON = {"/payer-notifications/{payer}", "/twilio/status", "/api/check"}
AUDITED_ROUTES = {"/login", "/logout", "/users", "/users/{user_id}", "/exemptions",
                  "/fees", "/fees/{fee_id}/remove",
                  "/providers/{provider_id}", "/alerts/{alert_id}/send-again",
                  "/authorizations/{authorization_id}/status",
                  "/authorizations/{authorization_id}/manual-submission",
                  "/authorizations/{authorization_id}/manual-decision", "/visits/check",
                  "/patients/{patient_id}/notes",
                  "/queue/{authorization_id}/claim", "/queue/{authorization_id}/assign",
                  "/queue/{authorization_id}/dates", "/authorizations/{authorization_id}/notes",
                  "/authorizations/{authorization_id}/denial-reason",
                  "/authorizations/{authorization_id}/denial-steps",
                  "/authorizations/{authorization_id}/denial-steps/{step_id}/schedule",
                  "/authorizations/{authorization_id}/denial-steps/{step_id}/outcome",
                  "/authorizations/{authorization_id}/resubmission",
                  "/authorizations/{authorization_id}/denial-close",
                  "/authorizations/{authorization_id}/documents", "/documents/{document_id}/withdraw",
                  "/authorizations/{authorization_id}/evidence/care",
                  "/authorizations/{authorization_id}/evidence/outcome",
                  "/authorizations/{authorization_id}/evidence/psych"}


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_writes_an_audit_event_naming_the_user(
        practice: Practice, change: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAINAUTH_HOME", str(tmp_path))  # where uploaded documents go
    with _client(practice, address="192.0.2.44") as browser:
        sign_in(browser, "admin")
        since = max((e.id for e in audit_trail(practice.engine, limit=1)), default=0)
        action, subject = _change(practice, browser, change)
    [event] = [e for e in audit_trail(practice.engine) if e.id > since and e.subject == subject
               and e.action == action]
    assert event.actor == USERS["admin"]
    assert event.detail["address"] == "192.0.2.44"


def test_signing_in_is_audited(practice: Practice) -> None:
    name = _new_user(practice)
    with _client(practice) as browser:
        assert _sign_in_as(browser, name) == 303
    assert any(e.actor == name and e.action == "signed_in" for e in audit_trail(practice.engine))


def _routes(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        included = getattr(route, "original_router", None)  # an included router, not flattened
        if included is not None:
            yield from _routes(included.routes)
        else:
            yield route


def test_no_state_changing_route_is_left_out_of_the_audit_tests(client: TestClient) -> None:
    changing = {route.path for route in _routes(client.app.routes)  # type: ignore[attr-defined]
                if set(getattr(route, "methods", ()) or ()) & {"POST", "PUT", "PATCH", "DELETE"}}
    assert changing == AUDITED_ROUTES | NOT_A_PERSON


# -- exports ----------------------------------------------------------------------------------

def test_the_csv_export_neutralises_formulas_and_starts_with_a_byte_order_mark() -> None:
    visit = UpcomingVisit(session_id=1, date=date(2026, 12, 3), patient_id=1, mrn="-SYN",
                          patient_name='=HYPERLINK("http://evil.example","click")',
                          provider="+Dr. Plus", codes="@64483", payer="aetna",
                          verdict="needs_auth", auth_status="\tready", counters=("\rx",),
                          next_eligible_date=None, findings=("2 × 64483",))
    text = visits_csv([visit])
    assert text.startswith("\ufeff")
    [row] = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert row["patient"] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert (row["mrn"], row["provider"], row["codes"], row["auth_status"], row["counters"]) == (
        "'-SYN", "'+Dr. Plus", "'@64483", "'\tready", "'\rx")
    assert row["findings"] == "2 × 64483"


def test_a_short_new_password_is_refused_naming_the_field(practice: Practice) -> None:
    from tracker.errors import InputError
    user_id = next(u.id for u in _users(practice) if u.name == USERS["scheduler"])
    with pytest.raises(InputError) as refused:
        set_password(practice.engine, user_id, "short")
    assert refused.value.path == "password"
