"""A payer's Da Vinci PAS response, read as the practice's decision.

Accepts what a payer endpoint or subscription actually delivers: a `$submit` response Bundle, a
bare ClaimResponse, an `$inquire` Parameters (or Bundle) response, a rest-hook notification
Bundle, or an OperationOutcome. Pure: no network, no database; bad input raises
UnreadablePayerResponse naming what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from tracker.payers.claim_response import ItemDecision, Period, read_items
from tracker.payers.errors import UnreadablePayerResponse
from tracker.payers.fhir_elements import identifiers, objects, period, text
from tracker.payers.response_errors import (
    ResponseError,
    claim_response_errors,
    operation_outcome_errors,
)
from tracker.payers.review_decisions import ERROR, PENDED, UNKNOWN, overall_status

NOTIFICATION = "notification"  # status of a notification that does not carry the decision
NOT_FOUND = "not_found"  # status of an $inquire answer with no matching authorization


@dataclass(frozen=True)
class Notification:
    """A subscription notification: the payer says the response at `focus` has changed."""

    subscription: str | None
    topic: str | None
    type: str | None
    event_number: str | None
    timestamp: str | None
    focus: str | None

    def as_json(self) -> dict[str, Any]:
        return {"subscription": self.subscription, "topic": self.topic, "type": self.type,
                "event_number": self.event_number, "timestamp": self.timestamp,
                "focus": self.focus}


@dataclass(frozen=True)
class PasResponse:
    kind: str  # claim_response | inquiry_response | notification | operation_outcome
    status: str
    # True while the payer still owes a decision on some line (A4); None when the document
    # does not say (a notification without the response, an unreadable decision).
    awaiting_decision: bool | None
    items: tuple[ItemDecision, ...] = ()
    errors: tuple[ResponseError, ...] = ()
    response_id: str | None = None
    response_identifiers: tuple[dict[str, str | None], ...] = ()
    # The response Bundle's identifier: PAS echoes the submitted Bundle's identifier here.
    bundle_identifier: dict[str, str | None] | None = None
    created: str | None = None
    outcome: str | None = None
    disposition: str | None = None
    pre_auth_ref: str | None = None
    pre_auth_period: Period | None = None
    request_reference: str | None = None
    request_identifiers: tuple[dict[str, str | None], ...] = ()
    notes: tuple[str, ...] = ()
    notification: Notification | None = None
    warnings: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        start, end = self.pre_auth_period or (None, None)
        return {
            "status": self.status,
            "kind": self.kind,
            "awaiting_decision": self.awaiting_decision,
            "items": [item.as_json() for item in self.items],
            "response": {
                "id": self.response_id, "identifier": list(self.response_identifiers),
                "bundle_identifier": self.bundle_identifier, "created": self.created,
                "outcome": self.outcome, "disposition": self.disposition,
                "pre_auth_ref": self.pre_auth_ref,
                "pre_auth_period": {"start": start, "end": end},
            },
            "request": {"reference": self.request_reference,
                        "identifier": list(self.request_identifiers)},
            "errors": [error.as_json() for error in self.errors],
            "notes": list(self.notes),
            "notification": self.notification.as_json() if self.notification else None,
            "warnings": list(self.warnings),
        }


def read_pas_response(content: str | bytes) -> PasResponse:
    """Parse a payer response as received (JSON text) and interpret it."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UnreadablePayerResponse("not UTF-8 text: a PAS response is FHIR JSON") from None
    if not content.strip():
        raise UnreadablePayerResponse("empty: expected a FHIR JSON payer response")
    try:
        document = json.loads(content)
    except json.JSONDecodeError as err:
        raise UnreadablePayerResponse(
            f"not JSON ({err.msg} at line {err.lineno} column {err.colno}): "
            "expected a FHIR JSON payer response") from None
    except RecursionError:
        raise UnreadablePayerResponse("not readable: the JSON is nested too deeply") from None
    return interpret_pas_response(document)


