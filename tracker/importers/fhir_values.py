"""Reading values out of FHIR R4 JSON: codings, painauth's extensions, references and dates.

Shared by the bundle reader (`fhir_bundle`) and the readers of the evidence resources
(`fhir_evidence`). docs/import.md documents the systems and extensions.
"""

from __future__ import annotations

import json
from typing import Any

CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEMS = ("https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
                 "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets")
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
NDC_SYSTEM = "http://hl7.org/fhir/sid/ndc"
LOINC_SYSTEM = "http://loinc.org"
PLACE_OF_SERVICE_SYSTEM = ("https://www.cms.gov/Medicare/Coding/place-of-service-codes/"
                           "Place_of_Service_Code_Set")
EXTENSION = "urn:painauth:fhir:"  # + units, modifier, place-of-service, intent, muscles, ...
# Procedure.category codes (system EXTENSION + "procedure-category") that make a Procedure a
# conservative-care episode (a care kind) or a psychological evaluation rather than a session.
CATEGORY_SYSTEM = EXTENSION + "procedure-category"
PSYCH_CATEGORY = "psych-evaluation"


def extension(resource: Any, name: str) -> Any:
    """The value of painauth extension `name` on `resource`, or None."""
    if not isinstance(resource, dict):
        return None
    for found in resource.get("extension") or []:
        if isinstance(found, dict) and found.get("url") == EXTENSION + name:
            for key, value in found.items():
                if key.startswith("value"):
                    return value.get("value") if key == "valueQuantity" and isinstance(
                        value, dict) else value
    return None


def extensions(resource: Any, name: str) -> list[Any]:
    """Every value of a repeatable painauth extension."""
    if not isinstance(resource, dict):
        return []
    return [e.get("valueCode") or e.get("valueString") for e in resource.get("extension") or []
            if isinstance(e, dict) and e.get("url") == EXTENSION + name]


def codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict):
        return []
    return [c for c in concept.get("coding") or [] if isinstance(c, dict)]


def code_in(concept: Any, *systems: str) -> str | None:
    """The code of the concept's first coding in one of `systems`."""
    return next((str(c["code"]) for c in codings(concept)
                 if c.get("system") in systems and c.get("code")), None)


def billing_code(concept: Any) -> str | None:
    """A CPT/HCPCS code of a CodeableConcept (else its first coding's code)."""
    found = codings(concept)
    coding = next((c for c in found if c.get("system") in (CPT_SYSTEM, *HCPCS_SYSTEMS)),
                  found[0] if found else None)
    return str(coding["code"]) if coding is not None and coding.get("code") else None


def code_text(concept: Any, carrier: Any) -> str | None:
    """A CodeableConcept's CPT/HCPCS code as `CODE[-MOD][xUNITS]`, from painauth extensions."""
    code = billing_code(concept)
    if code is None:
        return None
    text = code + "".join(f"-{m}" for m in extensions(carrier, "modifier"))
    units = extension(carrier, "units")
    return text + (f"x{units}" if units is not None else "")


def reference(value: Any) -> str | None:
    return value.get("reference") if isinstance(value, dict) else None


def day(value: Any) -> str | None:
    """The calendar date of a FHIR date or dateTime, as written (no time-zone shift)."""
    return value[:10] if isinstance(value, str) else None


def concept_text(concept: Any) -> str | None:
    """A CodeableConcept as words: its text, else its first coding's display or code."""
    if not isinstance(concept, dict):
        return None
    if isinstance(concept.get("text"), str) and concept["text"].strip():
        return str(concept["text"]).strip()
    found = codings(concept)
    return next((str(c.get("display") or c.get("code")) for c in found
                 if c.get("display") or c.get("code")), None)


def raw(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
