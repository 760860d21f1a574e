"""`painauth serve`: the status board on uvicorn, bound to 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import argparse
import sys

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from tracker.errors import PainauthError
from tracker.scheduling.running import start_embedded_scheduler
from tracker.settings import load_settings
from tracker.store.database import connect, database_problem
from tracker.store.migrating import SchemaNotCurrent, require_current_schema
from tracker.store.users import list_users
from tracker.web.app import create_app
from tracker.web.secret_key import session_secret

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = connect(settings.resolved_database_url())
    try:
        require_current_schema(engine)
        has_users = bool(list_users(engine))
    except SchemaNotCurrent as err:
        print(f"painauth serve: {err}", file=sys.stderr)
        return 1
    except SQLAlchemyError as err:
        first = database_problem(err)
        print(f"painauth serve: cannot use the database at {settings.database_url_for_display()}: "
              f"{first}", file=sys.stderr)
        return 1
    if not has_users:
        print("painauth serve: nobody can sign in yet: add a user with "
              "`painauth users add NAME --role admin`", file=sys.stderr)
    if args.host not in LOOPBACK:
        print(f"painauth serve: listening on {args.host}, reachable from other machines; put it "
              "behind HTTPS before real use", file=sys.stderr)
    app = create_app(engine, session_secret(settings))
    try:
        scheduler = None if args.no_scheduler else start_embedded_scheduler(engine)
    except PainauthError as err:
        print(f"painauth serve: {err}", file=sys.stderr)
        engine.dispose()
        return 1
    print(f"status board at http://{args.host}:{args.port}/ (database "
          f"{settings.database_url_for_display()}); Ctrl-C stops it")
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    finally:
        if scheduler is not None:
            scheduler.stop()
        engine.dispose()
    return 0
