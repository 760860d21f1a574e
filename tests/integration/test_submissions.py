"""Submitting ready authorizations to the payer sandbox over HTTP and following them to a
decision: exactly once under faults, timeouts and a killed process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from payers.sandbox_server import serving
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from integration.payer_sandbox import Sandbox, running_sandbox
from tracker.authorizations.follow_up import follow_up_authorizations
from tracker.authorizations.gateways import PayerGateways
from tracker.authorizations.submission import submit_ready_authorizations
from tracker.importers.service import import_practice_files
from tracker.packages.evidence import evidence_codes
from tracker.packages.preparation import prepare_open_authorizations
from tracker.payers.endpoints import PayerEndpoint
from tracker.payers.pas_gateway import PasGateway
from tracker.payers.subscription import subscribe_to_decisions
from tracker.store.tables import (
    AuthorizationEventRow,
    AuthorizationRow,
    PayerNotificationRow,
    SubmissionAttemptRow,
    utc_now,
)
from tracker.visits.pre_visit import check_upcoming_visits
from tracker.web.app import create_app as create_board

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 12, 1)
RULES: dict[str, Any] = {
    "lines": [{"families": ["facet_rfa"], "requires": ["diagnostic-blocks"]}],
    "auth_valid_days": 90,
}
PEND_THEN_APPROVE: dict[str, Any] = {
    "lines": [{"families": ["facet_rfa"], "decision": "pend", "pend_seconds": 3600,
               "then": "approve"}],
    "auth_valid_days": 90,
}


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[Sandbox]:
    with running_sandbox(RULES) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    return sandbox_server.reset()


def gateways_for(sandbox: Sandbox, read_timeout: float = 1.0) -> PayerGateways:
    def opener(payer: str) -> PasGateway:
        return PasGateway(PayerEndpoint(payer=payer, base_url=sandbox.url, read_timeout=read_timeout,
                                        backoff_seconds=0.01, max_backoff_seconds=0.05))
    return PayerGateways(opener)


@pytest.fixture
def ready_authorization(engine) -> int:
    """The samples' Aetna RFA visit: its authorization opened by the pre-visit check and prepared
    (two ≥ 80 % blocks on file, diagnoses recorded) to `ready`."""
    import_practice_files(sorted((REPO / "samples").glob("*.csv")), engine)
    check_upcoming_visits(engine, AS_OF)
    summary = prepare_open_authorizations(engine, "test", AS_OF)
    assert summary.ready, summary
    return summary.ready[0]


def authorization(engine, authorization_id: int) -> AuthorizationRow:
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, authorization_id)
        assert auth is not None
        return auth


def trail(engine, authorization_id: int) -> list[str]:
    with DbSession(engine) as db:
        return [e.to_status for e in db.exec(select(AuthorizationEventRow).where(
            AuthorizationEventRow.authorization_id == authorization_id)
            .order_by(col(AuthorizationEventRow.id)))]


def test_a_ready_authorization_is_sent_once_and_its_approval_recorded(engine, sandbox,
                                                                      ready_authorization,
                                                                      tmp_path):
    with gateways_for(sandbox) as gateways:
        first = submit_ready_authorizations(engine, gateways, tmp_path, as_of=AS_OF)
        again = submit_ready_authorizations(engine, gateways, tmp_path, as_of=AS_OF)
    assert first.outcomes == {"sent": 1}
    assert again.outcomes == {}
    assert len(sandbox.submits()) == 1
    auth = authorization(engine, ready_authorization)
    assert auth.status == "approved" and auth.auth_number
    assert auth.valid_to is not None and auth.valid_to >= date(2026, 12, 15)
    assert auth.decision_due_at is not None
    assert trail(engine, ready_authorization)[-2:] == ["submitted", "approved"]
    packet = Path(first.packets[0])
    assert packet.read_bytes().startswith(b"%PDF")


def test_the_bundle_sent_carries_the_evidence_the_payer_requires(engine, sandbox,
                                                                 ready_authorization, tmp_path):
    with gateways_for(sandbox) as gateways:
        submit_ready_authorizations(engine, gateways, tmp_path, as_of=AS_OF)
    with DbSession(engine) as db:
        attempt = db.exec(select(SubmissionAttemptRow)).one()
    assert "diagnostic-blocks" in evidence_codes(attempt.request)
    assert attempt.request["identifier"]["value"] == attempt.bundle_identifier


def test_a_payer_5xx_is_retried_and_adjudicated_once(engine, sandbox, ready_authorization,
                                                     tmp_path):
    sandbox.post("/_admin/faults", {"kind": "5xx", "count": 2})
    with gateways_for(sandbox) as gateways:
        summary = submit_ready_authorizations(engine, gateways, tmp_path, as_of=AS_OF)
    assert summary.outcomes == {"sent": 1}
    assert authorization(engine, ready_authorization).status == "approved"
    adjudicated = sandbox.admin.get("/_admin/adjudications").json()["adjudications"]
    assert len(adjudicated) == 1


def test_a_timeout_after_sending_is_reconciled_by_inquiry_not_by_sending_again(
        engine, sandbox, ready_authorization, tmp_path):
    sandbox.post("/_admin/faults", {"kind": "timeout", "count": 1, "delay": 2})
    with gateways_for(sandbox, read_timeout=0.5) as gateways:
        first = submit_ready_authorizations(engine, gateways, tmp_path, as_of=AS_OF)
        assert first.outcomes == {"unknown": 1}
        assert authorization(engine, ready_authorization).status == "ready"
        second = submit_ready_authorizations(engine, gateways, tmp_path, as_of=AS_OF)
    assert second.outcomes == {"reconciled": 1}
    assert len(sandbox.submits()) == 1 and sandbox.duplicates() == 0
    assert authorization(engine, ready_authorization).status == "approved"


def test_a_refused_connection_leaves_the_authorization_ready_to_send_the_same_bundle(
        engine, ready_authorization, tmp_path, sandbox):
    closed = Sandbox("http://127.0.0.1:9", sandbox.admin, sandbox.rules)
    with gateways_for(closed) as gateways:
        summary = submit_ready_authorizations(engine, gateways, tmp_path, as_of=AS_OF)
    assert summary.outcomes == {"not_sent": 1}
    with gateways_for(sandbox) as gateways:
        summary = submit_ready_authorizations(engine, gateways, tmp_path, as_of=AS_OF)
    assert summary.outcomes == {"sent": 1}
    with DbSession(engine) as db:
        attempts = db.exec(select(SubmissionAttemptRow)).all()
    assert [a.attempt for a in attempts] == [1] and attempts[0].state == "sent"


SUBMIT_IN_A_CHILD = """
import sys
from datetime import date
from pathlib import Path
from tracker.authorizations.gateways import PayerGateways
from tracker.payers.endpoints import PayerEndpoint
from tracker.payers.pas_gateway import PasGateway
from tracker.store import connect
from tracker.authorizations.submission import submit_ready_authorizations
url, sandbox, packets = sys.argv[1:4]
gateways = PayerGateways(lambda payer: PasGateway(PayerEndpoint(payer=payer, base_url=sandbox,
                                                                read_timeout=120)))
