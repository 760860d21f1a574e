"""`painauth db upgrade`: create or upgrade the application database."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError

from tracker.settings import load_settings
from tracker.store.database import database_problem
from tracker.store.migrating import head_revision, upgrade


def upgrade_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    shown = settings.database_url_for_display()
    try:
        upgrade(settings.resolved_database_url())
    except SQLAlchemyError as error:
        print(f"painauth: could not upgrade the database at {shown}: {database_problem(error)}\n"
              "Check PAINAUTH_DATABASE_URL and that the database server is running.",
              file=sys.stderr)
        return 1
    print(f"database at {shown} is at revision {head_revision()}")
    return 0
