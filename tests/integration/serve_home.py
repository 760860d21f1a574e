"""A practice home for tests that run `painauth serve` as a process: the samples imported into
a SQLite file under it, a prefect.yaml of the test's cadence, and the environment to run with."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

from tracker.importers.service import import_practice_files
from tracker.store import connect, upgrade

REPO = Path(__file__).resolve().parents[2]


def serve_home(tmp_path: Path, schedule: str) -> tuple[str, dict[str, str]]:
    """The database URL and the environment; `schedule` is the `schedules:` entry of a
    pre-visit-check deployment (its YAML flow mapping)."""
    home = tmp_path / "home"
    url = f"sqlite:///{home / 'painauth.sqlite'}"
    upgrade(url)
    engine = connect(url)
    import_practice_files(sorted((REPO / "samples").glob("*.csv")), engine)
    engine.dispose()
    prefect_yaml = tmp_path / "prefect.yaml"
    prefect_yaml.write_text(
        "deployments:\n"
        "  - name: pre-visit-check\n"
        "    entrypoint: flows/pre_visit_check.py:pre_visit_check\n"
        "    parameters: {as_of: '2026-12-01', horizon_days: 21}\n"
        "    schedules:\n"
        f"      - {schedule}\n", encoding="utf-8")
    env = {**os.environ, "PAINAUTH_HOME": str(home), "PAINAUTH_PREFECT_YAML": str(prefect_yaml),
           "PREFECT_HOME": str(tmp_path / "prefect")}
    for name in ("PREFECT_API_URL", "PAINAUTH_DATABASE_URL", "PAINAUTH_SECRET_KEY"):
        env.pop(name, None)
    return url, env


def stop_serving(process: subprocess.Popen[Any]) -> None:
    """Ctrl-C, as a person stops `painauth serve`; killed if it has not ended within a minute."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
