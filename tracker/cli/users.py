"""`painauth users add`, `painauth users list`, `painauth users set-password` and
`painauth users link`: the board's accounts. A provider account is linked to its provider record
by the provider's NPI (`--provider`), and sees only that provider's own patients.

The password is read from a prompt that does not echo (asked twice) or, with --password-stdin,
from the first line of standard input; it is never printed or logged.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

import click

from tracker.roles import USER_ROLES


@click.group()
def users() -> None:
    """The board's user accounts."""


@users.command()
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(USER_ROLES),
              help="scheduler reads; billing also updates authorizations; admin also manages "
                   "users; provider reads only their own patients (needs --provider)")
@click.option("--provider", "npi", default=None, metavar="NPI",
              help="the provider record a provider account is linked to, by its NPI")
@click.option("--password-stdin", is_flag=True,
              help="read the password from the first line of standard input")
def add(name: str, role: str, npi: str | None, password_stdin: bool) -> int:
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
            provider_id = _provider_by_npi(engine, npi) if npi is not None else None
            user = add_user(engine, name, role, password, provider_id=provider_id)
        except InputError as err:
            click.echo(f"painauth users add: {err}", err=True)
            return 2
    click.echo(f"added {user.name} ({user.role}" + (f", provider {npi})" if npi else ")"))
    return 0


@users.command()
@click.argument("name")
@click.option("--provider", "npi", required=True, metavar="NPI",
              help="the provider record to link to, by its NPI")
def link(name: str, npi: str) -> int:
    """Make NAME a provider account linked to the provider with this NPI; they see only that
    provider's own patients from their next request."""
    from tracker.cli.database import database
    from tracker.errors import InputError
    from tracker.store.users import list_users, set_user

    with database() as engine:
        found = next((u for u in list_users(engine) if u.name == name.strip().lower()), None)
        if found is None:
            click.echo(f"painauth users link: no user named {name!r}; see `painauth users list`",
                       err=True)
            return 2
        try:
            set_user(engine, found.id, role="provider", provider_id=_provider_by_npi(engine, npi))
        except InputError as err:
            click.echo(f"painauth users link: {err}", err=True)
            return 2
    click.echo(f"{found.name} is now the provider account of NPI {npi.strip()}")
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
        npis = _npis(engine)
    if not accounts:
        click.echo("no users yet: add one with `painauth users add NAME --role admin`")
        return 0
    width = max(len(u.name) for u in accounts)
    for user in accounts:
        state = "" if user.active else "  (disabled)"
        linked = f" of NPI {npis.get(user.provider_id, '?')}" if user.provider_id else ""
        click.echo(f"{user.name:<{width}}  {user.role}{linked}{state}")
    return 0


def _provider_by_npi(engine: Any, npi: str) -> int:
    from sqlalchemy import select
    from sqlmodel import Session as DbSession
    from sqlmodel import col

    from tracker.errors import InputError
    from tracker.store.tables import ProviderRow

    with DbSession(engine) as db:
        found = db.execute(select(col(ProviderRow.id))
                           .where(col(ProviderRow.npi) == npi.strip())).scalar()
    if found is None:
        raise InputError("--provider", f"no provider with NPI {npi.strip()!r}; import the "
                         "providers first (painauth import)")
    return int(found)


def _npis(engine: Any) -> dict[int | None, str]:
    from sqlalchemy import select
    from sqlmodel import Session as DbSession
    from sqlmodel import col

    from tracker.store.tables import ProviderRow

    with DbSession(engine) as db:
        return {pid: npi for pid, npi in db.execute(select(col(ProviderRow.id),
                                                           col(ProviderRow.npi)))}


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
