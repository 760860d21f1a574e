"""`make demo` is the product's main job on a bare machine: it must run clean and show each
person's view."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from tracker.packages.fhir_validation import r4b_problems
from tracker.packages.pas_rules import package_problems, pas_problems
from tracker.store import connect
from tracker.store.tables import SubmissionAttemptRow

REPO = Path(__file__).resolve().parents[2]
PAINAUTH = Path(sys.executable).with_name("painauth")


def test_the_demo_runs_every_flow_and_shows_each_persons_view_without_errors(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_API_URL", "PAINAUTH_"))}
    env |= {"PAINAUTH_HOME": str(tmp_path / "home"), "PREFECT_HOME": str(tmp_path / "prefect"),
            "COLUMNS": "200"}
    run = subprocess.run([str(PAINAUTH), "demo"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    assert " ERROR " not in output and "| ERROR" not in output
    for flow in ("import-practice-data", "pre-visit-check", "submit-authorizations",
                 "follow-up-authorizations", "send-alerts", "dispatch-alerts"):
        assert f"✓ {flow}" in run.stdout, f"{flow} did not run"
    assert "The scheduler's board" in run.stdout
    assert "Billing's view: authorizations by status" in run.stdout and "approved" in run.stdout
    assert "PDF packets" in run.stdout
    assert list((tmp_path / "home" / "demo" / "packets").glob("*.pdf"))
    assert "Providers' alerts" in run.stdout
    assert "Every finding code occurred." in run.stdout
    # the Texas location's office TFESI under WISeR, and the provider whose approvals qualify
    board = " ".join(run.stdout.split())
    assert "Medicare's programs on the board" in run.stdout
    assert "PRIOR_AUTH_REQUIRED: Medicare WISeR model" in board
    assert "PRIOR_AUTH_EXEMPT" in board
    assert "medicare-opd" in board and "qualifies" in board

    engine = connect(f"sqlite:///{tmp_path / 'home' / 'demo' / 'painauth.sqlite'}")
    with engine.connect() as connection:
        bundles = [row[0] for row in connection.execute(select(SubmissionAttemptRow.request))]
    engine.dispose()
    assert bundles, "the demo sent no bundle"
    for bundle in bundles:  # every bundle the demo produced: FHIR R4B and the PAS rules
        assert r4b_problems(bundle) == [], bundle["identifier"]
        assert pas_problems(bundle) == [] and package_problems(bundle) == [], bundle["identifier"]
