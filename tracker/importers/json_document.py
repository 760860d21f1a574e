"""Reading a JSON document someone handed us — a check document, a FHIR bundle — as bounded input.

`json.loads` recurses once per nested array or object and dies with RecursionError about 1,000
deep; it also takes NaN and Infinity, which are not JSON, and refuses integers of more than 4,300
digits with a bare ValueError. This reader turns each of those into an `InputError` naming the
place, so every entry point answers "invalid input" instead of crashing.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tracker.errors import InputError

MAX_DEPTH = 64  # arrays/objects, the document itself counting as one
# A JSON string (escapes included), or one bracket: what the depth scan needs to see.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def load_json_document(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed document; raises InputError (path `$`) when it is not JSON, is nested deeper
    than `max_depth` arrays/objects, or holds NaN/Infinity or an absurdly long number."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("$", "the document is not UTF-8 text") from None
    elif text.startswith("\ufeff"):
        text = text[1:]
    too_deep = _first_too_deep(text, max_depth)
    if too_deep is not None:
        line, column = _line_column(text, too_deep)
        raise InputError("$", f"the document is nested deeper than {max_depth} arrays/objects "
                              f"(at line {line} column {column}); flatten it")
    try:
        return json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as err:
        raise InputError("$", f"malformed JSON at line {err.lineno} column {err.colno}: "
                              f"{err.msg}") from None
    except RecursionError:
        raise InputError("$", f"the document is nested too deeply; at most {max_depth} "
                              "arrays/objects") from None
    except ValueError as err:
        if "digits" in str(err):
            raise InputError("$", "a number in the document has more than 4,300 digits") from None
        raise InputError("$", f"not acceptable JSON: {err}") from None


def _first_too_deep(text: str, max_depth: int) -> int | None:
    """The offset of the first bracket that opens level `max_depth + 1`, if any."""
    depth = 0
    for token in _TOKENS.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > max_depth:
                return token.start()
        elif char in "]}":
            depth -= 1
    return None


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number; write a number or null")
