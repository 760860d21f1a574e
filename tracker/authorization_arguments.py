"""The arguments of the staff's authorization commands — `painauth auth record-submission`,
`record-decision`, `submit` and `follow-up` (free of heavy imports: the CLI reads them for every
command it builds)."""

from __future__ import annotations

import argparse
import getpass

# The choices of tracker.authorizations.manual_entry, repeated here so building the parser imports nothing.
CHANNELS = ("fax", "portal", "phone", "mail")
DECISIONS = ("approved", "partial", "denied", "pended")


def _staff(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", type=int, metavar="ID", help="the authorization's id")
    parser.add_argument("--by", metavar="NAME", default=None,
                        help="who records this, for the audit trail (default: your login name)")


def add_record_submission_arguments(parser: argparse.ArgumentParser) -> None:
    _staff(parser)
    parser.add_argument("--channel", required=True, choices=CHANNELS, help="how the packet was sent")
    parser.add_argument("--reference", metavar="R", help="the fax confirmation or portal reference")
    parser.add_argument("--note", metavar="N", help="anything else worth keeping with the event")


def add_record_decision_arguments(parser: argparse.ArgumentParser) -> None:
    _staff(parser)
    parser.add_argument("--decision", required=True, choices=DECISIONS, help="what the payer decided")
    parser.add_argument("--auth-number", metavar="NUMBER",
                        help="the payer's authorization number (required to approve)")
    parser.add_argument("--valid-from", metavar="YYYY-MM-DD", help="first day the approval covers")
    parser.add_argument("--valid-to", metavar="YYYY-MM-DD", help="last day the approval covers")
    parser.add_argument("--units", type=int, metavar="N", help="units the payer approved")
    parser.add_argument("--reason", metavar="TEXT",
                        help="the payer's reason, as worded (required for a denial)")


def add_submit_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--as-of", metavar="YYYY-MM-DD",
                        help="the day the packages are built as of (default today)")


def who(args: argparse.Namespace) -> str:
    return args.by if args.by is not None else getpass.getuser()
