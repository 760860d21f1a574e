"""Reading FHIR JSON defensively: payers send what they send, and a wrong type is not a crash.

Extensions are matched by the last segment of their URL, so the Da Vinci PAS extensions are found
whether a payer uses the PAS canonical base (2.x), the HRex base some 1.x/2.0 payers used, or
appends a `|version`.
"""

from __future__ import annotations

from typing import Any

X12_REVIEW_ACTION_SYSTEM = "https://codesystem.x12.org/005010/306"


def objects(value: Any) -> list[dict[str, Any]]:
    """The JSON objects in a FHIR list element (a single object counts as a list of one)."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def text(value: Any) -> str | None:
    """A FHIR primitive as text: strings as given, numbers printed, anything else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float):
        return str(value)
    return None


def number(value: Any) -> int | float | None:
    """A FHIR decimal or integer; whole numbers come back as int (2.0 units are 2 units)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if float(value).is_integer() else value


def extension_name(url: Any) -> str:
    """`http://…/StructureDefinition/extension-reviewAction|2.2.1` -> `extension-reviewAction`."""
    if not isinstance(url, str):
        return ""
    return url.split("|", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def extensions(element: Any, name: str) -> list[dict[str, Any]]:
    """Every extension of `element` whose URL ends in `name` (or equals it, for sub-extensions)."""
    if not isinstance(element, dict):
        return []
    return [e for e in objects(element.get("extension")) if extension_name(e.get("url")) == name]


def first_extension(element: Any, *names: str) -> dict[str, Any] | None:
    for name in names:
        found = extensions(element, name)
        if found:
            return found[0]
    return None


def codings(concept: Any) -> list[dict[str, Any]]:
    return objects(concept.get("coding")) if isinstance(concept, dict) else []


def preferred_coding(concept: Any, system: str | None = None) -> dict[str, Any] | None:
    """The coding from `system` if there is one, else the first coding that has a code."""
    with_code = [c for c in codings(concept) if text(c.get("code"))]
    for coding in with_code:
        if system and coding.get("system") == system:
            return coding
    return with_code[0] if with_code else None


def concept_text(concept: Any) -> str | None:
    """What a CodeableConcept says in words: its text, else its codings' displays or codes."""
    if not isinstance(concept, dict):
        return None
    if text(concept.get("text")):
        return text(concept.get("text"))
    words = [text(c.get("display")) or text(c.get("code")) for c in codings(concept)]
    return "; ".join(w for w in words if w) or None


def period(value: Any) -> tuple[str | None, str | None] | None:
    """A FHIR Period as (start, end); None when absent or empty."""
    if not isinstance(value, dict):
        return None
    start, end = text(value.get("start")), text(value.get("end"))
    return (start, end) if start or end else None


def identifiers(value: Any) -> list[dict[str, str | None]]:
    return [{"system": text(i.get("system")), "value": text(i.get("value"))}
            for i in objects(value) if text(i.get("value"))]