def interpret_pas_response(document: Any) -> PasResponse:
    """Interpret an already-parsed payer response (a FHIR resource as a JSON object)."""
    return _interpret(document, "$")


def _interpret(resource: Any, path: str) -> PasResponse:
    if not isinstance(resource, dict):
        raise UnreadablePayerResponse(
            f"not a FHIR resource: found a JSON {_json_type(resource)}, expected an object with "
            "a resourceType (ClaimResponse, Bundle, Parameters or OperationOutcome)", path)
    kind = resource.get("resourceType")
    if not isinstance(kind, str) or not kind:
        raise UnreadablePayerResponse(
            "not a FHIR resource: it has no resourceType; expected a ClaimResponse, a PAS "
            "response Bundle, an $inquire Parameters or an OperationOutcome", path)
    if kind == "ClaimResponse":
        return _from_claim_response(resource, None)
    if kind == "Bundle":
        return _from_bundle(resource, path)
    if kind == "Parameters":
        return _from_parameters(resource, path)
    if kind == "OperationOutcome":
        return _from_operation_outcome(resource)
    if kind == "Claim":
        raise UnreadablePayerResponse(
            "this is a Claim, the request itself, not the payer's response to it", path)
    article = "an" if kind[0] in "AEIOU" else "a"
    raise UnreadablePayerResponse(
        f"{article} {kind} is not a payer response: expected a ClaimResponse, a PAS response "
        "Bundle, an $inquire Parameters or an OperationOutcome", path)


def _from_claim_response(claim_response: dict[str, Any],
                         bundle: dict[str, Any] | None) -> PasResponse:
    items = read_items(claim_response)
    errors = claim_response_errors(claim_response)
    outcome = text(claim_response.get("outcome"))
    status = overall_status(item.decision for item in items)
    pended = [item for item in items if item.decision == PENDED]
    warnings = _item_warnings(items)
    if outcome == "error" or (errors and status == UNKNOWN):
        status = ERROR
    elif status == UNKNOWN and outcome == "queued":
        status = PENDED  # R4 `queued`, which pre-PAS-2 payers send instead of an A4 line
    if outcome == "complete" and pended:
        warnings.insert(0, "ClaimResponse.outcome is 'complete' but item(s) "
                        + ", ".join(str(i.sequence) for i in pended)
                        + " are pended (A4): the decision is read from the items")
    if status == UNKNOWN:
        warnings.append("no review action on any line: the payer's decision cannot be read")
    awaiting = None if status == UNKNOWN else bool(pended) or status == PENDED
    request = _object(claim_response.get("request"))
    request_reference = text(request.get("reference"))
    request_ids = identifiers(request.get("identifier"))
    claim = _resolve(bundle, request_reference) if bundle and request_reference else None
    if claim:
        request_ids += [i for i in identifiers(claim.get("identifier")) if i not in request_ids]
    profiles = (claim_response.get("meta") or {}).get("profile") if isinstance(
        claim_response.get("meta"), dict) else None
    inquiry = any("claiminquiryresponse" in p for p in profiles if isinstance(p, str)) if isinstance(
        profiles, list) else False
    bundle_identifier = identifiers(bundle.get("identifier")) if bundle else []
    return PasResponse(
        kind="inquiry_response" if inquiry else "claim_response",
        status=status, awaiting_decision=awaiting, items=tuple(items), errors=tuple(errors),
        response_id=text(claim_response.get("id")),
        response_identifiers=tuple(identifiers(claim_response.get("identifier"))),
        bundle_identifier=bundle_identifier[0] if bundle_identifier else None,
        created=text(claim_response.get("created")), outcome=outcome,
        disposition=text(claim_response.get("disposition")),
        pre_auth_ref=text(claim_response.get("preAuthRef")),
        pre_auth_period=period(claim_response.get("preAuthPeriod")),
        request_reference=request_reference, request_identifiers=tuple(request_ids),
        notes=tuple(n for n in (text(note.get("text"))
                                for note in objects(claim_response.get("processNote"))) if n),
        warnings=tuple(warnings),
    )


