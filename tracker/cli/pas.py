"""`painauth pas read FILE`: what a payer's PAS response says, as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.group()
def pas() -> None:
    """Da Vinci PAS messages: read a payer's response."""


@pas.command()
@click.argument("source", metavar="FILE")
def read(source: str) -> int:
    """Read a payer's PAS response: the decision per line, auth numbers and errors.

    FILE is the payer's response (FHIR JSON); - reads standard input.
    """
    from tracker.payers.errors import UnreadablePayerResponse
    from tracker.payers.pas_response import read_pas_response

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
