"""The arguments of `painauth import` (kept free of database imports: the CLI reads them for
every command it builds)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", type=Path,
                        help="CSV files, FHIR bundle (.json) files, or folders of them")
    parser.add_argument("--errors", action="store_true",
                        help="list the rows still quarantined instead of importing")
