"""Fault injection on PostgreSQL: runs that overlap, as they do when a schedule fires while a person
runs the same command, or a worker is killed.

Submit runs are separate processes (what `painauth auth submit` is), each with its own gateway to
the payer sandbox over real HTTP; the sandbox counts every `$submit` it adjudicates and every
duplicate. Exactly once must hold without the payer's deduplication: the count of duplicates is 0.
Every wait is bounded (process timeouts), none is a fixed sleep.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from integration.payer_sandbox import Sandbox, running_sandbox
from tracker.authorizations.gateways import PayerGateways
from tracker.authorizations.submission import submit_ready_authorizations
from tracker.importers.service import import_practice_files
from tracker.packages.preparation import prepare_open_authorizations
from tracker.payers.endpoints import PayerEndpoint
from tracker.payers.pas_gateway import PasGateway
from tracker.store import connect
from tracker.store.tables import (
    AuthorizationEventRow,
    AuthorizationRow,
    EvaluationResultRow,
    PatientRow,
    SubmissionAttemptRow,
    utc_now,
)
from tracker.visits.pre_visit import check_upcoming_visits

REPO = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 12, 1)
PATIENTS = 16
RULES: dict[str, Any] = {
    "lines": [{"families": ["facet_rfa"], "requires": ["diagnostic-blocks"]}],
    "auth_valid_days": 90,
}
RUN_TIMEOUT = 180  # seconds a child run may take before the test fails

SUBMIT_RUN = """
import json, sys
from datetime import date
from pathlib import Path
from tracker.authorizations.gateways import PayerGateways
from tracker.authorizations.submission import submit_ready_authorizations
from tracker.payers.endpoints import PayerEndpoint
from tracker.payers.pas_gateway import PasGateway
from tracker.store import connect
url, payer_url, packets, read_timeout = sys.argv[1:5]
gateways = PayerGateways(lambda payer: PasGateway(PayerEndpoint(
    payer=payer, base_url=payer_url, read_timeout=float(read_timeout), backoff_seconds=0.01,
    max_backoff_seconds=0.05)))
with gateways:
    summary = submit_ready_authorizations(connect(url), gateways, Path(packets),
                                          as_of=date(2026, 12, 1))
print(json.dumps(summary.as_json()))
"""


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[Sandbox]:
    with running_sandbox(RULES) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    return sandbox_server.reset()


@pytest.fixture
def pg_url(postgresql_url: str, empty_tables: Callable[[str], str]) -> str:
    return empty_tables(postgresql_url)


@pytest.fixture
def pg(pg_url: str) -> Iterator[Engine]:
    engine = connect(pg_url)
    yield engine
    engine.dispose()


def write_practice(folder: Path, patients: int = PATIENTS) -> Path:
    """samples/ plus `patients` copies of its Aetna RFA patient (two ≥ 80 % blocks on file): each
    one a ready authorization once prepared."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("providers.csv",):
        (folder / name).write_text((REPO / "samples" / name).read_text(encoding="utf-8"),
                                   encoding="utf-8")
    mrns = [f"FLT-{n:03d}" for n in range(patients)]
    _csv(folder / "patients.csv", ["mrn", "family_name", "given_name", "birth_date"],
         [(m, "Faultson", f"Test{n}", "1971-11-02") for n, m in enumerate(mrns)])
    _csv(folder / "coverages.csv",
         ["patient_mrn", "payer", "member_id", "effective_start", "effective_end", "rank"],
         [(m, "aetna", f"W9{n:08d}", "2025-01-01", "2026-12-31", "primary")
          for n, m in enumerate(mrns)])
    _csv(folder / "conservative_care.csv", ["patient_mrn", "kind", "start", "end", "outcome"],
         [(m, "home_exercise", "2026-02-01", "2026-04-30", "partial") for m in mrns])
    _csv(folder / "sessions.csv",
         ["patient_mrn", "date", "status", "codes", "place_of_service", "intent", "muscles",
          "relief_percent", "duration_days", "provider_npi", "diagnoses"],
         [row for m in mrns for row in (
             (m, "2026-05-12", "performed", "64493;64494", "24", "diagnostic", "", "85", "1",
              "1987654328", "M47.816"),
             (m, "2026-06-09", "performed", "64493;64494", "24", "diagnostic", "", "90", "1",
              "1987654328", "M47.816"),
             (m, "2026-12-15", "scheduled", "64635;64636", "24", "", "", "", "",
              "1987654328", "M47.816;M54.50"))])
    return folder


