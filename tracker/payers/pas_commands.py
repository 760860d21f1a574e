"""`painauth pas read FILE`: what a payer's PAS response says, as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tracker.payers.errors import UnreadablePayerResponse
from tracker.payers.pas_response import read_pas_response


def add_read_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE",
                        help="the payer's response (FHIR JSON); - reads standard input")


def read_command(args: argparse.Namespace) -> int:
    source = args.file
    try:
        content = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as err:
        return _unreadable(source, f"cannot read {source}: {err.strerror or err}")
    try:
        decision = read_pas_response(content)
    except UnreadablePayerResponse as err:
        return _unreadable(source, err.message, err.path)
    print(json.dumps(decision.as_json(), indent=1))
    return 0


def _unreadable(source: str, message: str, path: str = "$") -> int:
    print(json.dumps({"error": {"file": source, "path": path, "message": message}}, indent=1))
    name = "standard input" if source == "-" else source
    print(f"painauth pas read: {name}: {message}" + ("" if path == "$" else f" (at {path})"),
          file=sys.stderr)
    return 2