def _item_warnings(items: list[ItemDecision]) -> list[str]:
    warnings = []
    for item in items:
        label = f"item {item.sequence}" if item.sequence is not None else "a line"
        if item.review_action is None:
            warnings.append(f"{label} carries no reviewAction: no decision could be read for it")
        elif item.review_action.code is None:
            warnings.append(f"{label}: its reviewAction has no code")
        elif item.decision == UNKNOWN:
            warnings.append(f"{label}: review action code {item.review_action.code!r} is not an "
                            "X12 HCR01 action code")
    return warnings


def _from_bundle(bundle: dict[str, Any], path: str) -> PasResponse:
    resources = _entry_resources(bundle)
    status_resource = _notification_status(bundle, resources)
    if status_resource is not None:
        return _from_notification(bundle, status_resource, path)
    by_type: dict[str, list[int]] = {}
    for index, resource in resources:
        by_type.setdefault(str(resource.get("resourceType")), []).append(index)
    found = by_type.get("ClaimResponse")
    if found:
        reading = _from_claim_response(_resource_at(bundle, found[0]), bundle)
        if len(found) > 1:
            reading = replace(reading, warnings=reading.warnings + (
                f"the Bundle holds {len(found)} ClaimResponses; read the first (entry[{found[0]}])",))
        return reading
    for index in by_type.get("Bundle", []):  # a searchset or batch of response Bundles
        inner = _resource_at(bundle, index)
        if any(r.get("resourceType") == "ClaimResponse" for _, r in _entry_resources(inner)):
            return _from_bundle(inner, f"{path}.entry[{index}].resource")
    if by_type.get("OperationOutcome"):
        return _from_operation_outcome(_resource_at(bundle, by_type["OperationOutcome"][0]))
    if by_type.get("Claim"):
        raise UnreadablePayerResponse(
            "this Bundle holds a Claim and no ClaimResponse: it is a PAS request, not the "
            "payer's response", path)
    held = ", ".join(sorted(by_type)) or "no resources"
    raise UnreadablePayerResponse(f"no ClaimResponse in this Bundle (it holds {held})", path)


