"""The application database for a command, with its failures said once for every command: a
database at another version or one that cannot be reached is one line and exit 1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from tracker.cli import CommandFailed
from tracker.settings import Settings, load_settings
from tracker.store.database import connect, database_problem
from tracker.store.migrating import SchemaNotCurrent, require_current_schema, upgrade


@contextmanager
def database(settings: Settings | None = None, *, upgrade_first: bool = False) -> Iterator[Engine]:
    """The configured database, at this version (or upgraded to it first), disposed of after."""
    settings = settings or load_settings()
    url = settings.resolved_database_url()
    try:
        if upgrade_first:
            upgrade(url)
        engine = connect(url)
        try:
            if not upgrade_first:
                require_current_schema(engine)
            yield engine
        finally:
            engine.dispose()
    except SchemaNotCurrent as error:
        raise CommandFailed(str(error)) from None
    except SQLAlchemyError as error:
        raise CommandFailed(f"cannot use the database at {settings.database_url_for_display()}: "
                            f"{database_problem(error)}") from None
