"""Every route with every role, and the provider role kept to its own patients.

The access table below names, for each board route, the roles it lets in; a new route must be
added here (a test compares it with the app's routes). Each role then walks every page: let in,
it gets the page (or its redirect, or "no packet yet"); refused, the board's 403 page naming why.
Refused changes are sent too, and refused without changing anything. The provider account
(Dr. Synthia Example's) reads only that provider's own patients: another provider's patient,
authorization or alert is "not found", never shown; it may record the outcome of a peer-to-peer
on a visit it performs, and nothing else.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.denials import open_step
from tracker.authorizations.notes import add_patient_note
from tracker.store.tables import (
    AlertRow,
    AuthorizationEventRow,
    AuthorizationRow,
    DenialStepRow,
    PatientRow,
    ProviderRow,
    SessionRow,
)
from tracker.store.users import add_user, list_users

from .conftest import PASSWORD, PROVIDER_NPI, USERS, Practice, form_token, provider_id, sign_in

OTHER_NPI = "1987654328"  # Dr. Fictional Provider: SYN-1002 and SYN-9001 are theirs
ROLES = ("scheduler", "billing", "admin", "provider")
EVERYONE = frozenset(ROLES)
STAFF = frozenset({"scheduler", "billing", "admin"})
WORKERS = frozenset({"billing", "admin"})
ADMINS = frozenset({"admin"})

GET_ACCESS: dict[str, frozenset[str]] = {
    "/": EVERYONE, "/visits": EVERYONE, "/patients/{patient_id}": EVERYONE,
    "/authorizations": EVERYONE, "/authorizations/{authorization_id}": EVERYONE,
    "/authorizations/{authorization_id}/packet.pdf": EVERYONE,
    "/authorizations/{authorization_id}/request.json": EVERYONE,
    "/alerts": EVERYONE, "/alerts/{alert_id}": EVERYONE,
    "/visits.csv": STAFF, "/api/visits": STAFF,
    "/queue": WORKERS, "/exemptions": WORKERS,
    "/fees": STAFF, "/charges": WORKERS,
    "/practice": WORKERS, "/practice/money": WORKERS, "/practice/report.pdf": WORKERS,
    "/practice/{figure}.csv": WORKERS,
    "/documents/{document_id}": WORKERS,
    "/users": ADMINS, "/providers": ADMINS,
}
# Reached with a record this practice does not hold: a role let in gets "not found".
NO_RECORD = {"/documents/{document_id}"}
POST_ACCESS: dict[str, frozenset[str]] = {
    "/logout": EVERYONE,
    # a provider: only the peer-to-peer of a visit they perform (tested below)
    "/authorizations/{authorization_id}/denial-steps/{step_id}/outcome": WORKERS | {"provider"},
    "/visits/check": STAFF, "/api/check": STAFF,
    "/authorizations/{authorization_id}/status": WORKERS,
    "/authorizations/{authorization_id}/manual-submission": WORKERS,
    "/authorizations/{authorization_id}/manual-decision": WORKERS,
    "/authorizations/{authorization_id}/notes": WORKERS,
    "/authorizations/{authorization_id}/denial-reason": WORKERS,
    "/authorizations/{authorization_id}/denial-steps": WORKERS,
    "/authorizations/{authorization_id}/denial-steps/{step_id}/schedule": WORKERS,
    "/authorizations/{authorization_id}/resubmission": WORKERS,
    "/authorizations/{authorization_id}/denial-close": WORKERS,
    "/patients/{patient_id}/notes": WORKERS,
    "/queue/{authorization_id}/claim": WORKERS, "/queue/{authorization_id}/assign": WORKERS,
    "/queue/{authorization_id}/dates": WORKERS, "/exemptions": WORKERS,
    "/fees": WORKERS, "/fees/{fee_id}/remove": WORKERS,
    "/authorizations/{authorization_id}/evidence/care": WORKERS,
    "/authorizations/{authorization_id}/evidence/outcome": WORKERS,
    "/authorizations/{authorization_id}/evidence/psych": WORKERS,
    "/authorizations/{authorization_id}/documents": WORKERS,
    "/documents/{document_id}/withdraw": WORKERS,
    "/alerts/{alert_id}/send-again": WORKERS,
    "/users": ADMINS, "/users/{user_id}": ADMINS, "/providers/{provider_id}": ADMINS,
}
# Signed out, or not a person: each authenticated its own way (tests/web/test_security.py).
OPEN_ROUTES = {("GET", "/login"), ("POST", "/login"), ("GET", "/healthz"),
               ("POST", "/payer-notifications/{payer}"), ("POST", "/twilio/status")}


@dataclass(frozen=True)
class Records:
    """A denied authorization with a peer-to-peer and a first-level appeal open, and an alert,
    for a patient of each provider."""

    own_patient: int
    own_auth: int
    own_p2p: int
    own_appeal: int
    own_alert: int
    other_patient: int
    other_auth: int
    other_p2p: int
    other_alert: int


_made: dict[str, Records] = {}


def _denied_case(practice: Practice, npi: str, family: str) -> tuple[int, int, int, int, int]:
    with DbSession(practice.engine) as db:
        patient = PatientRow(mrn=f"PRV-{secrets.token_hex(4)}", family_name=family,
                             given_name="Rowan", birth_date=date(1966, 3, 4))
        db.add(patient)
        db.flush()
        assert patient.id is not None
        # long past, so the other tests' upcoming-visit lists do not see it
        visit = SessionRow(patient_id=patient.id, date=date(2020, 2, 3), status="performed",
                           provider_id=provider_id(practice.engine, npi))
        db.add(visit)
        db.flush()
        assert visit.id is not None
        auth = AuthorizationRow(session_id=visit.id, payer="aetna", status="denied")
        db.add(auth)
        db.commit()
        assert auth.id is not None
        alert = AlertRow(dedupe_key=f"auth_denied:session:{visit.id}:denied:{auth.id}",
                         kind="auth_denied", subject=f"session:{visit.id}",
                         state=f"denied:{auth.id}", provider_id=visit.provider_id,
                         session_id=visit.id, urgency="high", status="sent",
                         payload={"ref": "..." + patient.mrn[-4:], "patient_id": patient.id,
                                  "session_id": visit.id, "date": "2020-02-03"})
        db.add(alert)
        db.commit()
        ids = (patient.id, auth.id, alert.id)
    p2p = open_step(practice.engine, ids[1], "peer_to_peer", actor="bea.billing")
    appeal = open_step(practice.engine, ids[1], "first_level", actor="bea.billing")
    assert ids[2] is not None
    return ids[0], ids[1], p2p.id, appeal.id, ids[2]


def records(practice: Practice) -> Records:
    if practice.url not in _made:
        own = _denied_case(practice, PROVIDER_NPI, "Ownpatient")
        other = _denied_case(practice, OTHER_NPI, "Otherpatient")
        _made[practice.url] = Records(*own, other_patient=other[0], other_auth=other[1],
                                      other_p2p=other[2], other_alert=other[4])
    return _made[practice.url]


def _url(path: str, found: Records, practice: Practice) -> str:
    user = next(u for u in list_users(practice.engine) if u.name == USERS["scheduler"])
    values = {"patient_id": found.own_patient, "authorization_id": found.own_auth,
              "alert_id": found.own_alert, "step_id": found.own_p2p, "user_id": user.id,
              "provider_id": provider_id(practice.engine, PROVIDER_NPI), "fee_id": 1,
              "figure": "approval-by-payer", "document_id": 999999}
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def _routes(routes: list[Any]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            found |= _routes(included.routes)
        for method in getattr(route, "methods", None) or ():
            if method in ("GET", "POST"):
                found.add((method, route.path))
    return found


def test_every_route_of_the_board_says_which_roles_it_lets_in(client: TestClient) -> None:
    declared = ({("GET", p) for p in GET_ACCESS} | {("POST", p) for p in POST_ACCESS}
                | OPEN_ROUTES)
    assert _routes(client.app.routes) == declared  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_the_pages_it_may_and_is_refused_the_rest(
        sqlite_client: TestClient, sqlite_practice: Practice, role: str) -> None:
    found = records(sqlite_practice)
    browser = sign_in(sqlite_client, role)
    for path, allowed in GET_ACCESS.items():
        response = browser.get(_url(path, found, sqlite_practice))
        if role in allowed:
            # a page, its redirect, or "no packet yet" for a request never prepared
            expected = (404,) if path in NO_RECORD else (200, 303, 409)
            assert response.status_code in expected, (role, path, response.status_code)
        else:
            assert response.status_code == 403, (role, path, response.status_code)
            if path.startswith("/api/"):
                assert "staff" in response.json()["error"]["message"] or role != "provider"
            else:
                assert "Not allowed" in response.text, (role, path)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_refused_the_changes_it_may_not_make_and_nothing_changes(
        sqlite_client: TestClient, sqlite_practice: Practice, role: str) -> None:
    found = records(sqlite_practice)
    browser = sign_in(sqlite_client, role)
    token = form_token(browser, "/visits")
    before = _history(sqlite_practice, found.own_auth)
    for path, allowed in POST_ACCESS.items():
        if role in allowed:
            continue
        response = browser.post(_url(path, found, sqlite_practice),
                                data={"token": token, "outcome": "overturned"})
        assert response.status_code == 403, (role, path, response.status_code)
    assert _history(sqlite_practice, found.own_auth) == before


def test_a_provider_sees_only_their_own_patients(provider: TestClient,
                                                 practice: Practice) -> None:
    found = records(practice)
    visits = provider.get("/visits?start=2026-12-01&end=2026-12-31").text
    assert "SYN-1001" in visits and "SYN-1003" in visits
    assert "SYN-1002" not in visits and "SYN-9001" not in visits
    assert "All providers" not in visits and "Download CSV" not in visits
    assert provider.get(f"/patients/{found.own_patient}").status_code == 200
    for path in (f"/patients/{found.other_patient}", f"/patients/{practice.patient_id('SYN-1002')}",
                 f"/authorizations/{found.other_auth}",
                 f"/authorizations/{found.other_auth}/packet.pdf",
                 f"/authorizations/{found.other_auth}/request.json",
                 f"/alerts/{found.other_alert}"):
        response = provider.get(path)
        assert response.status_code == 404, path
        assert "Otherpatient" not in response.text and "among your patients" in response.text
    listed = provider.get("/authorizations").text
    assert f'href="/authorizations/{found.own_auth}"' in listed
    assert f'href="/authorizations/{found.other_auth}"' not in listed
    assert "Otherpatient" not in listed
    alerts = provider.get("/alerts").text
    assert f'id="alert-{found.own_alert}"' in alerts
    assert f'id="alert-{found.other_alert}"' not in alerts


def test_the_link_in_a_providers_alert_opens_their_patient(provider: TestClient,
                                                          practice: Practice) -> None:
    found = records(practice)
    link = provider.get(f"/alerts/{found.own_alert}")
    assert link.status_code == 303
    assert link.headers["location"] == f"/patients/{found.own_patient}"
    page = provider.get(link.headers["location"])
    assert page.status_code == 200 and "Ownpatient" in page.text


def test_a_provider_records_their_peer_to_peer_outcome_and_nothing_else(
        provider: TestClient, practice: Practice) -> None:
    found = records(practice)
    page = provider.get(f"/authorizations/{found.own_auth}").text
    assert f"/denial-steps/{found.own_p2p}/outcome" in page
    assert f"/denial-steps/{found.own_appeal}/outcome" not in page
    for form in ("manual-decision", "denial-reason", "resubmission", "notes",
                 f"denial-steps/{found.own_p2p}/schedule"):
        assert f'action="/authorizations/{found.own_auth}/{form}"' not in page, form
    token = form_token(provider, "/visits")
    path = f"/authorizations/{found.own_auth}/denial-steps"
    appeal = provider.post(f"{path}/{found.own_appeal}/outcome",
                           data={"token": token, "outcome": "overturned"})
    assert appeal.status_code == 400 and "first-level appeal" in appeal.text
    stolen = provider.post(f"{path}/{found.other_p2p}/outcome",
                           data={"token": token, "outcome": "withdrawn"})
    assert stolen.status_code == 400 and "not one of authorization" in stolen.text
    other = provider.post(f"/authorizations/{found.other_auth}/denial-steps/{found.other_p2p}"
                          "/outcome", data={"token": token, "outcome": "withdrawn"})
    assert other.status_code == 404
    assert [_outcome(practice, s) for s in (found.own_appeal, found.other_p2p)] == [None, None]
    done = provider.post(f"{path}/{found.own_p2p}/outcome",
                         data={"token": token, "outcome": "overturned",
                               "note": "reviewer agreed after the call"})
    assert done.status_code == 303
    assert _outcome(practice, found.own_p2p) == "overturned"
    history = provider.get(f"/authorizations/{found.own_auth}").text
    assert "peer-to-peer overturned: reviewer agreed after the call" in history
    assert USERS["provider"] in history


def test_patient_notes_show_on_the_patient_and_in_their_authorizations(
        billing: TestClient, practice: Practice) -> None:
    found = records(practice)
    text = f"prefers morning calls {secrets.token_hex(3)}"
    response = billing.post(f"/patients/{found.own_patient}/notes",
                            data={"token": form_token(billing, "/visits"), "text": text})
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{found.own_patient}#notes"
    assert text in billing.get(f"/patients/{found.own_patient}").text
    history = billing.get(f"/authorizations/{found.own_auth}").text
    assert "Note on the patient" in history and text in history
    empty = billing.post(f"/patients/{found.own_patient}/notes",
                         data={"token": form_token(billing, "/visits"), "text": "  "})
    assert empty.status_code == 400 and "write the note first" in empty.text


def test_a_provider_reads_their_patients_notes_but_writes_none(provider: TestClient,
                                                               practice: Practice) -> None:
    found = records(practice)
    add_patient_note(practice.engine, found.own_patient, author="bea.billing",
                     text="ask about the new MRI")
    page = provider.get(f"/patients/{found.own_patient}").text
    assert "ask about the new MRI" in page and 'action="/patients/' not in page


def test_an_admin_links_a_new_provider_account_on_the_users_page(admin: TestClient,
                                                                 practice: Practice) -> None:
    name = f"dr.{secrets.token_hex(3)}"
    other = provider_id(practice.engine, OTHER_NPI)
    token = form_token(admin, "/users")
    unlinked = admin.post("/users", data={"name": name, "role": "provider",
                                          "password": PASSWORD, "token": token})
    assert unlinked.status_code == 400 and "must name its provider" in unlinked.text
    assert admin.post("/users", data={"name": name, "role": "provider", "provider": str(other),
                                      "password": PASSWORD, "token": token}).status_code == 303
    [added] = [u for u in list_users(practice.engine) if u.name == name]
    assert (added.role, added.provider_id) == ("provider", other)
    admin.post("/logout", data={"token": token})
    assert admin.post("/login", data={"name": name, "password": PASSWORD,
                                      "token": form_token(admin)}).status_code == 303
    visits = admin.get("/visits?start=2026-12-01&end=2026-12-31").text
    assert "SYN-1002" in visits and "SYN-1001" not in visits


def test_a_provider_account_whose_provider_record_is_gone_is_refused_clearly(
        client: TestClient, practice: Practice) -> None:
    from sqlalchemy import delete

    with DbSession(practice.engine) as db:
        record = ProviderRow(npi=str(secrets.randbelow(10**10)).zfill(10), name="Dr. Gone")
        db.add(record)
        db.commit()
        assert record.id is not None
        gone = record.id
    name = f"dr.{secrets.token_hex(3)}"
    add_user(practice.engine, name, "provider", PASSWORD, provider_id=gone)
    with practice.engine.begin() as connection:
        connection.execute(delete(ProviderRow).where(col(ProviderRow.id) == gone))
    assert client.post("/login", data={"name": name, "password": PASSWORD,
                                       "token": form_token(client)}).status_code == 303
    page = client.get("/visits")
    assert page.status_code == 403 and "not linked to a provider record" in page.text


def test_a_staff_role_cannot_carry_a_provider_link(practice: Practice) -> None:
    from tracker.errors import InputError

    with pytest.raises(InputError, match="only a provider account"):
        add_user(practice.engine, f"s.{secrets.token_hex(3)}", "scheduler", PASSWORD,
                 provider_id=provider_id(practice.engine, PROVIDER_NPI))


def _history(practice: Practice, auth_id: int) -> int:
    with DbSession(practice.engine) as db:
        return len(list(db.exec(select(AuthorizationEventRow)
                                .where(col(AuthorizationEventRow.authorization_id) == auth_id))))


def _outcome(practice: Practice, step_id: int) -> str | None:
    with DbSession(practice.engine) as db:
        step = db.get(DenialStepRow, step_id)
        assert step is not None
        return step.outcome
