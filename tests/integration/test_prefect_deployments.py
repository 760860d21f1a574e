"""The ops path: a real Prefect server, the painauth work pool, `prefect deploy --all` from the
repository's prefect.yaml, a worker, and a triggered pre-visit run whose effects land in the
database and whose artifact is readable through the Prefect API."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tracker.importers.service import import_practice_files
from tracker.store import connect, upgrade
from tracker.store.tables import AuthorizationRow, EvaluationResultRow

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PREFECT = BIN / "prefect"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prefect(args: list[str], env: dict[str, str], timeout: int = 120) -> str:
    run = subprocess.run([str(PREFECT), "--no-prompt", *args], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, f"prefect {' '.join(args)}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run.stdout


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"),
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_WORKER_QUERY_SECONDS": "1", "PREFECT_WORKER_PREFETCH_SECONDS": "5"}
    log = open(tmp_path / "server.log", "w", encoding="utf-8")  # noqa: SIM115
    server = subprocess.Popen([str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port",
                               str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            try:
                if httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the Prefect server did not come up"
            time.sleep(0.5)
        yield env
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _run_and_wait(api: str, deployment_name: str,
                  parameters: dict[str, object]) -> tuple[str, list[dict[str, Any]]]:
    """Trigger a deployment through Prefect's REST API, wait for the run, read its artifacts."""
    with httpx.Client(base_url=api, timeout=30) as client:
        deployment = client.get(f"/deployments/name/{deployment_name}").raise_for_status().json()
        run = client.post(f"/deployments/{deployment['id']}/create_flow_run",
                          json={"parameters": parameters}).raise_for_status().json()
        deadline = time.monotonic() + 180
        while True:
            run = client.get(f"/flow_runs/{run['id']}").raise_for_status().json()
            if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                break
            assert time.monotonic() < deadline, f"flow run stuck in {run['state']['name']}"
            time.sleep(1)
        artifacts = client.post("/artifacts/filter", json={
            "artifacts": {"key": {"any_": ["pre-visit-status"]}, "flow_run_id": {"any_": [run["id"]]}},
        }).raise_for_status().json()
        return str(run["state"]["name"]), artifacts


def test_deployed_pre_visit_check_runs_on_a_worker_and_publishes_its_artifact(
        prefect_server, tmp_path):
    home = tmp_path / "home"
    url = f"sqlite:///{home / 'painauth.sqlite'}"
    upgrade(url)
    engine = connect(url)
    import_practice_files(sorted((REPO / "samples").glob("*.csv")), engine)
    env = {**prefect_server, "PAINAUTH_HOME": str(home), "PATH": f"{BIN}:{os.environ['PATH']}"}
    env.pop("PAINAUTH_DATABASE_URL", None)

    _prefect(["work-pool", "create", "painauth", "--type", "process"], env)
    deployed = _prefect(["deploy", "--all"], env)
    assert "pre-visit-check" in deployed
    worker_log = open(tmp_path / "worker.log", "w", encoding="utf-8")  # noqa: SIM115
    worker = subprocess.Popen([str(PREFECT), "worker", "start", "--pool", "painauth"], env=env,
                              cwd=tmp_path, stdout=worker_log, stderr=subprocess.STDOUT)
    try:
        state, artifacts = _run_and_wait(env["PREFECT_API_URL"], "pre-visit-check/pre-visit-check",
                                         {"as_of": "2026-12-01", "horizon_days": 21})
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        worker_log.close()
    assert state == "Completed", (tmp_path / "worker.log").read_text()[-4000:]
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(EvaluationResultRow)
                                  ).scalar_one() == 3
        assert connection.execute(select(func.count()).select_from(AuthorizationRow)
                                  ).scalar_one() >= 1
    engine.dispose()
    assert artifacts, "no pre-visit-status artifact"
    data = artifacts[-1]["data"]
    rows = json.loads(data) if isinstance(data, str) else data
    assert any(row["verdict"] == "needs_auth" and row["mrn"] == "SYN-1002" for row in rows)
    shutil.rmtree(home, ignore_errors=True)
