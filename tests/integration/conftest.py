"""The integration tests run against both SQLite and PostgreSQL through the `engine` and
`database_url` fixtures of tests/conftest.py; every test starts from empty tables."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def samples() -> Path:
    return Path(__file__).resolve().parents[2] / "samples"
