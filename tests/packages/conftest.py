"""Package tests run on a practice imported into SQLite and PostgreSQL.

The store fixtures are tests/conftest.py's: one migrated database per backend per test
session (PostgreSQL: `painauth_test_<random>` on the server at 127.0.0.1:5432, trust auth, user
postgres, dropped at the end; PAINAUTH_TEST_POSTGRES_URL points elsewhere), emptied before each
test. `practice` imports samples/*.csv plus the scenario patients of `practice.py` and runs the
pre-visit check on 2026-12-01, which opens the authorizations the payers require.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from .practice import Practice, load_practice


@pytest.fixture
def practice(engine: Engine, tmp_path: Path) -> Practice:
    return load_practice(engine, tmp_path)


