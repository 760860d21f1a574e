"""The kinds of evidence an authorization package carries, and how a PAS bundle names them.

Shared vocabulary between the package builder (which writes each piece of evidence as a
`Claim.supportingInfo` entry whose `code` carries one of these codes) and anything that reads a
request bundle back — the payer sandbox deciding whether a package is complete, the PAS rule
checks, the tests. REFERENCE.md §7 lists what payers ask for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

EVIDENCE_SYSTEM = "https://painauth.example.org/fhir/CodeSystem/evidence"
# A supportingInfo entry's detail (e.g. a conservative-care episode's outcome): one
# sub-extension per detail, its url the detail's name, its valueString the value.
EVIDENCE_DETAIL_URL = "https://painauth.example.org/fhir/StructureDefinition/evidence-detail"

# code -> what a reviewer reads it as
EVIDENCE_KINDS: dict[str, str] = {
    "conservative-therapy": "Conservative-therapy history: modality, dates, duration, outcome",
    "prior-response": "Prior interventional treatment in the region and its response",
    "diagnostic-blocks": "Diagnostic block results before radiofrequency ablation",
    "psych-evaluation": "Psychological evaluation before spinal cord stimulation",
    "scs-trial": "Spinal cord stimulator trial dates and relief before a permanent implant",
    "rfa-not-an-option": "Why radiofrequency ablation is not an option",
    "imaging": "Imaging findings supporting the indication",
    "treatment-plan": "The treatment plan",
}


# What payers ask a request for these procedure families to carry (REFERENCE.md §7). The
# package's completeness check and the payer sandbox's default rules both read this one table, so
# a package painauth calls ready is never one the stand-in payer denies as incomplete.
REQUIRED_EVIDENCE: dict[str, tuple[str, ...]] = {
    "esi_interlaminar": ("conservative-therapy",),
    "esi_transforaminal": ("conservative-therapy",),
    "facet_injection": ("conservative-therapy",),
    "si_injection": ("conservative-therapy",),
    "facet_rfa": ("diagnostic-blocks",),
    "si_rfa": ("diagnostic-blocks",),
}


# The detail each entry of an evidence kind must carry before a payer counts the kind as on file:
# conservative care without its outcome is what a reviewer denies as "Missing: Conservative-therapy
# history: modality, dates, duration, outcome". Completeness and the payer sandbox read this too.
REQUIRED_DETAIL: dict[str, tuple[str, ...]] = {
    "conservative-therapy": ("outcome",),
}
DETAIL_NAMES: dict[str, str] = {"outcome": "outcome (no relief, partial or good)"}


def detail_extension(details: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A supportingInfo extension carrying an entry's detail, e.g. (("outcome", "partial"),)."""
    return {"url": EVIDENCE_DETAIL_URL,
            "extension": [{"url": name, "valueString": value} for name, value in details]}


def evidence_codes(bundle: dict[str, Any]) -> set[str]:
    """The evidence kinds a PAS request bundle's Claim carries in its supportingInfo, each with
    the detail `REQUIRED_DETAIL` asks on every entry of that kind."""
    found: set[str] = set()
    lacking: set[str] = set()
    for entry in bundle.get("entry") or []:
        resource = (entry or {}).get("resource") or {}
        if resource.get("resourceType") != "Claim":
            continue
        for info in resource.get("supportingInfo") or []:
            for coding in ((info or {}).get("code") or {}).get("coding") or []:
                code = coding.get("code")
                if coding.get("system") == EVIDENCE_SYSTEM and code in EVIDENCE_KINDS:
                    found.add(code)
                    if not set(REQUIRED_DETAIL.get(code, ())) <= _details(info):
                        lacking.add(code)
    return found - lacking


def _details(info: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for extension in info.get("extension") or []:
        if (extension or {}).get("url") == EVIDENCE_DETAIL_URL:
            names |= {e.get("url") for e in extension.get("extension") or []
                      if (e or {}).get("valueString")}
    return names
