"""The kinds of evidence an authorization package carries, and how a PAS bundle names them.

Shared vocabulary between the package builder (which writes each piece of evidence as a
`Claim.supportingInfo` entry whose `code` carries one of these codes) and anything that reads a
request bundle back — the payer sandbox deciding whether a package is complete, the PAS rule
checks, the tests. REFERENCE.md §7 lists what payers ask for.
"""

from __future__ import annotations

from typing import Any

EVIDENCE_SYSTEM = "https://painauth.example.org/fhir/CodeSystem/evidence"

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


def evidence_codes(bundle: dict[str, Any]) -> set[str]:
    """The evidence kinds a PAS request bundle's Claim carries in its supportingInfo."""
    found: set[str] = set()
    for entry in bundle.get("entry") or []:
        resource = (entry or {}).get("resource") or {}
        if resource.get("resourceType") != "Claim":
            continue
        for info in resource.get("supportingInfo") or []:
            for coding in ((info or {}).get("code") or {}).get("coding") or []:
                if coding.get("system") == EVIDENCE_SYSTEM and coding.get("code") in EVIDENCE_KINDS:
                    found.add(coding["code"])
    return found