def _csv(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def ready(pg: Engine, tmp_path: Path) -> list[int]:
    report = import_practice_files([write_practice(tmp_path / "practice")], pg, today=AS_OF)
    assert report.clean, [(f.path, f.error, f.refused[:2]) for f in report.files]
    check_upcoming_visits(pg, AS_OF)
    summary = prepare_open_authorizations(pg, "test", AS_OF)
    assert len(summary.ready) == PATIENTS, summary
    return sorted(summary.ready)


@dataclass
class Run:
    process: subprocess.Popen[str]

    def result(self) -> dict[str, Any]:
        out, err = self.process.communicate(timeout=RUN_TIMEOUT)
        assert self.process.returncode == 0, err[-3000:]
        return dict(json.loads(out.strip().splitlines()[-1]))


def start_submit_run(url: str, payer_url: str, packets: Path, read_timeout: float = 1.0) -> Run:
    return Run(subprocess.Popen(
        [sys.executable, "-c", SUBMIT_RUN, url, payer_url, str(packets), str(read_timeout)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)}))


def gateways_for(sandbox: Sandbox) -> PayerGateways:
    return PayerGateways(lambda payer: PasGateway(PayerEndpoint(
        payer=payer, base_url=sandbox.url, read_timeout=1.0, backoff_seconds=0.01,
        max_backoff_seconds=0.05)))


def sweep(engine: Engine, sandbox: Sandbox, packets: Path, *, after_leases: bool = False) -> None:
    """What the next scheduled run does: finish whatever is left (unknown outcomes, refused
    sends), until nothing is left to do."""
    clock = (lambda: utc_now() + timedelta(hours=1)) if after_leases else utc_now
    with gateways_for(sandbox) as gateways:
        for _ in range(4):
            summary = submit_ready_authorizations(engine, gateways, packets, as_of=AS_OF,
                                                  clock=clock)
            if set(summary.outcomes) <= {"in_flight"}:  # done, or left to a live lease
                return
    raise AssertionError(f"work still left after four runs: {summary.as_json()}")


def assert_each_submitted_exactly_once(engine: Engine, sandbox: Sandbox, ready: list[int]) -> None:
    assert sandbox.duplicates() == 0  # not one duplicate $submit reached the payer
    adjudicated = sandbox.adjudicated()
    assert len(adjudicated) == len(set(adjudicated)) == len(ready)
    with DbSession(engine) as db:
        statuses = {a.id: a.status for a in db.execute(select(AuthorizationRow).where(
            col(AuthorizationRow.id).in_(ready))).scalars()}
        sent = db.execute(select(SubmissionAttemptRow.authorization_id, func.count())
                          .where(col(SubmissionAttemptRow.state) == "sent")
                          .group_by(col(SubmissionAttemptRow.authorization_id))).all()
        submitted_events = db.execute(
            select(AuthorizationEventRow.authorization_id, func.count())
            .where(col(AuthorizationEventRow.to_status) == "submitted")
            .group_by(col(AuthorizationEventRow.authorization_id))).all()
    assert statuses == {i: "approved" for i in ready}
    assert dict(sent) == {i: 1 for i in ready}
    assert dict(submitted_events) == {i: 1 for i in ready}


FAULTS: dict[str, list[dict[str, Any]]] = {
    "no faults": [],
    "5xx and timeouts": [{"kind": "5xx", "count": 10}, {"kind": "timeout", "count": 4,
                                                         "delay": 1.5}],
}


