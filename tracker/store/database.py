"""Connecting to the application database: SQLite file by default, PostgreSQL in production."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import create_engine


def connect(url: str, **engine_options: Any) -> Engine:
    """An engine for `url`. For SQLite the file's folder is created and foreign keys enforced."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **engine_options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **engine_options)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Several processes may write the file at once (the pre-visit check's batches on Dask
    # workers): a writer waits for another's transaction instead of failing after 5 seconds.
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def database_problem(error: Exception) -> str:
    """The first line of what the database driver said, for a message to a user."""
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def analyze(engine: Engine, *, vacuum: bool = True) -> None:
    """Refresh the query planner's statistics after a bulk load (a seeded practice, a large
    import), so its first queries — and the readiness triggers' plans — pick the indexes a
    practice of that size needs. PostgreSQL also vacuums unless told not to, so those indexes
    answer without a visit to every row they name (index-only scans)."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE" if vacuum else "ANALYZE"))
        else:
            connection.execute(text("ANALYZE"))
            connection.commit()
