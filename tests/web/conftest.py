"""The board's tests run on a practice loaded into SQLite and PostgreSQL.

Each backend gets one database per test session (PostgreSQL: `painauth_web_<random>` on the server
at 127.0.0.1:5432, trust auth, user postgres, dropped at the end; PAINAUTH_TEST_POSTGRES_URL points
elsewhere), migrated, loaded with samples/*.csv plus this folder's practice/ files (a patient whose
next lumbar ESI is over Aetna's limit), checked with the pre-visit check on 2026-12-01, and given
one user per role (the provider account linked to Dr. Synthia Example, NPI 1234567893, whose
patients are SYN-1001 and SYN-1003). Tests that change data change only what they created or
assert on differences.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.importers.service import import_practice_files
from tracker.store import connect, upgrade
from tracker.store.tables import PatientRow, ProviderRow
from tracker.store.users import add_user
from tracker.visits.pre_visit import check_upcoming_visits
from tracker.web.app import create_app

TODAY = date(2026, 12, 1)
ROOT = Path(__file__).resolve().parents[2]
PRACTICE = [ROOT / "samples", Path(__file__).with_name("practice")]
PASSWORD = "synthetic-password-1"
USERS = {"scheduler": "sam.scheduler", "billing": "bea.billing", "admin": "ada.admin",
         "provider": "pia.provider"}
PROVIDER_NPI = "1234567893"
SECRET = "test-session-key-" + "x" * 40
TOKEN = re.compile(r'name="token" value="([^"]+)"')


@dataclass(frozen=True)
class Practice:
    """A loaded database and what tests look things up by."""

    url: str
    engine: Engine

    def patient_id(self, mrn: str) -> int:
        with DbSession(self.engine) as db:
            found = db.execute(select(col(PatientRow.id)).where(col(PatientRow.mrn) == mrn)).scalar()
        assert isinstance(found, int), mrn
        return found


def load_practice(url: str) -> Practice:
    upgrade(url)
    engine = connect(url)
    report = import_practice_files(PRACTICE, engine, today=TODAY)
    assert report.clean, [(f.path, f.error, f.refused) for f in report.files]
    check_upcoming_visits(engine, TODAY)
    for role, name in USERS.items():
        add_user(engine, name, role, PASSWORD,
                 provider_id=provider_id(engine, PROVIDER_NPI) if role == "provider" else None)
    return Practice(url=url, engine=engine)


def provider_id(engine: Engine, npi: str) -> int:
    with DbSession(engine) as db:
        found = db.execute(select(col(ProviderRow.id)).where(col(ProviderRow.npi) == npi)).scalar()
    assert isinstance(found, int), npi
    return found


@pytest.fixture(scope="session")
def sqlite_practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Practice]:
    practice = load_practice(f"sqlite:///{tmp_path_factory.mktemp('board') / 'painauth.sqlite'}")
    yield practice
    practice.engine.dispose()


@pytest.fixture(scope="session")
def postgresql_practice(new_postgresql_database: Callable[[str], str]) -> Iterator[Practice]:
    practice = load_practice(new_postgresql_database("painauth_web"))
    yield practice
    practice.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def practice(request: pytest.FixtureRequest) -> Practice:
    """The loaded practice, on each backend in turn."""
    loaded: Practice = request.getfixturevalue(f"{request.param}_practice")
    return loaded


@pytest.fixture
def client(practice: Practice) -> Iterator[TestClient]:
    """A browser-like client that is not signed in."""
    with TestClient(create_app(practice.engine, SECRET, today=lambda: TODAY),
                    follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def sqlite_client(sqlite_practice: Practice) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_practice.engine, SECRET, today=lambda: TODAY),
                    follow_redirects=False) as test_client:
        yield test_client


def form_token(client: TestClient, page: str = "/login") -> str:
    response = client.get(page)
    assert response.status_code == 200, response.text
    found = TOKEN.search(response.text)
    assert found, f"no form token on {page}"
    return found.group(1)


def sign_in(client: TestClient, role: str, password: str = PASSWORD) -> TestClient:
    response = client.post("/login", data={"name": USERS[role], "password": password,
                                           "token": form_token(client)})
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def scheduler(client: TestClient) -> TestClient:
    return sign_in(client, "scheduler")


@pytest.fixture
def billing(client: TestClient) -> TestClient:
    return sign_in(client, "billing")


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    return sign_in(client, "admin")


@pytest.fixture
def provider(client: TestClient) -> TestClient:
    """Signed in as Dr. Synthia Example's provider account."""
    return sign_in(client, "provider")
