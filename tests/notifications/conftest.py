"""Alerts are tested against SQLite and PostgreSQL (the server at 127.0.0.1:5432, trust auth, user
postgres; each session makes and drops its own database; PAINAUTH_TEST_POSTGRES_URL points
elsewhere), a local stand-in for Twilio behind the real `twilio` client, and an aiosmtpd server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import fake_twilio
import pytest
import smtp_server
from sqlalchemy import Engine

from notifications.settings import AlertSettings
from tracker.store import connect

BOARD_URL = "https://board.example.org"


@pytest.fixture
def sqlite_engine(sqlite_url: str, empty_tables: Callable[[str], str]) -> Iterator[Engine]:
    """The SQLite database alone, emptied: for what does not depend on the backend."""
    engine = connect(empty_tables(sqlite_url))
    yield engine
    engine.dispose()


@pytest.fixture
def twilio() -> Iterator[fake_twilio.FakeTwilio]:
    fake = fake_twilio.FakeTwilio()
    server = fake_twilio.start(fake)
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def mailbox() -> Iterator[smtp_server.Mailbox]:
    box = smtp_server.Mailbox()
    controller = smtp_server.start(box)
    yield box
    controller.stop()


def channel_environment(twilio: fake_twilio.FakeTwilio, mailbox: smtp_server.Mailbox,
                        home: Path) -> dict[str, str]:
    """The PAINAUTH_ variables that point painauth's channels at the local servers."""
    return {
        "PAINAUTH_HOME": str(home), "PAINAUTH_BOARD_URL": BOARD_URL,
        "PAINAUTH_TWILIO_ACCOUNT_SID": twilio.account_sid,
        "PAINAUTH_TWILIO_AUTH_TOKEN": twilio.auth_token,
        "PAINAUTH_TWILIO_FROM": fake_twilio.FROM_NUMBER, "PAINAUTH_TWILIO_API_URL": twilio.url,
        "PAINAUTH_SMTP_HOST": "127.0.0.1", "PAINAUTH_SMTP_PORT": str(mailbox.port),
        "PAINAUTH_SMTP_FROM": "alerts@practice.example.org", "PAINAUTH_SMTP_STARTTLS": "false",
        "PAINAUTH_SMTP_TIMEOUT_SECONDS": "5",
    }


@pytest.fixture
def channels_env(twilio: fake_twilio.FakeTwilio, mailbox: smtp_server.Mailbox, tmp_path: Path,
                 monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = channel_environment(twilio, mailbox, tmp_path)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def settings(channels_env: dict[str, str]) -> AlertSettings:
    return AlertSettings(_env_file=None)  # type: ignore[call-arg]
