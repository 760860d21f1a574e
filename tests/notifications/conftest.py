"""Alerts are tested against SQLite and PostgreSQL (the server at 127.0.0.1:5432, trust auth, user
postgres; each session makes and drops its own database; PAINAUTH_TEST_POSTGRES_URL points
elsewhere), a local stand-in for Twilio behind the real `twilio` client, and an aiosmtpd server."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import fake_twilio
import pytest
import smtp_server
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from notifications.settings import AlertSettings
from tracker.store import connect, upgrade

ADMIN_URL = os.environ.get("PAINAUTH_TEST_POSTGRES_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BOARD_URL = "https://board.example.org"


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    name = f"painauth_alerts_{secrets.token_hex(6)}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        admin.dispose()
        pytest.fail(f"PostgreSQL is not reachable at {make_url(ADMIN_URL).host}: start it "
                    f"(see .ci/run) or set PAINAUTH_TEST_POSTGRES_URL ({error.orig})")
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('alerts') / 'painauth.sqlite'}"
    upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database with empty tables, on each backend in turn."""
    return _emptied(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """The SQLite database alone, emptied: for what does not depend on the backend."""
    engine = connect(_emptied(sqlite_url))
    yield engine
    engine.dispose()


def _emptied(url: str) -> str:
    engine = connect(url)
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = connect(database_url)
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
