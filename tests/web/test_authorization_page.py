"""The authorization page: where a request stands, its flags, history, every attempt with the
payer's answer read line by line, its packet, and billing recording a fax or portal payer's
answer — on SQLite and PostgreSQL, against the payer sandbox over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from payers.sandbox_server import serving
from sqlalchemy import select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.authorizations.follow_up import FollowUpSummary, flag_trouble
from tracker.authorizations.gateways import PayerGateways
from tracker.authorizations.submission import submit_authorization
from tracker.importers.service import import_practice_files
from tracker.packages.preparation import prepare_authorization
from tracker.payers.endpoints import PayerEndpoint
from tracker.payers.pas_gateway import PasGateway
from tracker.payers.sandbox import SandboxConfig, create_app
from tracker.payers.sandbox.rules import rules_from
from tracker.store.tables import AuthorizationEventRow, AuthorizationRow, SessionRow

from .conftest import TODAY, Practice, form_token

# Two ablation lines; the payer grants one unit of the second of two asked for (A2, partial).
RULES: dict[str, Any] = {"lines": [{"codes": ["64636"], "max_units": 1}], "auth_valid_days": 90}
PATIENTS = """mrn,family_name,given_name,birth_date
SYN-9401,Pagefield,Morgan,1968-02-11
SYN-9402,Faxworth,Robin,1975-09-30
"""
COVERAGES = """patient_mrn,payer,member_id,effective_start,effective_end,rank
SYN-9401,aetna,W940100001,2025-01-01,,primary
SYN-9402,cigna,U940200002,2025-01-01,,primary
"""
# Visits after the board's three weeks, so the other board tests' counts stay as they are.
SESSIONS = ("patient_mrn,date,status,codes,place_of_service,intent,muscles,relief_percent,"
            "duration_days,provider_npi,diagnoses\n") + """\