@pytest.mark.parametrize("runs", [2, 3])
@pytest.mark.parametrize("faults", list(FAULTS))
def test_overlapping_submit_runs_send_each_authorization_exactly_once(
        pg: Engine, pg_url: str, sandbox: Sandbox, ready: list[int], tmp_path: Path,
        runs: int, faults: str) -> None:
    for fault in FAULTS[faults]:
        sandbox.post("/_admin/faults", fault)
    children = [start_submit_run(pg_url, sandbox.url, tmp_path / "packets", read_timeout=0.5)
                for _ in range(runs)]
    results = [child.result() for child in children]
    outcomes = [r["outcomes"] for r in results]
    assert sum(o.get("sent", 0) + o.get("reconciled", 0) for o in outcomes) <= len(ready)
    sweep(pg, sandbox, tmp_path / "packets")
    assert_each_submitted_exactly_once(pg, sandbox, ready)


def test_a_run_whose_payer_refuses_connections_overlapping_a_working_run(
        pg: Engine, pg_url: str, sandbox: Sandbox, ready: list[int], tmp_path: Path) -> None:
    refused = start_submit_run(pg_url, "http://127.0.0.1:9", tmp_path / "packets")
    working = start_submit_run(pg_url, sandbox.url, tmp_path / "packets")
    refused_result, working_result = refused.result(), working.result()
    assert refused_result["outcomes"].get("sent", 0) == 0
    assert working_result["outcomes"].get("sent", 0) >= 1
    sweep(pg, sandbox, tmp_path / "packets")
    assert_each_submitted_exactly_once(pg, sandbox, ready)


def test_a_run_killed_mid_send_is_left_alone_then_reconciled_after_its_lease(
        pg: Engine, pg_url: str, sandbox: Sandbox, ready: list[int], tmp_path: Path) -> None:
    # the first $submit is held far longer than the test lives (however slow the machine, the
    # stuck run never gets its answer and sends no second one): it is killed while it waits
    sandbox.post("/_admin/faults", {"kind": "timeout", "count": 1, "delay": 3600})
    stuck = start_submit_run(pg_url, sandbox.url, tmp_path / "packets", read_timeout=7200)
    try:
        deadline = time.monotonic() + 300
        while sandbox.submits_received() == 0:
            assert stuck.process.poll() is None, stuck.process.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the first run sent nothing"
            time.sleep(0.05)
        other = start_submit_run(pg_url, sandbox.url, tmp_path / "packets")
        other_result = other.result()
    finally:
        stuck.process.send_signal(signal.SIGKILL)
        stuck.process.communicate(timeout=30)
    assert other_result["outcomes"].get("in_flight", 0) == 1  # it left the stuck one alone
    with DbSession(pg) as db:
        in_flight = db.execute(select(SubmissionAttemptRow).where(
            col(SubmissionAttemptRow.state) == "sending")).scalars().all()
    assert len(in_flight) == 1
    sweep(pg, sandbox, tmp_path / "packets")  # the lease still holds: not touched
    with DbSession(pg) as db:
        assert db.get(SubmissionAttemptRow, in_flight[0].id).state == "sending"  # type: ignore[union-attr]
    sweep(pg, sandbox, tmp_path / "packets", after_leases=True)
    assert_each_submitted_exactly_once(pg, sandbox, ready)


def _cancel(engine: Engine, authorization_id: int) -> None:
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, authorization_id)
        assert auth is not None
        auth.status = "cancelled"
        db.add(auth)
        db.commit()


def _attempt_states(engine: Engine, authorization_id: int) -> list[str]:
    with DbSession(engine) as db:
        return [a.state for a in db.execute(select(SubmissionAttemptRow).where(
            col(SubmissionAttemptRow.authorization_id) == authorization_id)).scalars()]


