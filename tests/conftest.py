"""The databases every store-backed test runs on: a migrated SQLite file and a fresh PostgreSQL
database per test session.

PostgreSQL is the server at 127.0.0.1:5432 (trust auth, user postgres; `.ci/run` starts it);
PAINAUTH_TEST_POSTGRES_URL points elsewhere. Every database a session creates is named
`<prefix>_<random>`, so parallel runs never collide, and is dropped when the session ends.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from tracker.scheduling.embedded_prefect import use_embedded_prefect
from tracker.store import connect, upgrade

# Each test process gets a Prefect home of its own (its ephemeral server's database), so
# parallel runs and pytest-xdist's workers (which inherit the controller's environment) never
# share one. A home the environment named before pytest started is kept.
if os.environ.get("PREFECT_HOME", "") == os.environ.get("_PAINAUTH_TEST_PREFECT_HOME", ""):
    _prefect_home = tempfile.mkdtemp(prefix="painauth-test-prefect-")
    os.environ["PREFECT_HOME"] = os.environ["_PAINAUTH_TEST_PREFECT_HOME"] = _prefect_home
    atexit.register(shutil.rmtree, _prefect_home, ignore_errors=True)
# Before any test imports prefect: give its ephemeral server time to start on a busy machine.
use_embedded_prefect()

ADMIN_URL = os.environ.get("PAINAUTH_TEST_POSTGRES_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def new_postgresql_database() -> Iterator[Callable[[str], str]]:
    """Makes an empty PostgreSQL database named after a prefix; returns its URL."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    created: list[str] = []

    def create(prefix: str) -> str:
        name = f"{prefix}_{secrets.token_hex(6)}"
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except OperationalError as error:
            pytest.fail(f"PostgreSQL is not reachable at {make_url(ADMIN_URL).host}: start it "
                        f"(see .ci/run) or set PAINAUTH_TEST_POSTGRES_URL ({error.orig})")
        created.append(name)
        return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    yield create
    with admin.connect() as connection:
        for name in created:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def postgresql_url(new_postgresql_database: Callable[[str], str]) -> str:
    url = new_postgresql_database("painauth_test")
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'painauth.sqlite'}"
    upgrade(url)
    return url


def emptied(url: str) -> str:
    """The database at `url` with every table emptied (the schema kept)."""
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
def empty_tables() -> Callable[[str], str]:
    return emptied


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database with empty tables, on each backend in turn."""
    return emptied(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = connect(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """A temporary Prefect server for the session's flow runs (read their artifacts back with
    tests/prefect_runs.py)."""
    from prefect.testing.utilities import prefect_test_harness

    from tracker.scheduling.embedded_prefect import STARTUP_TIMEOUT_SECONDS

    with prefect_test_harness(server_startup_timeout=STARTUP_TIMEOUT_SECONDS):
        yield
