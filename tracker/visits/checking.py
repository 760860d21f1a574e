"""The check use case: a check document in, the engine's answer out. Shared by the CLI and API."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

from tracker.errors import InputError
from tracker.importers.json_document import load_json_document
from tracker.rules import evaluate, policies_in_force
from tracker.visits.check_document import parse_check_document


def check(document: Any, today: date | None = None) -> dict[str, Any]:
    """Evaluate one check document; raises InputError or PolicyErrors."""
    policies = policies_in_force()
    request = parse_check_document(document, sorted(policies), today or date.today(),
                                   {payer: list(p.programs) for payer, p in policies.items()})
    result = evaluate(request, policies[request.payer]).as_json()
    result["patient_id"] = request.patient_id
    result["as_of"] = request.as_of.isoformat()
    return result


def read_document(source: str) -> Any:
    """The check document in a file, or on standard input for `-`, as parsed JSON (depth-limited:
    see tracker.importers.json_document)."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as err:
        raise InputError("$", f"cannot read {source}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise InputError("$", f"{source} is not UTF-8 text") from None
    return load_json_document(text)
