"""`painauth users add` and `painauth users list`: the board's accounts.

The password is read from a prompt that does not echo (asked twice) or, with --password-stdin,
from the first line of standard input; it is never printed or logged.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from tracker.errors import InputError
from tracker.settings import load_settings
from tracker.store.database import connect, database_problem
from tracker.store.migrating import SchemaNotCurrent, require_current_schema
from tracker.store.users import add_user, list_users


def add_command(args: argparse.Namespace) -> int:
    password = _read_password(args.password_stdin)
    if password is None:
        return 2
    return _with_database("users add", lambda engine: _add(engine, args.name, args.role, password))


def list_command(args: argparse.Namespace) -> int:
    return _with_database("users list", _list)


def _add(engine: Engine, name: str, role: str, password: str) -> int:
    try:
        user = add_user(engine, name, role, password)
    except InputError as err:
        print(f"painauth users add: {err}", file=sys.stderr)
        return 2
    print(f"added {user.name} ({user.role})")
    return 0


def _list(engine: Engine) -> int:
    users = list_users(engine)
    if not users:
        print("no users yet: add one with `painauth users add NAME --role admin`")
        return 0
    width = max(len(u.name) for u in users)
    for user in users:
        state = "" if user.active else "  (disabled)"
        print(f"{user.name:<{width}}  {user.role}{state}")
    return 0


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not sys.stdin.isatty():
        print("painauth users add: there is no terminal to ask for the password on; pipe it in "
              "with --password-stdin", file=sys.stderr)
        return None
    else:
        try:
            password = getpass.getpass("password: ")
            again = getpass.getpass("password again: ")
        except EOFError:
            print("painauth users add: no password given; type it at the prompt or use "
                  "--password-stdin", file=sys.stderr)
            return None
        if password != again:
            print("painauth users add: the two passwords differ; nothing was changed",
                  file=sys.stderr)
            return None
    if not password:
        print("painauth users add: the password is empty", file=sys.stderr)
        return None
    return password


def _with_database(command: str, work: Callable[[Engine], int]) -> int:
    settings = load_settings()
    engine = connect(settings.resolved_database_url())
    try:
        require_current_schema(engine)
        return work(engine)
    except SchemaNotCurrent as err:
        print(f"painauth {command}: {err}", file=sys.stderr)
        return 1
    except SQLAlchemyError as err:
        first = database_problem(err)
        print(f"painauth {command}: cannot use the database at "
              f"{settings.database_url_for_display()}: {first}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
