"""The arguments of `painauth auth show` and `painauth auth export` (free of heavy imports: the CLI
reads them for every command it builds)."""

from __future__ import annotations

import argparse
from pathlib import Path


def _authorization_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("id", type=int, metavar="ID", help="the authorization's id")


def add_show_arguments(parser: argparse.ArgumentParser) -> None:
    _authorization_id(parser)
    parser.add_argument("--as-of", metavar="YYYY-MM-DD",
                        help="the day the record is read as of (default today)")


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    _authorization_id(parser)
    parser.add_argument("--format", required=True, choices=["fhir", "pdf"],
                        help="fhir: a Da Vinci PAS request bundle (JSON); pdf: the reviewer's packet")
    parser.add_argument("--out", required=True, type=Path, metavar="PATH",
                        help="the file to write")
    parser.add_argument("--identifier", metavar="TEXT",
                        help="the bundle identifier (default: the authorization's submission id, "
                             "else auth-ID-preview)")
    parser.add_argument("--with-packet", action="store_true",
                        help="fhir only: carry the PDF packet in the bundle as a DocumentReference")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD",
                        help="the day the record is read as of (default today)")
