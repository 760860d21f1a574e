"""The sandbox payer's answers, shaped like the PAS 2.2.1 examples: a response Bundle holding a
ClaimResponse with a reviewAction per item, an `$inquire` Parameters, an OperationOutcome."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from tracker.payers.fhir_elements import objects, text
from tracker.payers.sandbox.adjudication import (
    APPROVED,
    DENIED,
    MODIFIED,
    PARTIAL,
    PENDED,
    REASON_SYSTEM,
    LineDecision,
)

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
X12_306 = "https://codesystem.x12.org/005010/306"
RESPONSE_IDENTIFIER_SYSTEM = "https://sandbox.painauth.example.org/fhir/claim-response"
BASE = "https://sandbox.painauth.example.org/fhir"
REVIEW_NAMES = {APPROVED: "Certified in total", PARTIAL: "Certified - partial", DENIED: "Not certified",
                PENDED: "Pended", MODIFIED: "Modified"}
GRANTED = (APPROVED, PARTIAL, MODIFIED)
# request resources a response repeats so its references resolve
ECHOED = ("Patient", "Organization", "Practitioner", "PractitionerRole")


def response_bundle(request: dict[str, Any], claim: dict[str, Any], lines: list[LineDecision], *,
                    number: str, created: str, service_date: date, valid_days: int,
                    inquiry: bool = False) -> dict[str, Any]:
    """The PAS response Bundle for a request as currently decided; its identifier echoes the
    request Bundle's, as PAS asks."""
    claim_response = _claim_response(claim, lines, number=number, created=created,
                                     service_date=service_date, valid_days=valid_days, inquiry=inquiry)
    entries = [{"fullUrl": f"{BASE}/ClaimResponse/{claim_response['id']}", "resource": claim_response}]
    for entry in objects(request.get("entry")):
        resource = entry.get("resource")
        if isinstance(resource, dict) and resource.get("resourceType") in ECHOED:
            entries.append(copy.deepcopy(entry))
    profile = "profile-pas-inquiry-response-bundle" if inquiry else "profile-pas-response-bundle"
    return {"resourceType": "Bundle", "id": f"{number}-response", "meta": {"profile": [PAS + profile]},
            "identifier": copy.deepcopy(request.get("identifier")), "type": "collection",
            "timestamp": created, "entry": entries}


def _claim_response(claim: dict[str, Any], lines: list[LineDecision], *, number: str, created: str,
                    service_date: date, valid_days: int, inquiry: bool) -> dict[str, Any]:
    period = {"start": service_date.isoformat(),
              "end": (service_date + timedelta(days=valid_days)).isoformat()}
    granted = any(line.review_action in GRANTED for line in lines)
    claim_ids = objects(claim.get("identifier"))
    request: dict[str, Any] = {"reference": f"Claim/{claim.get('id') or number}"}
    if claim_ids:
        request["identifier"] = {k: claim_ids[0][k] for k in ("system", "value") if k in claim_ids[0]}
    profile = "profile-claiminquiryresponse" if inquiry else "profile-claimresponse"
    response: dict[str, Any] = {
        "resourceType": "ClaimResponse", "id": number, "meta": {"profile": [PAS + profile]},
        "identifier": [{"system": RESPONSE_IDENTIFIER_SYSTEM, "value": number}],
        "status": "active",
        "type": copy.deepcopy(claim.get("type")) or {"coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "use": "preauthorization", "patient": copy.deepcopy(claim.get("patient")), "created": created,
        "insurer": copy.deepcopy(claim.get("insurer")), "requestor": copy.deepcopy(claim.get("provider")),
        "request": request, "outcome": "complete", "disposition": _disposition(lines),
    }
    if granted:
        response["preAuthRef"] = number
        response["preAuthPeriod"] = period
    response["item"] = [_item(line, number, created[:10], period) for line in lines]
    notes = [display for line in lines for _, display in line.reasons]
    if notes:
        response["processNote"] = [{"number": i, "type": "display", "text": note}
                                   for i, note in enumerate(notes, start=1)]
    return {k: v for k, v in response.items() if v is not None}


def _item(line: LineDecision, number: str, issued: str, period: dict[str, str]) -> dict[str, Any]:
    extensions: list[dict[str, Any]] = []
    action: list[dict[str, Any]] = []
    if line.review_action in GRANTED:
        extensions += [{"url": PAS + "extension-itemPreAuthIssueDate", "valueDate": issued},
                       {"url": PAS + "extension-itemPreAuthPeriod", "valuePeriod": period}]
        detail: list[dict[str, Any]] = []
        if line.authorized_code and line.authorized_code != line.service:
            detail.append({"url": "productOrServiceCode", "valueCodeableConcept": {"coding": [
                {"system": line.service_system, "code": line.authorized_code}]}})
        if line.authorized_quantity is not None:
            detail.append({"url": "quantity", "valueQuantity": {"value": line.authorized_quantity}})
        if detail:
            extensions.append({"url": PAS + "extension-itemAuthorizedDetail", "extension": detail})
        action.append({"url": "number", "valueString": number})
    else:
        extensions.append({"url": PAS + "extension-administrationReferenceNumber",
                           "valueString": f"{number}-{line.sequence}"})
    action.append({"url": PAS + "extension-reviewActionCode", "valueCodeableConcept": {"coding": [
        {"system": X12_306, "code": line.review_action, "display": REVIEW_NAMES[line.review_action]}]}})
    for code, display in line.reasons:
        action.append({"url": "reasonCode", "valueCodeableConcept": {"coding": [
            {"system": REASON_SYSTEM, "code": code, "display": display}]}})
    item: dict[str, Any] = {"itemSequence": line.sequence, "adjudication": [{
        "extension": [{"url": PAS + "extension-reviewAction", "extension": action}],
        "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adjudication",
                                 "code": "submitted"}]}}]}
    if extensions:
        item["extension"] = extensions
    return item


def _disposition(lines: list[LineDecision]) -> str:
    codes = {line.review_action for line in lines}
    if codes == {APPROVED}:
        return "Certified in total"
    if PENDED in codes:
        return "Pended for review"
    if codes <= {DENIED}:
        return "Not certified"
    return "Certified in part"


def inquiry_parameters(bundles: list[dict[str, Any]]) -> dict[str, Any]:
    """The `$inquire` answer: zero or more inquiry response Bundles."""
    return {"resourceType": "Parameters",
            "parameter": [{"name": "return", "resource": bundle} for bundle in bundles]}


def operation_outcome(issues: list[tuple[str, str, str | None]],
                      code_default: str = "invalid") -> dict[str, Any]:
    """An OperationOutcome of (code, message, FHIRPath expression) issues, each an error."""
    return {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code or code_default, "details": {"text": message},
         **({"expression": [where]} if where else {})}
        for code, message, where in issues]}


def claim_identifiers(claim: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(text(i.get("system")), str(i["value"])) for i in objects(claim.get("identifier"))
            if text(i.get("value"))]
