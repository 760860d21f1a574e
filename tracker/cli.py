"""The `painauth` command.

Each subcommand's handler lives in the module that owns the use case and is imported only when
that subcommand runs, so `painauth check` never loads the database, web or Prefect stacks.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from tracker.errors import PainauthError

# (subcommand path, "module:function" handler, how to add its arguments)
Handler = str


def _add_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", "-i", required=True, metavar="FILE",
                   help="the check document (JSON); - reads standard input")


def _add_policies_show(p: argparse.ArgumentParser) -> None:
    p.add_argument("payer", help="a payer id, e.g. medicare")


def _add_policies_validate(p: argparse.ArgumentParser) -> None:
    p.add_argument("dirs", nargs="*", metavar="DIR",
                   help="folders of policy files (default: the shipped and configured ones)")


def _add_status(p: argparse.ArgumentParser) -> None:
    p.add_argument("--days", type=int, default=21, help="how many days ahead (default 21)")
    p.add_argument("--start", metavar="YYYY-MM-DD", help="first day (default today)")
    p.add_argument("--verdict", choices=["blocked", "needs_documentation", "needs_auth", "ok"])
    p.add_argument("--attention", action="store_true", help="only visits needing attention")


def _add_seed(p: argparse.ArgumentParser) -> None:
    p.add_argument("--patients", type=int, default=300, help="how many patients (default 300)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD",
                   help="the day the history ends and the three-week schedule starts (default today)")


def _add_nothing(p: argparse.ArgumentParser) -> None:
    return None


# name -> (help, add-arguments, handler). Nested commands use "group command".
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Handler]] = {
    "check": ("say whether a scheduled procedure will be paid for, and what stands in the way",
              _add_check, "tracker.visits.checking:check_command"),
    "policies list": ("list the payer policies in force", _add_nothing,
                      "tracker.policy_commands:list_command"),
    "policies show": ("print one payer's rules", _add_policies_show,
                      "tracker.policy_commands:show_command"),
    "policies validate": ("validate policy files and report every problem",
                          _add_policies_validate, "tracker.policy_commands:validate_command"),
    "demo": ("run the demonstration end to end", _add_nothing, "tracker.practice.demo:demo_command"),
    "status": ("the upcoming visits: verdict, authorization, counters, next eligible date",
               _add_status, "tracker.status_command:status_command"),
    # -- commands of the store, import, board and flows are registered below --
    "db upgrade": ("create the database or upgrade it to this version", _add_nothing,
                   "tracker.store.commands:upgrade_command"),
    "import": ("import practice data: CSV files and FHIR R4 bundles (see docs/import.md)",
               lambda p: importlib.import_module("tracker.importers.arguments").add_arguments(p),
               "tracker.importers.commands:import_command"),
    "seed": ("upgrade the database, then write a synthetic practice into it", _add_seed,
             "tracker.seed_command:seed_command"),
    "pas read": ("read a payer's PAS response: the decision per line, auth numbers and errors",
                 lambda p: importlib.import_module("tracker.payers.pas_commands").add_read_arguments(p),
                 "tracker.payers.pas_commands:read_command"),
    "sandbox": ("run the payer sandbox: a Da Vinci PAS payer on this machine for the demo and tests",
                lambda p: importlib.import_module(
                    "tracker.payers.sandbox_arguments").add_sandbox_arguments(p),
                "tracker.payers.sandbox.command:sandbox_command"),
    "auth show": ("an authorization's package, status, history and what is missing",
                  lambda p: importlib.import_module("tracker.packages.arguments").add_show_arguments(p),
                  "tracker.packages.commands:show_command"),
    "auth export": ("write an authorization's package as a PAS request bundle or a PDF packet",
                    lambda p: importlib.import_module("tracker.packages.arguments")
                    .add_export_arguments(p),
                    "tracker.packages.commands:export_command"),
    "auth record-submission": ("record that a fax or portal payer was sent the packet",
                               lambda p: importlib.import_module("tracker.authorization_arguments")
                               .add_record_submission_arguments(p),
                               "tracker.authorization_commands:record_submission_command"),
    "auth record-decision": ("record a fax or portal payer's decision",
                             lambda p: importlib.import_module("tracker.authorization_arguments")
                             .add_record_decision_arguments(p),
                             "tracker.authorization_commands:record_decision_command"),
    "auth submit": ("prepare the open packages and send every ready one to its payer, exactly once",
                    lambda p: importlib.import_module("tracker.authorization_arguments")
                    .add_submit_arguments(p),
                    "tracker.authorization_commands:submit_command"),
    "auth follow-up": ("apply payers' notifications, ask about pended requests, flag trouble",
                       _add_nothing, "tracker.authorization_commands:follow_up_command"),
    "serve": ("run the status board (http://127.0.0.1:8000 by default)",
              lambda p: importlib.import_module("tracker.board_arguments").add_serve_arguments(p),
              "tracker.web.serve_command:serve_command"),
    "users add": ("add a board user; the password is asked for (or read with --password-stdin)",
                  lambda p: importlib.import_module("tracker.board_arguments").add_user_arguments(p),
                  "tracker.user_commands:add_command"),
    "users list": ("list the board's users and their roles", _add_nothing,
                   "tracker.user_commands:list_command"),
    "alerts send": ("raise providers' alerts for the upcoming visits and queue the new ones",
                    lambda p: importlib.import_module("notifications.arguments").add_send_arguments(p),
                    "notifications.commands:send_command"),
    "alerts dispatch": ("deliver queued alerts by SMS, email or the console outbox, exactly once",
                        lambda p: importlib.import_module("notifications.arguments")
                        .add_dispatch_arguments(p),
                        "notifications.commands:dispatch_command"),
}


GROUP_HELP = {
    "policies": "the payer policies: list, show one payer's rules, validate files",
    "db": "the application database: create or upgrade it",
    "pas": "Da Vinci PAS messages: read a payer's response",
    "auth": "authorizations: show, export, submit, follow up, record fax/portal outcomes",
    "users": "the board's user accounts",
    "alerts": "provider alerts: queue them, deliver them",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="painauth",
        description="Prior-authorization and frequency tracker for interventional pain practices.",
    )
    top = parser.add_subparsers(dest="command", metavar="COMMAND")
    groups: dict[str, argparse._SubParsersAction] = {}
    for name, (help_text, add_arguments, handler) in COMMANDS.items():
        words = name.split()
        if len(words) == 1:
            sub = top.add_parser(words[0], help=help_text, description=help_text)
        else:
            if words[0] not in groups:
                group = top.add_parser(words[0], help=GROUP_HELP.get(words[0], ""),
                                       description=GROUP_HELP.get(words[0]))
                groups[words[0]] = group.add_subparsers(dest="subcommand", metavar="COMMAND",
                                                        required=True)
            sub = groups[words[0]].add_parser(words[1], help=help_text, description=help_text)
        add_arguments(sub)
        sub.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    module_name, function_name = args.handler.split(":")
    handler = getattr(importlib.import_module(module_name), function_name)
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except PainauthError as err:
        print(f"painauth: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # a bug of ours: say so plainly; the traceback only on request
        if os.environ.get("PAINAUTH_DEBUG"):
            raise
        print(f"painauth: internal error ({type(err).__name__}: {err}); "
              "set PAINAUTH_DEBUG=1 to see the traceback and report it", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