submit_ready_authorizations(connect(url), gateways, Path(packets), as_of=date(2026, 12, 1))
"""


def test_a_submit_process_killed_between_sending_and_recording_is_reconciled_next_run(
        engine, database_url, sandbox, ready_authorization, tmp_path):
    sandbox.post("/_admin/faults", {"kind": "timeout", "count": 1, "delay": 60})
    child = subprocess.Popen([sys.executable, "-c", SUBMIT_IN_A_CHILD, database_url, sandbox.url,
                              str(tmp_path)], env={**os.environ})
    try:
        deadline = time.monotonic() + 300
        while not sandbox.submits():
            assert child.poll() is None and time.monotonic() < deadline, "nothing reached the payer"
            time.sleep(0.1)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    with DbSession(engine) as db:
        assert db.exec(select(SubmissionAttemptRow)).one().state == "sending"
    with gateways_for(sandbox) as gateways:
        # while the dead run's lease holds, its attempt counts as in flight and is left alone
        early = submit_ready_authorizations(engine, gateways, tmp_path, as_of=AS_OF)
        after_lease = lambda: utc_now() + timedelta(hours=1)  # noqa: E731
        summary = submit_ready_authorizations(engine, gateways, tmp_path, as_of=AS_OF,
                                              clock=after_lease)
    assert early.outcomes == {"in_flight": 1}
    assert summary.outcomes == {"reconciled": 1}
    assert len(sandbox.submits()) == 1 and sandbox.duplicates() == 0
    assert authorization(engine, ready_authorization).status == "approved"


def test_a_pended_request_is_asked_about_until_the_payer_decides(engine, sandbox,
                                                                 ready_authorization, tmp_path):
    sandbox.admin.put("/_admin/rules", json=PEND_THEN_APPROVE).raise_for_status()
    with gateways_for(sandbox) as gateways:
        submit_ready_authorizations(engine, gateways, tmp_path, as_of=AS_OF)
        assert authorization(engine, ready_authorization).status == "pended"
        later = utc_now() + timedelta(hours=1)
        still = follow_up_authorizations(engine, gateways, now=later)
        assert still.inquiries == 1 and still.still_waiting == 1
        waiting = authorization(engine, ready_authorization)
        assert waiting.next_check_at is not None and waiting.checks == 1
        sandbox.post("/_admin/decide_pended", {})
        decided = follow_up_authorizations(engine, gateways, now=later + timedelta(hours=1))
        quiet = follow_up_authorizations(engine, gateways, now=later + timedelta(days=1))
    assert decided.decisions == {"approved": 1}
    assert quiet.inquiries == 0  # a decided request is not asked about again
    assert authorization(engine, ready_authorization).status == "approved"


def test_a_decision_notified_by_rest_hook_is_recorded_without_asking(engine, sandbox,
                                                                     ready_authorization,
                                                                     tmp_path, monkeypatch):
    sandbox.admin.put("/_admin/rules", json=PEND_THEN_APPROVE).raise_for_status()
    monkeypatch.setenv("PAINAUTH_NOTIFICATION_TOKEN", "notify-test-token")
    board = create_board(engine, "test-secret", today=lambda: AS_OF)
    with serving(board) as board_url, gateways_for(sandbox) as gateways:
        subscribe_to_decisions(PayerEndpoint(payer="aetna", base_url=sandbox.url),
                               f"{board_url}/payer-notifications/aetna", "notify-test-token")
        submit_ready_authorizations(engine, gateways, tmp_path, as_of=AS_OF)
        sandbox.post("/_admin/decide_pended", {})
        deadline = time.monotonic() + 120
        while True:
            with DbSession(engine) as db:
                if db.exec(select(PayerNotificationRow)).first() is not None:
                    break
            assert time.monotonic() < deadline, "no notification arrived"
            time.sleep(0.1)
        summary = follow_up_authorizations(engine, gateways, now=utc_now())
    assert summary.notifications >= 1 and summary.decisions == {"approved": 1}
    assert summary.inquiries == 0
    assert authorization(engine, ready_authorization).status == "approved"


def test_a_notification_without_the_token_is_refused(engine, monkeypatch):
    monkeypatch.setenv("PAINAUTH_NOTIFICATION_TOKEN", "right")
    board = create_board(engine, "test-secret", today=lambda: AS_OF)
    with serving(board) as board_url:
        refused = httpx.post(f"{board_url}/payer-notifications/aetna", json={"resourceType": "Bundle"},
                             headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401
    with DbSession(engine) as db:
        assert db.exec(select(PayerNotificationRow)).first() is None


def test_an_overdue_decision_and_an_approval_ending_before_the_visit_are_flagged(
        engine, sandbox, ready_authorization, tmp_path):
    sandbox.admin.put("/_admin/rules", json=PEND_THEN_APPROVE).raise_for_status()
    with gateways_for(sandbox) as gateways:
        submit_ready_authorizations(engine, gateways, tmp_path, as_of=AS_OF)
        overdue = follow_up_authorizations(engine, gateways, now=utc_now() + timedelta(days=8))
    assert overdue.flagged == {"decision_overdue": 1}
    assert "decision_overdue" in authorization(engine, ready_authorization).flags
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, ready_authorization)
        assert auth is not None
        auth.status, auth.valid_to = "approved", date(2026, 12, 10)
        db.add(auth)
        db.commit()
    with gateways_for(sandbox) as gateways:
        expiring = follow_up_authorizations(engine, gateways)
    assert expiring.flagged == {"expires_before_visit": 1}
