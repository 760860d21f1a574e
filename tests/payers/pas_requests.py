"""PAS request Bundles for the gateway and sandbox tests, made from the official PAS 2.2.1
referral example: its patient, coverage, insurer and provider, with CPT lines, the evidence of
tracker.packages.evidence, and fresh identifiers. Synthetic data only."""

from __future__ import annotations

import copy
import json
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

from tracker.packages.evidence import (
    EVIDENCE_KINDS,
    EVIDENCE_SYSTEM,
    REQUIRED_DETAIL,
    detail_extension,
)

EXAMPLE = Path(__file__).parent / "fixtures" / "requests" / "Bundle-ReferralAuthorizationBundleExample.json"
CPT = "http://www.ama-assn.org/go/cpt"
BUNDLE_SYSTEM = "https://practice.painauth.example.org/pas-request"
CLAIM_SYSTEM = "https://practice.painauth.example.org/authorization"


@lru_cache(maxsize=1)
def _example() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    return document


def pas_request(lines: list[tuple[str, int]] | None = None, evidence: tuple[str, ...] = (),
                identifier: str | None = None, service_date: str = "2031-03-14",
                with_detail: bool = True) -> dict[str, Any]:
    """A request for `lines` of (CPT code, units) carrying `evidence` (evidence codes), each with
    the detail `REQUIRED_DETAIL` asks of it unless `with_detail` is false."""
    bundle = copy.deepcopy(_example())
    for entry in bundle["entry"]:
        entry["resource"].pop("text", None)
    tag = identifier or uuid.uuid4().hex[:12]
    bundle["id"] = f"request-{tag}"
    bundle["identifier"] = {"system": BUNDLE_SYSTEM, "value": tag}
    bundle["timestamp"] = f"{service_date}T09:00:00+00:00"
    claim = bundle["entry"][0]["resource"]
    claim["identifier"] = [{"system": CLAIM_SYSTEM, "value": f"auth-{tag}"}]
    claim["created"] = bundle["timestamp"]
    claim["supportingInfo"] = [
        {"sequence": n, "category": {"coding": [{
            "system": "http://hl7.org/fhir/us/davinci-pas/CodeSystem/PASTempCodes",
            "code": "additionalInformation"}]},
         "code": {"coding": [{"system": EVIDENCE_SYSTEM, "code": kind}]},
         "valueString": EVIDENCE_KINDS[kind],
         **({"extension": [detail_extension((name, "partial") for name in REQUIRED_DETAIL[kind])]}
            if with_detail and kind in REQUIRED_DETAIL else {})}
        for n, kind in enumerate(evidence, start=1)]
    claim["diagnosis"] = [{"sequence": 1, "diagnosisCodeableConcept": {"coding": [
        {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.16"}]}}]
    template = claim["item"][0]
    items = []
    for sequence, (code, units) in enumerate(lines or [("64483", 1)], start=1):
        item = copy.deepcopy(template)
        item["extension"] = [e for e in item["extension"] if not e["url"].endswith(
            ("authorizationNumber", "administrationReferenceNumber", "requestedService",
             "nursingHomeResidentialStatus", "nursingHomeLevelOfCare", "revenueUnitRateLimit"))]
        item["sequence"] = sequence
        item["productOrService"] = {"coding": [{"system": CPT, "code": code}]}
        item["quantity"] = {"value": units}
        item["servicedDate"] = service_date
        item["locationCodeableConcept"]["coding"][0]["code"] = "22"
        items.append(item)
    claim["item"] = items
    return bundle


def key_of(bundle: dict[str, Any]) -> str:
    return f"{bundle['identifier']['system']}|{bundle['identifier']['value']}"
