"""Arguments of `painauth alerts send` and `painauth alerts dispatch` (argparse only: cheap to
import when the CLI builds its parser)."""

from __future__ import annotations

import argparse


def add_send_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", metavar="YYYY-MM-DD",
                   help="raise the alerts as of this day (default now)")


def add_dispatch_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--echo", action="store_true",
                   help="also print what goes to the console outbox")
