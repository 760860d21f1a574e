"""`painauth db upgrade`: create or upgrade the application database."""

from __future__ import annotations

import click


@click.group()
def db() -> None:
    """The application database: create or upgrade it."""


@db.command()
def upgrade() -> int:
    """Create the database or upgrade it to this version."""
    from sqlalchemy.exc import SQLAlchemyError

    from tracker.settings import load_settings
    from tracker.store.database import database_problem
    from tracker.store.migrating import head_revision
    from tracker.store.migrating import upgrade as upgrade_database

    settings = load_settings()
    shown = settings.database_url_for_display()
    try:
        upgrade_database(settings.resolved_database_url())
    except SQLAlchemyError as error:
        click.echo(f"painauth db upgrade: could not upgrade the database at {shown}: "
                   f"{database_problem(error)}\n"
                   "Check PAINAUTH_DATABASE_URL and that the database server is running.", err=True)
        return 1
    click.echo(f"database at {shown} is at revision {head_revision()}")
    return 0
