"""`painauth users add`, `painauth users list` and `painauth users set-password`: the board's
accounts.

The password is read from a prompt that does not echo (asked twice) or, with --password-stdin,
from the first line of standard input; it is never printed or logged.
"""

from __future__ import annotations

import getpass
import sys

import click

from tracker.roles import USER_ROLES


@click.group()
def users() -> None:
    """The board's user accounts."""


@users.command()
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(USER_ROLES),
              help="scheduler reads; billing also updates authorizations; admin also manages users")
@click.option("--password-stdin", is_flag=True,
              help="read the password from the first line of standard input")
def add(name: str, role: str, password_stdin: bool) -> int:
    """Add a board user; the password is asked for (or read with --password-stdin).

    NAME is the user name people sign in with.
    """
    from tracker.cli.database import database
    from tracker.errors import InputError
    from tracker.store.users import add_user

    password = _read_password(password_stdin)
    if password is None:
        return 2
    with database() as engine:
        try:
            user = add_user(engine, name, role, password)
        except InputError as err:
            click.echo(f"painauth users add: {err}", err=True)
            return 2
    click.echo(f"added {user.name} ({user.role})")
    return 0


@users.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True,
              help="read the new password from the first line of standard input")
def set_password_command(name: str, password_stdin: bool) -> int:
    """Give a board user a new password; every session they have open ends at once.

    NAME is the user name people sign in with.
    """
    from tracker.cli.database import database
    from tracker.errors import InputError
    from tracker.store.users import list_users, set_password

    password = _read_password(password_stdin, "users set-password")
    if password is None:
        return 2
    with database() as engine:
        found = next((u for u in list_users(engine) if u.name == name.strip().lower()), None)
        if found is None:
            click.echo(f"painauth users set-password: no user named {name!r}; see "
                       "`painauth users list`", err=True)
            return 2
        try:
            set_password(engine, found.id, password)
        except InputError as err:
            click.echo(f"painauth users set-password: {err}", err=True)
            return 2
    click.echo(f"new password set for {found.name}; their open sessions have ended")
    return 0


@users.command("list")
def list_accounts() -> int:
    """List the board's users and their roles."""
    from tracker.cli.database import database
    from tracker.store.users import list_users

    with database() as engine:
        accounts = list_users(engine)
    if not accounts:
        click.echo("no users yet: add one with `painauth users add NAME --role admin`")
        return 0
    width = max(len(u.name) for u in accounts)
    for user in accounts:
        state = "" if user.active else "  (disabled)"
        click.echo(f"{user.name:<{width}}  {user.role}{state}")
    return 0


def _read_password(from_stdin: bool, command: str = "users add") -> str | None:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif not sys.stdin.isatty():
        print(f"painauth {command}: there is no terminal to ask for the password on; pipe it in "
              "with --password-stdin", file=sys.stderr)
        return None
    else:
        try:
            password = getpass.getpass("password: ")
            again = getpass.getpass("password again: ")
        except EOFError:
            print(f"painauth {command}: no password given; type it at the prompt or use "
                  "--password-stdin", file=sys.stderr)
            return None
        if password != again:
            print(f"painauth {command}: the two passwords differ; nothing was changed",
                  file=sys.stderr)
            return None
    if not password:
        print(f"painauth {command}: the password is empty", file=sys.stderr)
        return None
    return password
