"""`painauth alerts send` / `dispatch` and the demo's console outbox."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from practice import AS_OF, add_provider, add_visit
from sqlalchemy import Engine

from notifications.demo_alerts import send_demo_alerts
from tracker.cli import main


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    return sqlite_engine


def test_demo_sends_to_the_console_outbox_once_and_returns_what_it_sent(
        engine: Engine, tmp_path: Path, channels_env: dict[str, str]) -> None:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893", channels=("sms", "email"))
    add_visit(engine, provider, "SYN-1001", date(2026, 12, 3), auth={"status": "denied"})
    sent = send_demo_alerts(engine, AS_OF, outbox=tmp_path / "outbox")
    again = send_demo_alerts(engine, AS_OF, outbox=tmp_path / "outbox")
    assert [(s.kind, s.channel) for s in sent] == [("auth_denied", "console")] and again == []
    written = (tmp_path / "outbox" / "alerts.txt").read_text()
    assert written.count("=== alert 1 ") == 1 and "denied the authorization" in written


def test_cli_raises_then_delivers_and_says_what_it_did(
        engine: Engine, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("PAINAUTH_HOME", str(tmp_path))
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893")
    add_visit(engine, provider, "SYN-1001", date.today(), auth={"status": "denied"})
    assert main(["alerts", "send"]) == 0
    assert main(["alerts", "dispatch"]) == 0
    out = capsys.readouterr().out
    assert "1 new in the outbox (auth_denied 1)" in out and "by console" in out
    assert main(["alerts", "send", "--as-of", "12/01/2026"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
