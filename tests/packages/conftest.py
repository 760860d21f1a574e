"""Package tests run on a practice imported into SQLite and PostgreSQL.

The store fixtures follow tests/integration/conftest.py: one migrated database per backend per test
session (PostgreSQL: `painauth_test_<random>` on the server at 127.0.0.1:5432, trust auth, user
postgres, dropped at the end; PAINAUTH_TEST_POSTGRES_URL points elsewhere), emptied before each
test. `practice` imports samples/*.csv plus the scenario patients of `practice.py` and runs the
pre-visit check on 2026-12-01, which opens the authorizations the payers require.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from tracker.store import connect, upgrade

from .practice import Practice, load_practice

ADMIN_URL = os.environ.get("PAINAUTH_TEST_POSTGRES_URL",
                           "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    name = f"painauth_test_{secrets.token_hex(6)}"
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
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'painauth.sqlite'}"
    upgrade(url)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database with empty tables, on each backend in turn."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    engine = connect(url)
    _empty_tables(engine)
    engine.dispose()
    yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = connect(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def practice(engine: Engine, tmp_path: Path) -> Practice:
    return load_practice(engine, tmp_path)


def _empty_tables(engine: Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