def test_a_cancelled_authorization_is_never_sent_and_a_late_answer_does_not_reopen_it(
        pg: Engine, sandbox: Sandbox, ready: list[int], tmp_path: Path) -> None:
    never_sent, answered_late = ready[0], ready[1]
    packets = tmp_path / "packets"
    closed = Sandbox("http://127.0.0.1:9", sandbox.admin, sandbox.rules)
    with gateways_for(closed) as gateways:  # every attempt refused: all `not_sent`
        submit_ready_authorizations(pg, gateways, packets, as_of=AS_OF)
    _cancel(pg, never_sent)
    sandbox.post("/_admin/faults", {"kind": "timeout", "count": 1, "delay": 1.5})
    with gateways_for(sandbox) as gateways:
        first = submit_ready_authorizations(pg, gateways, packets, as_of=AS_OF)
        # the payer approved answered_late's bundle, but its answer was lost in the timeout
        assert _attempt_states(pg, answered_late) == ["unknown"]
        _cancel(pg, answered_late)
        second = submit_ready_authorizations(pg, gateways, packets, as_of=AS_OF)
    assert first.outcomes == {"withdrawn": 1, "unknown": 1, "sent": len(ready) - 2}
    assert second.outcomes == {"withdrawn": 1}
    assert f"painauth-auth{never_sent}-1" not in sandbox.adjudicated()
    assert f"painauth-auth{answered_late}-1" in sandbox.adjudicated()
    with DbSession(pg) as db:
        statuses = [db.get(AuthorizationRow, i).status  # type: ignore[union-attr]
                    for i in (never_sent, answered_late)]
    assert statuses == ["cancelled", "cancelled"]
    assert _attempt_states(pg, never_sent) == _attempt_states(pg, answered_late) == ["withdrawn"]
    assert sandbox.duplicates() == 0


# -- pre-visit checks, imports and alert dispatch at the same time ----------------------------

PRE_VISIT_RUN = """
import sys
from datetime import date
from tracker.store import connect
from tracker.visits.pre_visit import check_upcoming_visits
summary = check_upcoming_visits(connect(sys.argv[1]), date(2026, 12, 1))
print(summary.evaluated)
"""

IMPORT_RUN = """
import sys
from datetime import date
from pathlib import Path
from tracker.importers.service import import_practice_files
from tracker.store import connect
report = import_practice_files([Path(p) for p in sys.argv[2:]], connect(sys.argv[1]),
                               today=date(2026, 12, 1))
bad = [(f.path, f.error, [r.reason for r in f.refused][:3]) for f in report.files
       if f.error or f.refused]
print(bad)
sys.exit(1 if bad else 0)
"""


def _run_together(*commands: list[str]) -> list[str]:
    children = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONPATH": str(REPO)})
                for command in commands]
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=RUN_TIMEOUT)
        assert child.returncode == 0, (out + err)[-3000:]
        outputs.append(out.strip())
    return outputs


def test_two_pre_visit_checks_at_once_on_a_fresh_database_both_finish(pg: Engine, pg_url: str,
                                                                      tmp_path: Path) -> None:
    import_practice_files([write_practice(tmp_path / "practice", patients=40)], pg, today=AS_OF)
    outputs = _run_together(*[[sys.executable, "-c", PRE_VISIT_RUN, pg_url]] * 2)
    assert all(int(o) > 0 for o in outputs)
    with DbSession(pg) as db:
        results = db.execute(select(func.count()).select_from(EvaluationResultRow)).scalar_one()
        auths = db.execute(select(AuthorizationRow.session_id, func.count())
                           .group_by(col(AuthorizationRow.session_id))).all()
    assert results == int(outputs[0])
    assert auths and all(count == 1 for _, count in auths)  # no authorization opened twice


def test_two_imports_of_the_same_files_at_once_both_finish_cleanly(pg: Engine, pg_url: str,
                                                                   tmp_path: Path) -> None:
    files = write_practice(tmp_path / "practice", patients=60)
    paths = [str(p) for p in sorted(files.glob("*.csv"))]
    _run_together(*[[sys.executable, "-c", IMPORT_RUN, pg_url, *paths]] * 2)
    with DbSession(pg) as db:
        patients = db.execute(select(func.count()).select_from(PatientRow)).scalar_one()
    assert patients == 60
