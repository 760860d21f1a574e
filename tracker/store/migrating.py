"""Alembic migrations shipped inside the package, configured in code (no alembic.ini, no cwd)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from tracker.store.database import connect

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaNotCurrent(Exception):
    """The database has not been created or upgraded to this version of painauth."""


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolates "%": a URL-encoded password must not break it.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the database at `url` to `revision` (default: the latest)."""
    engine = connect(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current_schema(engine: Engine) -> None:
    """Raise `SchemaNotCurrent` with the fix when the database is missing tables or is behind."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        state = "has no painauth tables" if current is None else f"is at revision {current}"
        raise SchemaNotCurrent(
            f"the database {state}, this painauth needs {head}: run `painauth db upgrade` first")
