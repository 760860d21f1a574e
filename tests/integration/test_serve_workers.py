"""`painauth serve --workers N`: several board processes behind one port, one scheduler, and a
sign-in that every worker honours — also a worker started after the sign-in."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from tracker.store import connect
from tracker.store.users import add_user
from tracker.web.local_server import free_port

from .serve_home import serve_home, stop_serving

REPO = Path(__file__).resolve().parents[2]
PAINAUTH = Path(sys.executable).with_name("painauth")
TOKEN = re.compile(r'name="token" value="([^"]+)"')
WAIT = 180  # seconds: generous, for a busy machine


def _workers(parent: psutil.Process) -> set[int]:
    """The live worker processes (a killed one lingers as a zombie until uvicorn reaps it)."""
    found = set()
    for child in parent.children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and any(
                    "spawn_main" in part for part in child.cmdline()):
                found.add(child.pid)
        except psutil.Error:
            pass
    return found


def _wait_for(what: str, ready, log: Path, server: subprocess.Popen[bytes]):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()[-3000:]
        found = ready()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"{what} within {WAIT} s:\n{log.read_text()[-3000:]}")


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=10).status_code == 200
    except httpx.TransportError:
        return False


def test_two_workers_share_one_port_one_scheduler_and_every_sign_in(tmp_path):
    # a cadence that cannot come round during the test; the session key is the one the board
    # keeps under PAINAUTH_HOME
    url, env = serve_home(tmp_path, "{cron: '0 6 1 1 *', timezone: UTC}")
    engine = connect(url)
    add_user(engine, "front.desk", "scheduler", "front-desk-password-1")
    engine.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with open(log, "w", encoding="utf-8") as out:
        server = subprocess.Popen([str(PAINAUTH), "serve", "--port", str(port), "--workers", "2"],
                                  env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    parent = psutil.Process(server.pid)
    try:
        _wait_for("the board answering", lambda: _answers(base), log, server)
        first = _wait_for("two worker processes", lambda: len(_workers(parent)) == 2 and
                          _workers(parent), log, server)
        assert log.read_text().count("scheduler: pre-visit-check") == 1  # once, in the parent

        client = httpx.Client(base_url=base, timeout=60)
        token = TOKEN.search(client.get("/login").text)
        assert token
        signed = client.post("/login", data={"name": "front.desk",
                                             "password": "front-desk-password-1",
                                             "token": token.group(1)})
        assert signed.status_code == 303

        # Replace both workers: whoever answers now started after the sign-in.
        for pid in first:
            psutil.Process(pid).kill()
        _wait_for("two new workers", lambda: len(_workers(parent)) == 2 and
                  not (_workers(parent) & first), log, server)
        _wait_for("the board answering again", lambda: _answers(base), log, server)
        for _ in range(12):  # a fresh connection each time, so both workers take some
            page = httpx.get(f"{base}/visits?start=2026-12-01&end=2026-12-22",
                             cookies=client.cookies, timeout=60)
            assert page.status_code == 200, page.status_code
            assert "Testperson" in page.text  # the samples' patient, shown to a signed-in user
        client.close()
    finally:
        stop_serving(server)
    assert server.returncode == 0, log.read_text()[-3000:]
    assert not [child for child in psutil.process_iter(["pid"])
                if child.pid in first], "a worker outlived the board"
