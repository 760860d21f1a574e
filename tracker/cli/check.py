"""`painauth check`: one check document in, the engine's answer out (the contract in
docs and ../shared/spec/check.md). Loads no database, web or Prefect module."""

from __future__ import annotations

import json
import sys

import click

from tracker.errors import InputError, PainauthError, PolicyErrors


@click.command()
@click.option("--input", "-i", "source", required=True, metavar="FILE",
              help="the check document (JSON); - reads standard input")
def check(source: str) -> int:
    """Say whether a scheduled procedure will be paid for, and what stands in the way.

    Prints the verdict, counters, next eligible date and findings as JSON. Invalid input exits 2
    with {"error": {"message", "path"}} naming the field.
    """
    from tracker.visits.checking import check as evaluate_document
    from tracker.visits.checking import read_document

    try:
        result = evaluate_document(read_document(source))
    except InputError as err:
        return _refused(err.message, err.path, str(err))
    except PolicyErrors as err:
        return _refused(str(err), None, f"the payer policies are broken:\n{err}")
    except PainauthError as err:
        return _refused(str(err), None, str(err))
    print(json.dumps(result, indent=1))
    return 0


def _refused(message: str, path: str | None, said: str) -> int:
    print(json.dumps({"error": {"message": message, "path": path}}))
    print(f"painauth check: {said}", file=sys.stderr)
    return 2
