"""`make demo` is the product's main job on a bare machine: it must run clean and show each
person's view."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlmodel import col

from tracker.authorizations.manual_entry import record_manual_decision
from tracker.figures.months import Period
from tracker.figures.report import last_full_month, practice_report
from tracker.packages.fhir_validation import r4b_problems
from tracker.packages.pas_rules import package_problems, pas_problems
from tracker.practice.synthetic import HORIZON_DAYS
from tracker.store import connect
from tracker.store.tables import AuthorizationRow, SubmissionAttemptRow
from tracker.store.users import add_user
from tracker.visits.status_rows import artifact_row, status_document, status_visits
from tracker.web.app import create_app

REPO = Path(__file__).resolve().parents[2]
PAINAUTH = Path(sys.executable).with_name("painauth")
SCHEDULER, PASSWORD = "demo.scheduler", "synthetic-password-1"
ROW = re.compile(r'<tr class="row-\w+" data-session="(\d+)" data-readiness="(\w+)"')


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    tmp_path = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_API_URL", "PAINAUTH_"))}
    env |= {"PAINAUTH_HOME": str(tmp_path / "home"), "PREFECT_HOME": str(tmp_path / "prefect"),
            "COLUMNS": "200"}
    run = subprocess.run([str(PAINAUTH), "demo"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    return run, tmp_path


@pytest.fixture(scope="module")
def demo_engine(demo: tuple[subprocess.CompletedProcess[str], Path]) -> Iterator[Engine]:
    run, tmp_path = demo
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    engine = connect(f"sqlite:///{tmp_path / 'home' / 'demo' / 'painauth.sqlite'}")
    yield engine
    engine.dispose()


def test_the_demo_runs_every_flow_and_shows_each_persons_view_without_errors(demo):
    run, tmp_path = demo
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    assert " ERROR " not in output and "| ERROR" not in output
    for flow in ("import-practice-data", "pre-visit-check", "submit-authorizations",
                 "follow-up-authorizations", "send-alerts", "dispatch-alerts"):
        assert f"✓ {flow}" in run.stdout, f"{flow} did not run"
    assert "The scheduler's board" in run.stdout and " stop, " in run.stdout
    assert "Billing's view: authorizations by status" in run.stdout and "approved" in run.stdout
    assert "PDF packets" in run.stdout
    assert list((tmp_path / "home" / "demo" / "packets").glob("*.pdf"))
    [report] = (tmp_path / "home" / "demo" / "reports").glob("practice-*.pdf")
    assert "The owner's monthly report" in run.stdout and report.name in run.stdout
    assert "Providers' alerts" in run.stdout
    assert "Every finding code occurred." in run.stdout
    assert "The practice's money" in run.stdout and "not captured last month" in run.stdout
    # the Texas location's office TFESI under WISeR, and the provider whose approvals qualify
    board = " ".join(run.stdout.split())
    assert "Medicare's programs on the board" in run.stdout
    assert "PRIOR_AUTH_REQUIRED: Medicare WISeR model" in board
    assert "PRIOR_AUTH_EXEMPT" in board
    assert "medicare-opd" in board and "qualifies" in board

    engine = connect(f"sqlite:///{tmp_path / 'home' / 'demo' / 'painauth.sqlite'}")
    with engine.connect() as connection:
        attempts = list(connection.execute(select(SubmissionAttemptRow.request,
                                                  SubmissionAttemptRow.response)))
    bundles = [request for request, _ in attempts]
    engine.dispose()
    assert bundles, "the demo sent no bundle"
    # Only packages painauth called ready are sent: the payer never finds one incomplete.
    incomplete = [request["identifier"] for request, response in attempts
                  if "evidence-missing" in json.dumps(response or {})]
    assert incomplete == []
    for bundle in bundles:  # every bundle the demo produced: FHIR R4B and the PAS rules
        assert r4b_problems(bundle) == [], bundle["identifier"]
        assert pas_problems(bundle) == [] and package_problems(bundle) == [], bundle["identifier"]


def test_in_the_demo_practice_no_visit_reads_clear_that_will_not_be_paid(demo_engine):
    visits = status_visits(demo_engine, date.today(), HORIZON_DAYS)
    assert visits and {v.readiness.readiness for v in visits} == {"stop", "act", "waiting",
                                                                  "clear"}
    # the payers may not deny anything in the horizon today: billing records one denial by hand
    waiting = next(v for v in visits if v.auth_status == "submitted")
    assert waiting.authorization_id is not None
    record_manual_decision(demo_engine, waiting.authorization_id, actor="demo.billing",
                           decision="denied", reason="not medically necessary (test)")
    visits = status_visits(demo_engine, date.today(), HORIZON_DAYS)
    denied = [v for v in visits if v.auth_status == "denied"]
    assert denied and {v.readiness.readiness for v in denied} == {"stop"}
    coding = [v for v in visits if any(f.split(":")[0] in CODING for f in v.findings)]
    assert coding and "clear" not in {v.readiness.readiness for v in coding}
    for v in visits:
        auth = v.authorization
        if auth is not None and auth.status in ("approved", "partial") and not (
                auth.valid_from and auth.valid_to and auth.valid_from <= v.date <= auth.valid_to):
            assert v.readiness.readiness != "clear", v.session_id
    no_coverage = [v for v in visits if v.verdict == "not evaluated"]
    assert {v.readiness.reason_codes for v in no_coverage} <= {("NO_COVERAGE",),
                                                              ("NOT_EVALUATED",)}


def test_the_board_csv_api_artifact_and_status_json_agree_row_for_row(demo, demo_engine):
    today = date.today()
    add_user(demo_engine, SCHEDULER, "scheduler", PASSWORD)
    expected = status_document(demo_engine, today, HORIZON_DAYS)["visits"]
    rows = [(v["session_id"], v["readiness"], tuple(r["code"] for r in v["reasons"]))
            for v in expected]
    assert len(rows) > 40
    query = f"start={today.isoformat()}&end={(today + timedelta(days=HORIZON_DAYS)).isoformat()}"
    with TestClient(create_app(demo_engine, "demo-test-key-" + "x" * 40,
                               today=lambda: today)) as client:
        page = client.get("/login")
        token = re.search(r'name="token" value="([^"]+)"', page.text)
        assert token is not None
        client.post("/login", data={"name": SCHEDULER, "password": PASSWORD,
                                    "token": token.group(1)})
        board = client.get(f"/visits?{query}").text
        api = client.get(f"/api/visits?{query}").json()["visits"]
        exported = list(csv.DictReader(io.StringIO(
            client.get(f"/visits.csv?{query}").text.removeprefix("\ufeff"))))
    assert [(int(s), r) for s, r in ROW.findall(board)] == [(s, r) for s, r, _ in rows]
    assert [(v["session_id"], v["readiness"], tuple(r["code"] for r in v["reasons"]))
            for v in api] == rows
    assert [(int(r["session_id"]), r["readiness"], tuple(r["reasons"].split()))
            for r in exported] == rows
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API_URL", "PAINAUTH_"))}
    env["PAINAUTH_DATABASE_URL"] = str(demo_engine.url)
    printed = subprocess.run([str(PAINAUTH), "status", "--json", "--start", today.isoformat(),
                              "--days", str(HORIZON_DAYS)], cwd=demo[1], env=env,
                             capture_output=True, text=True, timeout=120)
    assert printed.returncode == 0, printed.stderr[-2000:]
    document = json.loads(printed.stdout)
    assert [(v["session_id"], v["readiness"], tuple(r["code"] for r in v["reasons"]))
            for v in document["visits"]] == rows
    assert {"session_id", "date", "mrn", "payer", "codes", "verdict", "readiness", "reasons",
            "next_eligible_date", "authorization"} <= set(document["visits"][0])
    approved = next(v["authorization"] for v in document["visits"]
                    if v["authorization"] and v["authorization"]["status"] == "approved")
    assert {"id", "status", "number", "valid_from", "valid_to", "lines"} <= set(approved)
    attention = [row for row in rows if row[1] != "clear"]
    artifact = [artifact_row(v) for v in status_visits(demo_engine, today, HORIZON_DAYS,
                                                       attention=True)]
    assert [(int(r["session"]), r["readiness"], tuple(r["reasons"].split()))
            for r in artifact] == attention


CODING = ("IMAGING_GUIDANCE_BUNDLED", "ADDON_WITHOUT_PRIMARY", "TRIGGER_POINT_CODE_MISMATCH",
          "BILATERAL_NOT_ALLOWED", "DELETED_CODE", "UNKNOWN_CODE")


def test_the_demo_practice_has_money_at_risk_protected_and_every_kind_of_charge_to_capture(
        demo_engine: Engine) -> None:
    from tracker.money.capture import KINDS
    from tracker.money.headline import headline

    top = headline(demo_engine, date.today())
    assert top.at_risk.total_cents > 0 and top.at_risk.visits
    assert top.protected.total_cents > 0 and top.protected.visits
    assert {c.kind for c in top.not_captured.charges} == set(KINDS)
    # the seed's fees: 77003 $72 for the trial under fluoroscopy, 20553 - 20552 = $16
    assert top.not_captured.total_cents == 7200 + 1600


BILLING = "demo.billing"
HEADLINE = re.compile(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>')


def _decided_last_month(engine: Engine, month: Period) -> list[tuple[str, str, str | None, str]]:
    """(payer, status, denial code, reason) of each request decided in `month`, read raw."""
    with engine.connect() as connection:
        return [(payer, status, code, reason) for payer, status, code, reason in connection.execute(
            select(AuthorizationRow.payer, AuthorizationRow.status, AuthorizationRow.denial_code,
                   AuthorizationRow.decision_reason)
            .where(col(AuthorizationRow.status).in_(("approved", "partial", "denied")),
                   col(AuthorizationRow.decided_at) >= month.starts_at,
                   col(AuthorizationRow.decided_at) < month.ends_before))]


def test_the_owner_reads_last_months_approvals_turnaround_and_denials_in_the_pdf_and_on_the_page(
        demo: tuple[subprocess.CompletedProcess[str], Path], demo_engine: Engine) -> None:
    """The demo practice's decided history (tracker.practice.authorization_history) fills the
    last full month: its monthly PDF and its Practice page count the same requests as the rows."""
    today = date.today()
    month = last_full_month(today)
    decided = _decided_last_month(demo_engine, month)
    statuses = Counter(status for _, status, _, _ in decided)
    # a month of a 300-patient practice's history: every kind of decision, denials with reasons
    assert len(decided) >= 10 and set(statuses) == {"approved", "partial", "denied"}
    denied = Counter((code, reason) for _, status, code, reason in decided if status == "denied")
    assert all(reason for _, reason in denied)
    rate = f"{statuses['approved']} ({100 * statuses['approved'] / len(decided):.0f} %)"
    figures = practice_report(demo_engine, month).figures
    turnaround = figures.turnaround.overall
    assert turnaround.decisions == len(decided)
    assert turnaround.median_hours is not None and 1 < turnaround.median_hours < 168
    assert turnaround.within_clock >= len(decided) // 2

    [report] = (demo[1] / "home" / "demo" / "reports").glob(f"practice-{month.label}.pdf")
    text = " ".join("\n".join(page.extract_text() for page in PdfReader(report).pages).split())
    assert f"Requests decided {len(decided)}" in text
    assert f"Approved in full {rate}" in text
    assert f"Denied {statuses['denied']}" in text
    assert f"Median turnaround {dict(figures.headline())['Median turnaround']}" in text
    for (code, reason), count in denied.items():
        assert f"{code or ''} {reason} {count}".strip() in text, (code, reason)
    for payer in {payer for payer, _, _, _ in decided}:
        mine = Counter(status for p, status, _, _ in decided if p == payer)
        assert (f"{payer} {mine.total()} {mine['approved']} {mine['partial']} "
                f"{mine['denied']}") in text, payer

    add_user(demo_engine, BILLING, "billing", PASSWORD)
    with TestClient(create_app(demo_engine, "demo-test-key-" + "x" * 40,
                               today=lambda: today)) as client:
        token = re.search(r'name="token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        client.post("/login", data={"name": BILLING, "password": PASSWORD,
                                    "token": token.group(1)})
        page = client.get("/practice")
        downloads = {name: list(csv.DictReader(io.StringIO(client.get(
            f"/practice/{name}.csv?month={month.label}").text.removeprefix("\ufeff"))))
            for name in ("approval-by-payer", "turnaround-distribution", "denials-by-reason")}
    assert page.status_code == 200 and f"The practice, {month.label}" in page.text
    headline = dict(HEADLINE.findall(page.text))
    assert headline["Requests decided"] == str(len(decided))
    assert headline["Approved in full"] == rate
    assert headline["Partly approved"] == str(statuses["partial"])
    assert headline["Denied"] == str(statuses["denied"])
    for name in ("approval-by-payer", "turnaround-by-program", "turnaround-distribution",
                 "denials-by-reason"):
        assert f'<title id="chart-{name}-title">' in page.text, name
    assert sum(int(r["decided"]) for r in downloads["approval-by-payer"]) == len(decided)
    assert sum(int(r["decisions"]) for r in downloads["turnaround-distribution"]) == len(decided)
    assert Counter({(r["code"] or None, r["reason"]): int(r["denials"])
                    for r in downloads["denials-by-reason"]}) == denied
