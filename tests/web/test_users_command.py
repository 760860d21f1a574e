"""`painauth users add/list` and the session key: secrets never shown, kept owner-only."""

from __future__ import annotations

import io
import stat
import sys
from pathlib import Path

import pytest

from tracker.cli import main
from tracker.settings import load_settings
from tracker.store import upgrade
from tracker.web.secret_key import SECRET_FILE_NAME, session_secret


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite:///{tmp_path / 'painauth.sqlite'}"
    upgrade(url)
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", url)
    monkeypatch.setenv("PAINAUTH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PAINAUTH_SECRET_KEY", raising=False)
    return tmp_path


def test_users_add_reads_the_password_from_stdin_and_never_prints_it(
        configured: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-secret-pass\n"))
    assert main(["users", "add", "Robin", "--role", "billing", "--password-stdin"]) == 0
    assert main(["users", "list"]) == 0
    out, err = capsys.readouterr()
    assert "added robin (billing)" in out
    assert "robin  billing" in out
    assert "a-long-secret-pass" not in out + err


def test_users_add_refuses_a_short_password_and_a_duplicate_name(
        configured: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["users", "add", "robin", "--role", "admin", "--password-stdin"]) == 2
    monkeypatch.setattr(sys, "stdin", io.StringIO("long-enough-pass\n"))
    assert main(["users", "add", "robin", "--role", "admin", "--password-stdin"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("long-enough-pass\n"))
    assert main(["users", "add", "robin", "--role", "admin", "--password-stdin"]) == 2
    err = capsys.readouterr().err
    assert "at least 10 characters" in err and "already exists" in err
    assert "Traceback" not in err


def test_users_add_without_a_terminal_asks_for_password_stdin(
        configured: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["users", "add", "robin", "--role", "admin"]) == 2
    assert "--password-stdin" in capsys.readouterr().err


def test_users_list_on_an_unmigrated_database_says_what_to_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    assert main(["users", "list"]) == 1
    assert "painauth db upgrade" in capsys.readouterr().err


def test_the_session_key_is_made_once_and_kept_owner_only(configured: Path) -> None:
    first = session_secret(load_settings())
    kept = configured / "home" / SECRET_FILE_NAME
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert session_secret(load_settings()) == first
    assert len(first) >= 32


def test_the_environment_key_wins_and_no_file_is_made(configured: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAINAUTH_SECRET_KEY", "k" * 40)
    assert session_secret(load_settings()) == "k" * 40
    assert not (configured / "home" / SECRET_FILE_NAME).exists()


def test_the_command_line_help_does_not_load_the_web_stack() -> None:
    import subprocess

    code = ("import sys, tracker.cli; tracker.cli.main(['--help']); "
            "print(any(m.split('.')[0] in ('fastapi', 'uvicorn', 'starlette') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_users_set_password_ends_the_users_sessions(
        configured: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from tracker.store import connect
    from tracker.store.users import authenticate

    monkeypatch.setattr(sys, "stdin", io.StringIO("the-first-password\n"))
    assert main(["users", "add", "robin", "--role", "billing", "--password-stdin"]) == 0
    engine = connect(str(load_settings().resolved_database_url()))
    before = authenticate(engine, "robin", "the-first-password")
    assert before is not None
    monkeypatch.setattr(sys, "stdin", io.StringIO("the-second-password\n"))
    assert main(["users", "set-password", "robin", "--password-stdin"]) == 0
    after = authenticate(engine, "robin", "the-second-password")
    assert after is not None and after.session_generation > before.session_generation
    assert authenticate(engine, "robin", "the-first-password") is None
    monkeypatch.setattr(sys, "stdin", io.StringIO("the-third-password\n"))
    assert main(["users", "set-password", "nobody", "--password-stdin"]) == 2
    out, err = capsys.readouterr()
    assert "their open sessions have ended" in out and "no user named 'nobody'" in err
    assert "the-second-password" not in out + err
    engine.dispose()


def test_a_provider_account_is_linked_by_npi_and_listed_with_it(
        configured: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from sqlmodel import Session as DbSession

    from tracker.store import connect
    from tracker.store.tables import ProviderRow

    engine = connect(f"sqlite:///{configured / 'painauth.sqlite'}")
    with DbSession(engine) as db:
        db.add(ProviderRow(npi="1234567893", name="Dr. Synthia Example"))
        db.commit()
    engine.dispose()
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-secret-pass\n"))
    assert main(["users", "add", "pia", "--role", "provider", "--password-stdin"]) == 2
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-secret-pass\n"))
    assert main(["users", "add", "pia", "--role", "provider", "--provider", "1234567890",
                 "--password-stdin"]) == 2
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-secret-pass\n"))
    assert main(["users", "add", "pia", "--role", "provider", "--provider", "1234567893",
                 "--password-stdin"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("a-long-secret-pass\n"))
    assert main(["users", "add", "sam", "--role", "scheduler", "--password-stdin"]) == 0
    assert main(["users", "link", "sam", "--provider", "1234567893"]) == 0
    assert main(["users", "link", "nobody", "--provider", "1234567893"]) == 2
    assert main(["users", "list"]) == 0
    out, err = capsys.readouterr()
    assert "must name its provider" in err and "no provider with NPI '1234567890'" in err
    assert "no user named 'nobody'" in err and "Traceback" not in err
    assert "pia  provider of NPI 1234567893" in out and "sam  provider of NPI 1234567893" in out
