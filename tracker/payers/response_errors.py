"""Errors a payer reports: `ClaimResponse.error` (X12 AAA rejections) and OperationOutcome issues.

Each error carries a `message` a billing coordinator can act on without reading FHIR.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracker.payers.fhir_elements import (
    concept_text,
    first_extension,
    number,
    objects,
    preferred_coding,
    text,
)

X12_REJECT_REASON_SYSTEM = "https://codesystem.x12.org/005010/901"
X12_FOLLOW_UP_ACTION_SYSTEM = "https://codesystem.x12.org/005010/889"

# Names of the AAA03 reject reasons and AAA04 follow-up actions a 278 response commonly carries
# (X12 element 901 and 889 code lists); other codes are reported by code alone.
REJECT_REASONS = {
    "04": "Authorized quantity exceeded",
    "41": "Authorization/access restrictions",
    "42": "Unable to respond at current time",
    "79": "Invalid participant identification",
    "80": "No response received - transaction terminated",
    "T4": "Payer name or identifier missing",
}
FOLLOW_UP_ACTIONS = {
    "C": "Please correct and resubmit",
    "N": "Resubmission not allowed",
    "P": "Please resubmit original transaction",
    "Y": "Do not resubmit; the payer will hold the request and respond again shortly",
}


@dataclass(frozen=True)
class ResponseError:
    source: str  # "ClaimResponse.error" or "OperationOutcome.issue"
    severity: str | None
    code: str | None
    display: str | None
    message: str
    diagnostics: str | None = None
    expression: tuple[str, ...] = ()
    x12_element: str | None = None  # the X12 loop/segment/element, e.g. 2010A-NM103
    follow_up_action: str | None = None
    follow_up_action_display: str | None = None
    item_sequence: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source, "severity": self.severity, "code": self.code,
            "display": self.display, "message": self.message, "diagnostics": self.diagnostics,
            "expression": list(self.expression), "x12_element": self.x12_element,
            "follow_up_action": self.follow_up_action,
            "follow_up_action_display": self.follow_up_action_display,
            "item_sequence": self.item_sequence,
        }


def claim_response_errors(claim_response: dict[str, Any]) -> list[ResponseError]:
    return [_claim_response_error(e) for e in objects(claim_response.get("error"))]


def _claim_response_error(error: dict[str, Any]) -> ResponseError:
    coding = preferred_coding(error.get("code"), X12_REJECT_REASON_SYSTEM) or {}
    code = text(coding.get("code"))
    display = text(coding.get("display")) or REJECT_REASONS.get(code or "")
    element = first_extension(error, "extension-errorElement")
    x12_element = None
    if element is not None:
        # 2.x: complex extension with an `error` part; 1.x: a plain valueString
        part = first_extension(element, "error")
        x12_element = text((part or element).get("valueString"))
    path_ext = first_extension(error, "extension-errorPath")
    path = text(path_ext.get("valueString")) if path_ext else None
    follow = first_extension(error, "extension-errorFollowupAction")
    follow_coding = (preferred_coding(follow.get("valueCodeableConcept"), X12_FOLLOW_UP_ACTION_SYSTEM)
                     if follow else None) or {}
    follow_code = text(follow_coding.get("code"))
    follow_display = text(follow_coding.get("display")) or FOLLOW_UP_ACTIONS.get(follow_code or "")
    item_sequence = number(error.get("itemSequence"))
    parts = [f"rejected: {display or 'reason'} (X12 {code})" if code else "rejected"]
    if path or x12_element:
        parts.append("at " + " / ".join(p for p in (path, x12_element) if p))
    if isinstance(item_sequence, int):
        parts.append(f"on item {item_sequence}")
    if follow_code:
        parts.append(f"— {follow_display or 'follow-up action'} ({follow_code})")
    return ResponseError(
        source="ClaimResponse.error", severity="error", code=code, display=display,
        message=" ".join(parts), expression=(path,) if path else (), x12_element=x12_element,
        follow_up_action=follow_code, follow_up_action_display=follow_display,
        item_sequence=item_sequence if isinstance(item_sequence, int) else None,
    )


def operation_outcome_errors(outcome: dict[str, Any]) -> list[ResponseError]:
    return [_issue(i) for i in objects(outcome.get("issue"))]


def _issue(issue: dict[str, Any]) -> ResponseError:
    severity = text(issue.get("severity"))
    code = text(issue.get("code"))
    details = concept_text(issue.get("details"))
    diagnostics = text(issue.get("diagnostics"))
    expression = tuple(e for e in (text(x) for x in _strings(issue.get("expression"))) if e) or tuple(
        e for e in (text(x) for x in _strings(issue.get("location"))) if e)
    said = details or diagnostics
    message = f"{severity or 'issue'}: {code or 'unspecified'}"
    message += f" — {said}" if said else " — the payer gave no further detail"
    if diagnostics and details and diagnostics != details:
        message += f" ({diagnostics})"
    if expression:
        message += f" at {', '.join(expression)}"
    return ResponseError(source="OperationOutcome.issue", severity=severity, code=code,
                         display=details, message=message, diagnostics=diagnostics,
                         expression=expression)


def _strings(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value is not None else []
