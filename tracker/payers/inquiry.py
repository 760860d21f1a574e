"""The PAS `$inquire` request for an earlier `$submit`: a query by example (X12 278 inquiry).

The inquiry carries what the payer matches on — the Claim's identifier (the patient event trace
number), the patient, the provider, the insurer and the requested services — in a Bundle of its
own, with a transaction identifier of its own derived from the request's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from tracker.payers.fhir_elements import objects

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
INQUIRY_BUNDLE_PROFILE = PAS + "profile-pas-inquiry-request-bundle"
INQUIRY_CLAIM_PROFILE = PAS + "profile-claim-inquiry"
# Claim elements an inquiry repeats from the request; the evidence (supportingInfo) stays out.
INQUIRY_CLAIM_ELEMENTS = ("resourceType", "id", "identifier", "status", "type", "use", "patient",
                          "created", "insurer", "provider", "priority", "insurance", "careTeam",
                          "diagnosis")
INQUIRY_ITEM_ELEMENTS = ("sequence", "category", "productOrService", "modifier", "servicedDate",
                         "servicedPeriod", "quantity", "locationCodeableConcept")


class StoredInquiry(NamedTuple):
    """An inquiry Bundle kept as the JSON text it will be sent as: asking about thousands of
    pended requests need not parse and re-serialize each one."""

    text: str
    bundle_identifier: dict[str, str | None] | None = None


# What a gateway can be asked about: a request Bundle, an inquiry Bundle, or a stored inquiry.
Inquirable = dict[str, Any] | StoredInquiry


def is_inquiry(bundle: dict[str, Any]) -> bool:
    profiles = (bundle.get("meta") or {}).get("profile") or []
    claim = request_claim(bundle) or {}
    claim_profiles = (claim.get("meta") or {}).get("profile") or []
    return any("inquiry" in str(p) for p in [*profiles, *claim_profiles])


def request_claim(bundle: dict[str, Any]) -> dict[str, Any] | None:
    for entry in objects(bundle.get("entry")):
        resource = entry.get("resource")
        if isinstance(resource, dict) and resource.get("resourceType") == "Claim":
            return resource
    return None


def inquiry_for(bundle: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """An inquiry Bundle for a request Bundle; an inquiry Bundle is returned as it is.

    The inquiry shares the request's elements rather than copying them: it is serialized and
    sent, never changed, and copying made asking about a request cost more than the asking."""
    if is_inquiry(bundle):
        return bundle
    claim = request_claim(bundle)
    if claim is None:
        raise ValueError("the Bundle holds no Claim to inquire about")
    inquiry_claim = {k: v for k, v in claim.items() if k in INQUIRY_CLAIM_ELEMENTS}
    inquiry_claim["meta"] = {"profile": [INQUIRY_CLAIM_PROFILE]}
    inquiry_claim["item"] = [{k: v for k, v in item.items() if k in INQUIRY_ITEM_ELEMENTS}
                             for item in objects(claim.get("item"))]
    entries = []
    for entry in objects(bundle.get("entry")):
        resource = entry.get("resource")
        if resource is claim:
            entries.append({**({"fullUrl": entry["fullUrl"]} if "fullUrl" in entry else {}),
                            "resource": inquiry_claim})
        elif isinstance(resource, dict) and resource.get("resourceType") in (
                "Patient", "Organization", "Coverage", "Practitioner", "PractitionerRole"):
            entries.append(entry)
    identifier = dict(bundle.get("identifier") or {})
    if identifier.get("value"):
        identifier["value"] = f"{identifier['value']}-inquiry"
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    return {"resourceType": "Bundle", "meta": {"profile": [INQUIRY_BUNDLE_PROFILE]},
            "identifier": identifier, "type": "collection", "timestamp": stamp, "entry": entries}
