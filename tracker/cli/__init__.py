"""The `painauth` command: one Click group whose subcommands load only when they run.

Each command group is a module of this package (`tracker/cli/auth.py` holds `painauth auth …`),
with its options beside its functions. `COMMANDS` names them without importing them (Click's
lazily loaded subcommands), so `painauth check` loads neither the database, the web stack nor
Prefect. Heavy imports stay inside the command functions, so `painauth --help` is cheap too.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from tracker.cli.lazy import LazyGroup
from tracker.errors import PainauthError

# name -> "module:attribute" of the Click command or group; listed in `painauth --help` this order
COMMANDS = {
    "check": "tracker.cli.check:check",
    "status": "tracker.cli.status:status",
    "policies": "tracker.cli.policies:policies",
    "import": "tracker.cli.importing:import_files",
    "auth": "tracker.cli.auth:auth",
    "queue": "tracker.cli.queue:queue",
    "money": "tracker.cli.money:money",
    "report": "tracker.cli.report:report",
    "alerts": "tracker.cli.alerts:alerts",
    "serve": "tracker.cli.serve:serve",
    "users": "tracker.cli.users:users",
    "db": "tracker.cli.db:db",
    "pas": "tracker.cli.pas:pas",
    "sandbox": "tracker.cli.sandbox:sandbox",
    "seed": "tracker.cli.seed:seed",
    "demo": "tracker.cli.demo:demo",
}


@click.group(cls=LazyGroup, lazy_subcommands=COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
def painauth() -> None:
    """Prior-authorization and frequency tracker for interventional pain practices."""


class CommandFailed(click.ClickException):
    """A command that could not do its work for a reason outside the user's input (the database is
    unreachable or at another version): said in one line, exit 1."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        context = click.get_current_context(silent=True)
        self.command_path = context.command_path if context else "painauth"
        super().__init__(message)

    def show(self, file: object = None) -> None:
        click.echo(f"{self.command_path}: {self.message}", err=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its exit code. Never a traceback unless PAINAUTH_DEBUG is set.

    A closed pipe (`painauth … | head`) is Click's to handle: it ends the command with exit 1 and
    nothing on standard error."""
    try:
        result = painauth.main(args=list(argv) if argv is not None else None, prog_name="painauth",
                               standalone_mode=False)
        return int(result or 0)
    except click.ClickException as err:  # usage errors name the option (exit 2); CommandFailed: 1
        err.show()
        return err.exit_code
    except click.exceptions.Exit as err:
        return err.exit_code
    except (click.Abort, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return 130
    except PainauthError as err:
        print(f"painauth: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # a bug of ours: say so plainly; the traceback only on request
        return _internal_error(err)


def _internal_error(err: Exception) -> int:
    if os.environ.get("PAINAUTH_DEBUG"):
        raise err
    print(f"painauth: internal error ({type(err).__name__}: {err}); "
          "set PAINAUTH_DEBUG=1 to see the traceback and report it", file=sys.stderr)
    return 1