def _entry_resources(bundle: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    return [(i, e["resource"]) for i, e in enumerate(_entries(bundle))
            if isinstance(e, dict) and isinstance(e.get("resource"), dict)]


def _resource_at(bundle: dict[str, Any], index: int) -> dict[str, Any]:
    resource: dict[str, Any] = bundle["entry"][index]["resource"]
    return resource


def _resolve(bundle: dict[str, Any], reference: str) -> dict[str, Any] | None:
    """The entry a reference points to: by fullUrl, or by `Type/id` at the end of the reference."""
    for entry in _entries(bundle):
        if isinstance(entry, dict) and entry.get("fullUrl") == reference and isinstance(
                entry.get("resource"), dict):
            found: dict[str, Any] = entry["resource"]
            return found
    for _, resource in _entry_resources(bundle):
        local = f"{resource.get('resourceType')}/{resource.get('id')}"
        if reference == local or reference.endswith("/" + local):
            return resource
    return None


def _notification_status(bundle: dict[str, Any],
                         resources: list[tuple[int, dict[str, Any]]]) -> dict[str, Any] | None:
    """The SubscriptionStatus (R5) or its Parameters form (R4 backport) opening a notification."""
    if bundle.get("type") not in ("history", "subscription-notification") or not resources:
        return None
    first = resources[0][1]
    if first.get("resourceType") == "SubscriptionStatus" or _is_notification_parameters(first):
        return first
    return None


def _is_notification_parameters(parameters: dict[str, Any]) -> bool:
    names = {p.get("name") for p in objects(parameters.get("parameter"))}
    return parameters.get("resourceType") == "Parameters" and bool(
        names & {"notification-event", "topic"}) and "subscription" in names


def _notification(status: dict[str, Any]) -> Notification:
    if status.get("resourceType") == "SubscriptionStatus":
        events = objects(status.get("notificationEvent"))
        event = events[0] if events else {}
        subscription = status.get("subscription")
        focus = event.get("focus")
        return Notification(
            subscription=text(subscription.get("reference")) if isinstance(subscription, dict)
            else None,
            topic=text(status.get("topic")), type=text(status.get("type")),
            event_number=text(event.get("eventNumber")), timestamp=text(event.get("timestamp")),
            focus=text(focus.get("reference")) if isinstance(focus, dict) else None)
    values: dict[str, Any] = {}
    for parameter in objects(status.get("parameter")):
        values.setdefault(str(parameter.get("name")), parameter)
        if parameter.get("name") == "notification-event":
            for part in objects(parameter.get("part")):
                values.setdefault(str(part.get("name")), part)

    def value(name: str) -> str | None:
        found = values.get(name) or {}
        for key, item in found.items():
            if key.startswith("value"):
                return text(item.get("reference")) if isinstance(item, dict) else text(item)
        return None

    return Notification(subscription=value("subscription"), topic=value("topic"),
                        type=value("type"), event_number=value("event-number"),
                        timestamp=value("timestamp"), focus=value("focus"))


def _from_notification(bundle: dict[str, Any], status: dict[str, Any], path: str) -> PasResponse:
    notification = _notification(status)
    focus = _resolve(bundle, notification.focus) if notification.focus else None
    if focus is not None and focus.get("resourceType") in ("Bundle", "ClaimResponse"):
        reading = _interpret(focus, f"{path}.entry[focus]")
        return replace(reading, kind="notification", notification=notification)
    return _notification_only(notification)


def _notification_only(notification: Notification) -> PasResponse:
    where = notification.focus or "the subscription's focus"
    return PasResponse(
        kind="notification", status=NOTIFICATION, awaiting_decision=None,
        notification=notification,
        warnings=(f"the notification does not carry the response: fetch {where} "
                  "(or ask with $inquire) to read the decision",))


def _from_parameters(parameters: dict[str, Any], path: str) -> PasResponse:
    if _is_notification_parameters(parameters):
        return _notification_only(_notification(parameters))
    listed = parameters.get("parameter")
    if listed is None or listed == []:
        return PasResponse(kind="inquiry_response", status=NOT_FOUND, awaiting_decision=None,
                           warnings=("the payer found no authorization matching the inquiry",))
    held = [(i, p) for i, p in enumerate(objects(listed)) if isinstance(p.get("resource"), dict)]
    if not held:
        raise UnreadablePayerResponse(
            "Parameters without a response: expected a `return` (or `responseBundle`) parameter "
            "holding the payer's response Bundle", path)
    readings = [_interpret(p["resource"], f"{path}.parameter[{i}].resource") for i, p in held]
    latest = max(readings, key=lambda r: r.created or "")
    kind = "inquiry_response" if latest.kind in ("claim_response", "inquiry_response") else latest.kind
    warnings = latest.warnings
    if len(readings) > 1:
        warnings += (f"the inquiry matched {len(readings)} responses; read the latest "
                     f"(created {latest.created or 'unknown'})",)
    return replace(latest, kind=kind, warnings=warnings)


def _from_operation_outcome(outcome: dict[str, Any]) -> PasResponse:
    errors = operation_outcome_errors(outcome)
    if not errors:
        errors = [ResponseError(source="OperationOutcome.issue", severity="error", code=None,
                                display=None,
                                message="the payer returned an OperationOutcome with no issue")]
    failing = [e for e in errors if e.severity in ("fatal", "error", None)]
    warnings: tuple[str, ...] = ()
    if not failing:
        warnings = ("the payer returned only warnings or information, and no decision",)
    return PasResponse(kind="operation_outcome", status=ERROR if failing else UNKNOWN,
                       awaiting_decision=False if failing else None, errors=tuple(errors),
                       response_id=text(outcome.get("id")), warnings=warnings)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _entries(bundle: dict[str, Any]) -> list[Any]:
    entries = bundle.get("entry")
    return entries if isinstance(entries, list) else []


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "null" if value is None else type(value).__name__
