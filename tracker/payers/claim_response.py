"""The decision on each line of a ClaimResponse, wherever the payer's PAS version put it.

PAS 2.1/2.2: `item.adjudication.extension[reviewAction]`, whose `code` part is the
`extension-reviewActionCode` extension and whose `number` part is the authorization number.
PAS 1.x/2.0 payers also send `extension-reviewActionCode` directly on the adjudication, or
`reviewAction` on the item itself; a header-level `ClaimResponse.adjudication` review action
covers lines that carry none of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tracker.payers.fhir_elements import (
    X12_REVIEW_ACTION_SYSTEM,
    extensions,
    first_extension,
    number,
    objects,
    period,
    preferred_coding,
    text,
)
from tracker.payers.review_decisions import GRANTED, decision_for, review_action_name

Period = tuple[str | None, str | None]


@dataclass(frozen=True)
class Reason:
    code: str | None
    display: str | None
    system: str | None

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "display": self.display, "system": self.system}


@dataclass(frozen=True)
class ReviewAction:
    code: str | None
    display: str | None
    number: str | None
    reasons: tuple[Reason, ...]
    found_at: str  # where in the ClaimResponse the decision was read


@dataclass(frozen=True)
class ItemDecision:
    sequence: int | None
    decision: str | None  # None: the line carries no review action
    review_action: ReviewAction | None
    auth_number: str | None
    period: Period | None
    quantity: int | float | None
    reasons: tuple[Reason, ...]
    authorized_service: str | None = None
    administration_reference: str | None = None  # the payer's number for a pended/denied review
    requested_period: Period | None = None
    issued: str | None = None
    added_by_payer: bool = False

    def as_json(self) -> dict[str, Any]:
        action = self.review_action
        start, end = self.period or (None, None)
        return {
            "sequence": self.sequence,
            "decision": self.decision,
            "auth_number": self.auth_number,
            "period": {"start": start, "end": end},
            "quantity": self.quantity,
            "reasons": [r.as_json() for r in self.reasons],
            "review_action": None if action is None else {
                "code": action.code, "display": action.display, "found_at": action.found_at},
            "authorized_service": self.authorized_service,
            "administration_reference": self.administration_reference,
            "requested_period": None if self.requested_period is None else {
                "start": self.requested_period[0], "end": self.requested_period[1]},
            "issued": self.issued,
            "added_by_payer": self.added_by_payer,
        }


def read_items(claim_response: dict[str, Any]) -> list[ItemDecision]:
    """One ItemDecision per `item` and per payer-added `addItem`, in the order the payer sent them."""
    header = None
    for adjudication in objects(claim_response.get("adjudication")):
        header = header or _review_action_in(adjudication, "adjudication")
    pre_auth_ref = text(claim_response.get("preAuthRef"))
    pre_auth_period = period(claim_response.get("preAuthPeriod"))
    lines = [(item, False) for item in objects(claim_response.get("item"))]
    lines += [(item, True) for item in objects(claim_response.get("addItem"))]
    decisions = [_read_line(item, added, header, pre_auth_ref, pre_auth_period)
                 for item, added in lines]
    if not decisions and header is not None:
        decisions.append(_decide(None, header, pre_auth_ref, pre_auth_period, {}, []))
    return decisions


def _read_line(item: dict[str, Any], added: bool, header: ReviewAction | None,
               pre_auth_ref: str | None, pre_auth_period: Period | None) -> ItemDecision:
    where = "addItem" if added else "item"
    adjudications = objects(item.get("adjudication"))
    action = None
    for adjudication in adjudications:
        action = action or _review_action_in(adjudication, f"{where}.adjudication")
    action = action or _review_action_in(item, where) or header
    sequence = item.get("itemSequence")
    if isinstance(sequence, list):  # addItem.itemSequence lists the claim items it stands for
        sequence = sequence[0] if sequence else None
    adjudication_reasons = [_reason(a.get("reason")) for a in adjudications]
    return _decide(sequence if isinstance(sequence, int) and not isinstance(sequence, bool) else None,
                   action, pre_auth_ref, pre_auth_period, _line_facts(item, adjudications, added),
                   [r for r in adjudication_reasons if r])


def _decide(sequence: int | None, action: ReviewAction | None, pre_auth_ref: str | None,
            pre_auth_period: Period | None, facts: dict[str, Any],
            more_reasons: list[Reason]) -> ItemDecision:
    decision = decision_for(action.code) if action and action.code else None
    granted = decision in GRANTED
    reasons = list(action.reasons if action else ())
    reasons += [r for r in more_reasons if r not in reasons]
    # Payers on 1.x put the authorization number and its validity only on the header.
    auth_number = (action.number if action else None) or facts.get("auth_number") or (
        pre_auth_ref if granted else None)
    return ItemDecision(
        sequence=sequence, decision=decision, review_action=action, auth_number=auth_number,
        period=facts.get("period") or (pre_auth_period if granted else None),
        quantity=facts.get("quantity"), reasons=tuple(reasons),
        authorized_service=facts.get("authorized_service"),
        administration_reference=facts.get("administration_reference"),
        requested_period=facts.get("requested_period"), issued=facts.get("issued"),
        added_by_payer=bool(facts.get("added_by_payer")),
    )


def _review_action_in(element: dict[str, Any], where: str) -> ReviewAction | None:
    action = first_extension(element, "extension-reviewAction")
    if action is not None:
        code_part = first_extension(action, "extension-reviewActionCode", "code")
        code, display = _code(code_part)
        number_part = first_extension(action, "number")
        reasons = [_reason(r.get("valueCodeableConcept")) for r in extensions(action, "reasonCode")]
        return ReviewAction(code=code, display=display,
                            number=text(number_part.get("valueString")) if number_part else None,
                            reasons=tuple(r for r in reasons if r),
                            found_at=f"{where}.extension[reviewAction]")
    legacy = first_extension(element, "extension-reviewActionCode")
    if legacy is not None:
        code, display = _code(legacy)
        return ReviewAction(code=code, display=display, number=None, reasons=(),
                            found_at=f"{where}.extension[reviewActionCode]")
    return None


def _code(extension: dict[str, Any] | None) -> tuple[str | None, str | None]:
    if extension is None:
        return None, None
    coding = preferred_coding(extension.get("valueCodeableConcept"), X12_REVIEW_ACTION_SYSTEM)
    code = text(coding.get("code")) if coding else (
        text(extension.get("valueCode")) or text(extension.get("valueString")))
    if code is None:
        return None, None
    return code.upper(), (text(coding.get("display")) if coding else None) or review_action_name(code)


def _reason(concept: Any) -> Reason | None:
    coding = preferred_coding(concept)
    if coding:
        return Reason(code=text(coding.get("code")), display=text(coding.get("display")),
                      system=text(coding.get("system")))
    if isinstance(concept, dict) and text(concept.get("text")):
        return Reason(code=None, display=text(concept.get("text")), system=None)
    return None


def _line_facts(item: dict[str, Any], adjudications: list[dict[str, Any]],
                added: bool) -> dict[str, Any]:
    def value(*names: str, key: str) -> Any:
        for element in (item, *adjudications):
            found = first_extension(element, *names)
            if found is not None and found.get(key) is not None:
                return found.get(key)
        return None

    detail = first_extension(item, "extension-itemAuthorizedDetail")
    quantity = None
    service = None
    if detail is not None:
        part = first_extension(detail, "quantity")
        quantity = _quantity(part.get("valueQuantity")) if part else None
        service_part = first_extension(detail, "productOrServiceCode")
        coding = preferred_coding((service_part or {}).get("valueCodeableConcept"))
        service = text(coding.get("code")) if coding else None
    if added:
        quantity = quantity if quantity is not None else _quantity(item.get("quantity"))
        coding = preferred_coding(item.get("productOrService"))
        service = service or (text(coding.get("code")) if coding else None)
    auth = value("extension-authorizationNumber", key="valueString")
    return {
        "period": _validity(value),
        "quantity": quantity,
        "authorized_service": service,
        "auth_number": text(auth),
        "administration_reference": text(value("extension-administrationReferenceNumber",
                                               key="valueString")),
        "requested_period": period(value("extension-itemRequestedServiceDate", key="valuePeriod"))
        or _instant(value("extension-itemRequestedServiceDate", key="valueDateTime")),
        "issued": text(value("extension-itemPreAuthIssueDate", key="valueDate")),
        "added_by_payer": added,
    }


def _validity(value: Callable[..., Any]) -> Period | None:
    found = period(value("extension-itemPreAuthPeriod", key="valuePeriod"))
    if found:
        return found
    # PAS 1.x: the date or period by which the authorized item must be done
    authorized = period(value("extension-itemAuthorizedDate", key="valuePeriod"))
    if authorized:
        return authorized
    deadline = text(value("extension-itemAuthorizedDate", key="valueDateTime"))
    if deadline:
        return (None, deadline)
    # certification effective/expiration dates, as some inquiry responses carry them
    starts = (period(value("extension-itemCertificationEffectiveDate", key="valuePeriod")) or
              _instant(value("extension-itemCertificationEffectiveDate", key="valueDate")))
    ends = (period(value("extension-itemCertificationExpirationDate", key="valuePeriod")) or
            _instant(value("extension-itemCertificationExpirationDate", key="valueDate")))
    if starts or ends:
        return ((starts or (None, None))[0], (ends or (None, None))[-1])
    return None


def _quantity(value: Any) -> int | float | None:
    return number(value.get("value")) if isinstance(value, dict) else None


def _instant(value: Any) -> Period | None:
    day = text(value)
    return (day, day) if day else None
