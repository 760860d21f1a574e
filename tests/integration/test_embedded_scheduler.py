"""`painauth serve` schedules the flows of prefect.yaml itself — once per database."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tracker.scheduling.deployments import DEFAULT_FILE, load_deployments
from tracker.scheduling.embedded import build_scheduler
from tracker.scheduling.lock import SchedulerAlreadyRunning, SchedulerLock
from tracker.store import connect
from tracker.store.tables import EvaluationResultRow
from tracker.web.local_server import free_port

from .serve_home import serve_home, stop_serving

REPO = Path(__file__).resolve().parents[2]
PAINAUTH = Path(sys.executable).with_name("painauth")


def test_a_second_scheduler_on_the_same_database_is_refused_until_the_first_stops(engine):
    first, second = SchedulerLock(engine), SchedulerLock(engine)
    first.acquire()
    try:
        with pytest.raises(SchedulerAlreadyRunning, match="--no-scheduler"):
            second.acquire()
    finally:
        first.release()
    second.acquire()
    second.release()


def test_every_deployment_in_prefect_yaml_becomes_a_scheduled_job_in_its_time_zone():
    deployments = load_deployments(DEFAULT_FILE)
    assert {d.name for d in deployments} >= {"pre-visit-check", "import-practice-data"}
    scheduler = build_scheduler(deployments, run=lambda deployment: None)
    jobs = {job.name: job for job in scheduler.get_jobs()}
    assert set(jobs) == {d.name for d in deployments if d.cadences}
    pre_visit = next(d for d in deployments if d.name == "pre-visit-check")
    assert str(jobs["pre-visit-check"].trigger.timezone) == pre_visit.cadences[0].timezone
    assert pre_visit.flow().name == "pre-visit-check"


def _evaluations(url: str) -> int:
    engine = connect(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(EvaluationResultRow))
                       .scalar_one())
    finally:
        engine.dispose()


def test_painauth_serve_runs_the_pre_visit_check_on_its_cadence_and_a_second_serve_refuses(
        tmp_path):
    url, env = serve_home(tmp_path, "{interval: 2, timezone: UTC}")
    env["PAINAUTH_SECRET_KEY"] = "test-only-secret"
    log = tmp_path / "serve.log"
    with open(log, "w", encoding="utf-8") as out:
        first = subprocess.Popen([str(PAINAUTH), "serve", "--port", str(free_port())], env=env,
                                 cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and log.read_text().count("running pre-visit-check") < 2:
            assert first.poll() is None, log.read_text()[-2000:]
            time.sleep(0.5)
        assert log.read_text().count("running pre-visit-check") >= 2, log.read_text()[-2000:]
        assert _evaluations(url) == 3  # the samples' three visits in the horizon

        second = subprocess.run([str(PAINAUTH), "serve", "--port", str(free_port())], env=env,
                                cwd=REPO, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert "already runs the scheduler" in second.stderr
        assert "Traceback" not in second.stderr
    finally:
        stop_serving(first)
    assert first.returncode == 0, log.read_text()[-2000:]