SYN-9401,2026-08-04,performed,64493;64494,24,diagnostic,,85,1,1987654328,M47.816
SYN-9401,2026-09-01,performed,64493;64494,24,diagnostic,,90,1,1987654328,M47.816
SYN-9401,2027-03-02,scheduled,64635;64636x2,24,,,,,1987654328,M47.816;M54.50
SYN-9402,2027-03-09,scheduled,62323,11,,,,,1987654328,M54.16
"""
CARE = """patient_mrn,kind,start,end,outcome,visits
SYN-9402,physical_therapy,2026-06-01,2026-08-15,partial,12
"""


@dataclass(frozen=True)
class Staged:
    home: Path
    sent: int  # submitted to the sandbox, answered partial, flagged units_short
    faxed: int  # a fax payer's request, ready for billing to record


_staged: dict[str, Staged] = {}


def _stage(practice: Practice, home: Path) -> Staged:
    folder = home / "files"
    folder.mkdir(parents=True)
    for name, text in (("patients.csv", PATIENTS), ("coverages.csv", COVERAGES),
                       ("sessions.csv", SESSIONS), ("conservative_care.csv", CARE)):
        (folder / name).write_text(text, encoding="utf-8")
    report = import_practice_files([folder], practice.engine, today=TODAY)
    assert report.clean, [(f.path, f.error, f.refused) for f in report.files]
    ids = []
    for mrn, payer in (("SYN-9401", "aetna"), ("SYN-9402", "cigna")):
        with DbSession(practice.engine) as db:
            session_id = db.execute(select(col(SessionRow.id)).where(
                col(SessionRow.patient_id) == practice.patient_id(mrn),
                col(SessionRow.status) == "scheduled")).scalar_one()
            auth = AuthorizationRow(session_id=session_id, payer=payer, status="needed")
            db.add(auth)
            db.commit()
            assert auth.id is not None
            ids.append(auth.id)
    sent, faxed = ids
    assert prepare_authorization(practice.engine, sent, "test", TODAY).to_status == "ready"
    with DbSession(practice.engine) as db:
        fax = db.get(AuthorizationRow, faxed)
        assert fax is not None
        fax.status = "ready"
        db.add(fax)
        db.commit()
    sandbox = create_app(SandboxConfig(rules=rules_from(RULES), review_tick_seconds=0.05))
    with serving(sandbox) as url:
        gateways = PayerGateways(lambda payer: PasGateway(PayerEndpoint(payer=payer, base_url=url)))
        with gateways:
            outcome = submit_authorization(practice.engine, sent, gateways, home / "packets",
                                           as_of=TODAY)
    assert (outcome.outcome, outcome.status) == ("sent", "partial")
    flag_trouble(practice.engine, FollowUpSummary())
    return Staged(home=home, sent=sent, faxed=faxed)


@pytest.fixture
def staged(practice: Practice, tmp_path_factory: pytest.TempPathFactory,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Staged]:
    if practice.url not in _staged:
        _staged[practice.url] = _stage(practice, tmp_path_factory.mktemp("painauth-home"))
    found = _staged[practice.url]
    monkeypatch.setenv("PAINAUTH_HOME", str(found.home))
    yield found


def _events(practice: Practice, auth_id: int) -> list[AuthorizationEventRow]:
    with DbSession(practice.engine) as db:
        return list(db.execute(select(AuthorizationEventRow)
                               .where(col(AuthorizationEventRow.authorization_id) == auth_id)
                               .order_by(col(AuthorizationEventRow.id))).scalars())


def test_the_page_shows_status_flags_history_and_the_payers_answer_line_by_line(
        scheduler: TestClient, staged: Staged) -> None:
    page = scheduler.get(f"/authorizations/{staged.sent}")
    assert page.status_code == 200, page.text
    text = page.text
    assert 'id="status">partial<' in text and "approved part of it" in text
    assert "units short" in text and "Fewer units approved than requested" in text
    assert "2 of 3 procedure units" in text and "64636: 1 of 2" in text
    # times in the practice's time zone (PAINAUTH_PRACTICE_TIMEZONE, America/New_York by default)
    assert re.search(r"Submitted</dt><dd>\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T", text), text
    assert f"painauth-auth{staged.sent}-1" in text
    assert "Payer's answer: <strong class=\"answer-status\">partial</strong>" in text
    assert "SBX" in text and "2027-03-02 to 2027-05-31" in text
    history = text.split('id="history"')[1]
    assert "ready → submitted" in history and "submitted → partial" in history
    assert "submit-authorizations" in history and "64636: 1 of 2" in history


def test_the_packet_downloads_as_the_pdf_that_was_sent(scheduler: TestClient,
                                                      staged: Staged) -> None:
    response = scheduler.get(f"/authorizations/{staged.sent}/packet.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert f"painauth-auth{staged.sent}-1.pdf" in response.headers["content-disposition"]
    assert response.content == (staged.home / "packets" / f"painauth-auth{staged.sent}-1.pdf").read_bytes()
    bundle = scheduler.get(f"/authorizations/{staged.sent}/request.json").json()
    assert bundle["identifier"]["value"] == f"painauth-auth{staged.sent}-1"


def test_a_packet_not_yet_sent_is_rendered_from_the_package(scheduler: TestClient,
                                                           staged: Staged) -> None:
    response = scheduler.get(f"/authorizations/{staged.faxed}/packet.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert "preview" in response.headers["content-disposition"]


def test_the_list_filters_by_status_and_flag_and_links_each_authorization(
        scheduler: TestClient, staged: Staged) -> None:
    flagged = scheduler.get("/authorizations?flag=units_short")
    assert f'href="/authorizations/{staged.sent}"' in flagged.text
    assert f'href="/authorizations/{staged.faxed}"' not in flagged.text
    partial = scheduler.get("/authorizations?status=partial")
    assert f'data-authorization="{staged.sent}"' in partial.text
    assert scheduler.get("/authorizations?flag=nonsense").status_code == 400


def test_a_scheduler_views_but_cannot_record(scheduler: TestClient, practice: Practice,
                                            staged: Staged) -> None:
    page = scheduler.get(f"/authorizations/{staged.faxed}")
    assert page.status_code == 200 and "Record the send" not in page.text
    before = _events(practice, staged.faxed)
    token = form_token(scheduler, f"/authorizations/{staged.faxed}")
    refused = scheduler.post(f"/authorizations/{staged.faxed}/manual-submission",
                             data={"token": token, "channel": "fax"})
    assert refused.status_code == 403 and "needs the billing role" in refused.text
    refused = scheduler.post(f"/authorizations/{staged.faxed}/manual-decision",
                             data={"token": token, "decision": "denied", "reason": "x"})
    assert refused.status_code == 403
    assert len(_events(practice, staged.faxed)) == len(before)


def test_billing_records_a_fax_submission_and_the_decision_with_who_and_why(
        billing: TestClient, practice: Practice, staged: Staged) -> None:
    path = f"/authorizations/{staged.faxed}"
    assert "Record the send" in billing.get(path).text
    response = billing.post(f"{path}/manual-submission", data={
        "token": form_token(billing, path), "channel": "fax", "reference": "FAX-0302-11",
        "note": "cover sheet attached"})
    assert response.status_code == 303 and response.headers["location"] == f"{path}#history"
    refused = billing.post(f"{path}/manual-decision", data={
        "token": form_token(billing, path), "decision": "approved", "auth_number": ""})
    assert refused.status_code == 400 and "needs the payer&#39;s number" in refused.text
    response = billing.post(f"{path}/manual-decision", data={
        "token": form_token(billing, path), "decision": "approved", "auth_number": "CG-7781",
        "valid_from": "2027-03-01", "valid_to": "2027-05-29", "units": "1", "reason": ""})
    assert response.status_code == 303
    events = _events(practice, staged.faxed)
    sent, decided = events[-2:]
    assert (sent.from_status, sent.to_status, sent.actor) == ("ready", "submitted", "bea.billing")
    assert sent.reason == "sent by fax, reference FAX-0302-11: cover sheet attached"
    assert (decided.from_status, decided.to_status, decided.actor) == ("submitted", "approved",
                                                                      "bea.billing")
    assert decided.reason == "approved by the payer, number CG-7781"
    page = billing.get(path)
    assert 'id="auth-number">CG-7781<' in page.text and "2027-03-01 to 2027-05-29" in page.text
    assert "Record the payer's decision" not in page.text


def test_a_form_without_the_token_is_refused(billing: TestClient, staged: Staged) -> None:
    response = billing.post(f"/authorizations/{staged.faxed}/manual-submission",
                            data={"token": "forged", "channel": "fax"})
    assert response.status_code == 403


def test_an_unknown_authorization_is_a_404_page(scheduler: TestClient, staged: Staged) -> None:
    assert scheduler.get("/authorizations/999999").status_code == 404
    assert scheduler.get("/authorizations/999999/packet.pdf").status_code == 404


def test_the_patient_page_links_to_the_authorization(scheduler: TestClient, practice: Practice,
                                                    staged: Staged) -> None:
    page = scheduler.get(f"/patients/{practice.patient_id('SYN-9401')}")
    assert f'href="/authorizations/{staged.sent}"' in page.text

