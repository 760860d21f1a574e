"""Staff's authorization commands, run as `painauth` processes on SQLite and PostgreSQL: recording a
fax payer's submission and decision, and submitting and following up with the configured
gateways against the payer sandbox over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from payers.sandbox_server import serving
from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations import manual_entry
from tracker.cli.auth import CHANNELS, DECISIONS
from tracker.importers.service import import_practice_files
from tracker.packages.preparation import prepare_open_authorizations
from tracker.payers.sandbox import SandboxConfig, create_app
from tracker.payers.sandbox.rules import rules_from
from tracker.store.tables import AuthorizationEventRow, AuthorizationRow
from tracker.visits.pre_visit import check_upcoming_visits

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 12, 1)
PEND: dict[str, object] = {"lines": [{"families": ["facet_rfa"], "decision": "pend",
                                      "pend_seconds": 3600}]}


def painauth(database_url: str, home: Path, *args: str,
             payer_url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PAINAUTH_") or k == "PAINAUTH_TEST_POSTGRES_URL"}
    env |= {"PAINAUTH_DATABASE_URL": database_url, "PAINAUTH_HOME": str(home)}
    if payer_url is not None:
        env["PAINAUTH_PAYER_AETNA_URL"] = payer_url
    return subprocess.run([sys.executable, "-m", "tracker.cli", *args], env=env, cwd=home,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def ready(engine: Engine) -> int:
    """The samples' Aetna RFA visit, prepared to `ready`."""
    import_practice_files(sorted((REPO / "samples").glob("*.csv")), engine)
    check_upcoming_visits(engine, AS_OF)
    summary = prepare_open_authorizations(engine, "test", AS_OF)
    assert summary.ready, summary
    return summary.ready[0]


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    config = SandboxConfig(rules=rules_from(PEND), review_tick_seconds=0.05)
    with serving(create_app(config)) as url:
        yield url


def _auth(engine: Engine, authorization_id: int) -> AuthorizationRow:
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, authorization_id)
        assert auth is not None
        return auth


def test_staff_record_a_fax_submission_and_the_approval(engine: Engine, database_url: str,
                                                        ready: int, tmp_path: Path) -> None:
    sent = painauth(database_url, tmp_path, "auth", "record-submission", str(ready), "--channel",
                    "fax", "--reference", "FAX-1215-3", "--note", "12 pages", "--by", "bea.billing")
    assert sent.returncode == 0, sent.stderr
    assert f"authorization {ready}: ready -> submitted" in sent.stdout
    decided = painauth(database_url, tmp_path, "auth", "record-decision", str(ready), "--decision",
                       "approved", "--auth-number", "AET-5521", "--valid-from", "2026-12-01",
                       "--valid-to", "2027-02-28", "--units", "2", "--by", "bea.billing")
    assert decided.returncode == 0, decided.stderr
    auth = _auth(engine, ready)
    assert (auth.status, auth.auth_number, auth.approved_units) == ("approved", "AET-5521", 2)
    assert (auth.valid_from, auth.valid_to) == (date(2026, 12, 1), date(2027, 2, 28))
    assert auth.decision_due_at is not None and auth.decided_at is not None
    with DbSession(engine) as db:
        events = db.exec(select(AuthorizationEventRow)
                         .where(AuthorizationEventRow.authorization_id == ready)
                         .order_by(col(AuthorizationEventRow.id))).all()
    assert [(e.to_status, e.actor, e.reason) for e in events[-2:]] == [
        ("submitted", "bea.billing", "sent by fax, reference FAX-1215-3: 12 pages"),
        ("approved", "bea.billing", "approved by the payer, number AET-5521")]


def test_an_approval_without_the_number_is_refused_plainly(engine: Engine, database_url: str,
                                                           ready: int, tmp_path: Path) -> None:
    painauth(database_url, tmp_path, "auth", "record-submission", str(ready), "--channel", "portal")
    refused = painauth(database_url, tmp_path, "auth", "record-decision", str(ready),
                       "--decision", "approved")
    assert refused.returncode == 2
    assert "auth_number: an approved authorization needs the payer's number" in refused.stderr
    assert "Traceback" not in refused.stderr
    bad_day = painauth(database_url, tmp_path, "auth", "record-decision", str(ready), "--decision",
                       "approved", "--auth-number", "X", "--valid-to", "2027-02-30")
    assert bad_day.returncode == 2 and "'--valid-to': '2027-02-30' is not a date" in bad_day.stderr
    assert _auth(engine, ready).status == "submitted"


def test_submitting_to_a_payer_without_endpoint_settings_names_the_variable(
        engine: Engine, database_url: str, ready: int, tmp_path: Path) -> None:
    result = painauth(database_url, tmp_path, "auth", "submit", "--as-of", "2026-12-01")
    assert result.returncode == 1
    assert "PAINAUTH_PAYER_AETNA_URL" in result.stderr and "no endpoint configured" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert json.loads(result.stdout)["outcomes"] == {"failed": 1}
    assert _auth(engine, ready).status == "ready"


def test_submit_then_follow_up_run_the_flows_services_with_the_configured_gateway(
        engine: Engine, database_url: str, ready: int, tmp_path: Path, sandbox_url: str) -> None:
    httpx.post(f"{sandbox_url}/_admin/reset").raise_for_status()
    submitted = painauth(database_url, tmp_path, "auth", "submit", "--as-of", "2026-12-01",
                         payer_url=sandbox_url)
    assert submitted.returncode == 0, submitted.stderr
    assert json.loads(submitted.stdout)["outcomes"] == {"sent": 1}
    assert list((tmp_path / "packets").glob("painauth-auth*.pdf"))
    assert _auth(engine, ready).status == "pended"
    followed = painauth(database_url, tmp_path, "auth", "follow-up", payer_url=sandbox_url)
    assert followed.returncode == 0, followed.stderr
    assert json.loads(followed.stdout)["still_waiting"] == 1


def test_an_unknown_authorization_is_a_clear_message(database_url: str, tmp_path: Path) -> None:
    result = painauth(database_url, tmp_path, "auth", "record-submission", "424242",
                      "--channel", "fax")
    assert result.returncode == 2 and "no authorization with id 424242" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_commands_offer_the_choices_the_service_accepts() -> None:
    assert (CHANNELS, DECISIONS) == (manual_entry.CHANNELS, manual_entry.DECISIONS)
