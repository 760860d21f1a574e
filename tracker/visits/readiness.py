"""A visit's readiness: will it be paid as booked, and if not, who must do what before the visit?

One pure function, `readiness_of`, from what is known of one scheduled visit — its evaluation
(the engine's JSON), its authorization and that authorization's lines, whether the patient has
coverage on the date — to one of four readinesses and the reasons for it. Every surface (the board,
`painauth status`, `/api/visits`, the CSV export, the pre-visit artifact, the alerts, the demo)
shows what this function says, so they never disagree. No I/O: callers hand in plain values.

The reasons are a fixed vocabulary kept as data in `REASONS` (documented in docs/readiness.md):
add codes, never rename them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tracker.rules.findings import SEVERITY

# Worst first: the order the board sorts by, and how reasons combine (the worst one wins).
READINESSES: tuple[str, ...] = ("stop", "act", "waiting", "clear")
READINESS_WORDS = {"stop": "Stop", "act": "Act", "waiting": "Waiting", "clear": "Clear"}
READINESS_MEANING = {
    "stop": "will not be paid as booked",
    "act": "someone must act before the visit",
    "waiting": "with the payer, nothing to do now",
    "clear": "will be paid as booked",
}


@dataclass(frozen=True)
class ReasonCode:
    readiness: str
    who: str  # who acts: scheduler, billing, provider, or nobody
    action: str  # the sentence saying what to do; {detail} is filled in per visit


# The vocabulary. A reason's readiness is fixed; the visit's readiness is its worst reason's.
REASONS: dict[str, ReasonCode] = {
    "NO_COVERAGE": ReasonCode(
        "stop", "scheduler",
        "No coverage on the visit date: verify the patient's insurance and record it, or "
        "reschedule."),
    "POLICY_BLOCKED": ReasonCode(
        "stop", "scheduler", "The payer's policy blocks this visit as booked: {detail}."),
    "DENIED": ReasonCode(
        "stop", "billing",
        "The payer denied the authorization{detail}: appeal, or change the plan and request a "
        "new authorization before rebooking."),
    "NOT_EVALUATED": ReasonCode(
        "act", "scheduler",
        "Not checked yet{detail}: press \"Check again now\" or run the pre-visit check."),
    "CODING_ERROR": ReasonCode(
        "act", "billing",
        "Fix the coding of the booking before submitting or billing: {detail}."),
    "PLACE_OF_SERVICE_MISMATCH": ReasonCode(
        "act", "billing",
        "The booking's place of service is not its location's: {detail}. Correct the place of "
        "service or the location before submitting or billing."),
    "DOCUMENTATION_MISSING": ReasonCode(
        "act", "provider",
        "Add the missing documentation to the chart: {detail}."),
    "NOT_SUBMITTED": ReasonCode(
        "act", "billing", "Submit the authorization request to the payer{detail}."),
    "DECISION_OVERDUE": ReasonCode(
        "act", "billing", "The payer's decision was due {detail} and has not come: call the payer."),
    "DECISION_DUE_AFTER_VISIT": ReasonCode(
        "act", "billing",
        "The payer may decide as late as {detail}, after the visit: ask for expedited review or "
        "move the visit."),
    "PACKET_NOT_SENT": ReasonCode(
        "act", "billing",
        "The packet for this fax or portal payer is ready, but no one has recorded sending it: "
        "send it and record the send with the fax confirmation or portal reference."),
    "INFORMATION_REQUESTED": ReasonCode(
        "act", "billing", "The payer asked for more information{detail}: contact the payer and "
        "send it."),
    "OUTSIDE_APPROVED_WINDOW": ReasonCode(
        "act", "billing",
        "The approval {detail} does not cover the visit date: move the visit inside the window "
        "or ask the payer to extend it."),
    "CODES_NOT_AUTHORIZED": ReasonCode(
        "act", "billing",
        "Booked codes the approval does not cover: {detail}. Request them or change the booking."),
    "UNITS_SHORT": ReasonCode(
        "act", "billing", "Fewer units left on the approval than booked: {detail}. Request more "
        "units or book fewer."),
    "APPROVAL_WITHOUT_NUMBER": ReasonCode(
        "act", "billing", "Approved, but the payer's authorization number is not recorded{detail}: "
        "record it before the visit."),
    "AWAITING_DECISION": ReasonCode(
        "waiting", "nobody", "Submitted; the payer's decision is due {detail}, before the visit."),
    "APPROVED": ReasonCode(
        "clear", "nobody", "Approved{detail}."),
    "NO_AUTHORIZATION_NEEDED": ReasonCode(
        "clear", "nobody", "No authorization needed and nothing blocks the visit."),
}

# What would lift a block that is not about time (so no rebooking date would help).
LIFTS = {
    "NOT_COVERED": "the payer does not cover a booked code — change the plan",
    "PREREQUISITE_NOT_MET": "the prerequisite the policy names must be done first",
    "LEVELS_EXCEEDED": "book no more levels than the policy allows",
    "PSYCH_NOT_CLEARED": "a psychological evaluation that clears the patient is needed",
    "PRIOR_RESPONSE_INSUFFICIENT": "the prior procedure's relief falls short of the policy — "
                                   "change the plan",
}
TIME_BLOCKS = frozenset({"FREQUENCY_LIMIT_REACHED", "INTERVAL_TOO_SHORT"})
AWAITING = ("submitted", "pended")
APPROVED_STATUSES = ("approved", "partial")
NOT_YET_SENT = ("needed", "ready", "documentation_missing", "rejected", "cancelled", "expired")
# Finding codes whose severity is a coding error (the engine's `coding` severity).
CODING_SEVERITY = "coding"


@dataclass(frozen=True)
class AuthorizationLine:
    """One line of an authorization: a code with its modifiers, units asked for, approved, used."""

    code: str
    modifiers: tuple[str, ...] = ()
    kind: str = "procedure"  # procedure or drug: a drug's billing units never add to procedures'
    units_requested: int = 1
    units_approved: int | None = None
    units_used: int = 0

    @property
    def units_left(self) -> int | None:
        if self.units_approved is None:
            return None
        return max(self.units_approved - self.units_used, 0)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "modifiers": list(self.modifiers), "kind": self.kind,
                "units_requested": self.units_requested, "units_approved": self.units_approved,
                "units_used": self.units_used, "units_left": self.units_left}


@dataclass(frozen=True)
class AuthorizationFacts:
    """What readiness reads of an authorization."""

    id: int | None
    status: str
    number: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    decision_due_at: datetime | None = None
    flags: tuple[str, ...] = ()
    missing_items: tuple[str, ...] = ()
    lines: tuple[AuthorizationLine, ...] = ()
    decision_reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "number": self.number,
                "valid_from": self.valid_from.isoformat() if self.valid_from else None,
                "valid_to": self.valid_to.isoformat() if self.valid_to else None,
                "lines": [line.as_json() for line in self.lines]}


@dataclass(frozen=True)
class BookedLine:
    code: str
    units: int = 1
    modifiers: tuple[str, ...] = ()
    needs_authorization: bool = True  # False for imaging guidance, bundled into the injection


@dataclass(frozen=True)
class VisitFacts:
    """Everything readiness needs of one scheduled visit."""

    date: date
    now: datetime
    evaluation: Mapping[str, Any] | None
    covered: bool = True
    booked: tuple[BookedLine, ...] = ()
    authorization: AuthorizationFacts | None = None
    place_of_service: str | None = None  # as booked
    location: VisitLocation | None = None  # where it is booked, if a location is recorded


@dataclass(frozen=True)
class VisitLocation:
    name: str
    place_of_service: str  # the facility's own CMS place of service


@dataclass(frozen=True)
class Reason:
    code: str
    readiness: str
    who: str
    action: str

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "readiness": self.readiness, "who": self.who,
                "action": self.action}


@dataclass(frozen=True)
class Readiness:
    readiness: str
    reasons: tuple[Reason, ...]
    next_eligible_date: str | None = None  # only when the block is about time

    @property
    def words(self) -> str:
        return READINESS_WORDS[self.readiness]

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    @property
    def next_action(self) -> str:
        """The first thing to do: the worst reason's sentence."""
        return self.reasons[0].action if self.reasons else ""


def reason(code: str, detail: str = "") -> Reason:
    entry = REASONS[code]
    return Reason(code=code, readiness=entry.readiness, who=entry.who,
                  action=entry.action.format(detail=detail))


def is_drug(code: str) -> bool:
    """HCPCS J-codes are drugs billed per dose unit (J1010 is 1 mg): never procedure units."""
    return code[:1].upper() == "J"


def line_kind(code: str) -> str:
    return "drug" if is_drug(code) else "procedure"


def readiness_of(visit: VisitFacts) -> Readiness:
    """The visit's readiness and every reason for it, worst first."""
    if not visit.covered:
        return _combine([reason("NO_COVERAGE")], None)
    evaluation = visit.evaluation
    place = _place_reason(visit)
    if evaluation is None:
        return _combine([reason("NOT_EVALUATED"), *([place] if place else [])], None)
    findings = list(evaluation.get("findings") or ())
    reasons: list[Reason] = []
    next_eligible: str | None = None
    if evaluation.get("verdict") == "blocked":
        blocked, next_eligible = _blocked(findings, evaluation.get("next_eligible_date"))
        reasons.append(blocked)
    coding = [f for f in findings if f.get("severity") == CODING_SEVERITY]
    if coding or evaluation.get("coding_ok") is False:
        reasons.append(reason("CODING_ERROR", _messages(coding) or "see the findings"))
    if place is not None:
        reasons.append(place)
    reasons += _authorization_reasons(visit, evaluation, findings, coding=bool(reasons))
    checked_for = evaluation.get("scheduled_date")
    if checked_for and checked_for != visit.date.isoformat():
        # the booking moved since it was checked: the counters and findings are of the old date
        reasons.append(reason("NOT_EVALUATED", f" on its new date (checked for {checked_for})"))
    return _combine(reasons, next_eligible)


def _place_reason(visit: VisitFacts) -> Reason | None:
    """A booking at place of service 11 in a surgery center (24) is priced, authorized and paid
    as the wrong setting: the claim's place of service must be the facility's."""
    location = visit.location
    if location is None or visit.place_of_service is None \
            or visit.place_of_service == location.place_of_service:
        return None
    return reason("PLACE_OF_SERVICE_MISMATCH",
                  f"booked as place of service {visit.place_of_service} at {location.name}, "
                  f"whose place of service is {location.place_of_service}")


def _blocked(findings: list[Mapping[str, Any]], next_date: str | None) -> tuple[Reason, str | None]:
    blocks = [f for f in findings if f.get("severity") == "block"]
    codes = {str(f.get("code")) for f in blocks}
    if codes and codes <= TIME_BLOCKS and next_date:
        why = _messages(blocks)
        return reason("POLICY_BLOCKED", f"{why}; rebook on or after {next_date}"), next_date
    lifts = [LIFTS[c] for c in sorted(codes - TIME_BLOCKS) if c in LIFTS]
    detail = _messages(blocks) or "see the findings"
    if lifts:
        detail += "; to lift it: " + "; ".join(lifts)
    return reason("POLICY_BLOCKED", detail), None


def _authorization_reasons(visit: VisitFacts, evaluation: Mapping[str, Any],
                           findings: list[Mapping[str, Any]], *, coding: bool) -> list[Reason]:
    """`coding`: the booking already has a reason to fix first (its coding, or a block), which
    also says the request cannot go out yet."""
    auth = visit.authorization
    documentation = [f for f in findings if f.get("severity") == "documentation"]
    required = bool(evaluation.get("prior_auth_required"))
    if auth is not None and auth.status == "not_required":
        required = False
    if auth is not None and auth.status in APPROVED_STATUSES:
        return _approval_reasons(visit, auth)
    reasons: list[Reason] = []
    if documentation:
        reasons.append(reason("DOCUMENTATION_MISSING", _messages(documentation)))
    elif auth is not None and auth.status == "documentation_missing":
        chart = [m for m in auth.missing_items if not _is_coding_item(m)]
        if chart:
            reasons.append(reason("DOCUMENTATION_MISSING", "; ".join(chart)))
    if auth is not None and auth.status == "denied":
        why = f" ({auth.decision_reason})" if auth.decision_reason else ""
        return [reason("DENIED", why), *reasons]
    if not required:
        if not reasons and evaluation.get("verdict") != "blocked":
            reasons.append(reason("NO_AUTHORIZATION_NEEDED"))
        return reasons
    if evaluation.get("verdict") == "blocked":
        return reasons  # none is requested for a visit the policy blocks: rebook first
    if auth is None or auth.status in NOT_YET_SENT:
        if not reasons and not coding:
            status = f" (it is {auth.status.replace('_', ' ')})" if auth is not None else ""
            reasons.append(reason("NOT_SUBMITTED", status))
        return reasons
    if auth.status in AWAITING:
        reasons.append(_waiting(visit, auth))
    return reasons


def _waiting(visit: VisitFacts, auth: AuthorizationFacts) -> Reason:
    if "packet_ready" in auth.flags:  # handed to staff: not with the payer until someone sends it
        return reason("PACKET_NOT_SENT")
    if "contact_payer" in auth.flags or "information_requested" in auth.flags:
        return reason("INFORMATION_REQUESTED")
    due = auth.decision_due_at
    if "decision_overdue" in auth.flags or (due is not None and _aware(due) <= _aware(visit.now)):
        return reason("DECISION_OVERDUE", due.date().isoformat() if due else "already")
    if due is not None and due.date() > visit.date:
        return reason("DECISION_DUE_AFTER_VISIT", due.date().isoformat())
    return reason("AWAITING_DECISION", due.date().isoformat() if due else "within the payer's clock")


def _approval_reasons(visit: VisitFacts, auth: AuthorizationFacts) -> list[Reason]:
    reasons: list[Reason] = []
    if not auth.number:
        reasons.append(reason("APPROVAL_WITHOUT_NUMBER"))
    window = _window(auth)
    if auth.valid_from is None or auth.valid_to is None:
        reasons.append(reason("OUTSIDE_APPROVED_WINDOW",
                              f"has no recorded window ({window}); record the payer's dates"))
    elif not auth.valid_from <= visit.date <= auth.valid_to:
        reasons.append(reason("OUTSIDE_APPROVED_WINDOW", f"window {window}"))
    reasons += _line_reasons(visit.booked, auth)
    if not reasons:
        text = f" as number {auth.number}, valid {window}"
        procedures = procedure_units(auth.lines)
        if procedures:
            text += f"; {procedures}"
        reasons.append(reason("APPROVED", text))
    return reasons


def _line_reasons(booked: tuple[BookedLine, ...], auth: AuthorizationFacts) -> list[Reason]:
    if not auth.lines:
        if auth.status == "partial":
            return [reason("CODES_NOT_AUTHORIZED", "a partial approval without its lines recorded")]
        return []
    by_code: dict[str, AuthorizationLine] = {}
    for line in auth.lines:
        if line.units_approved:
            by_code.setdefault(line.code, line)
    missing, short = [], []
    for booking in booked:
        approved = by_code.get(booking.code)
        if approved is None:
            if booking.needs_authorization:
                missing.append(booking.code)
            continue
        left = approved.units_left or 0
        if left < booking.units:
            unit = "drug units" if approved.kind == "drug" else "units"
            short.append(f"{booking.code} needs {booking.units}, {left} {unit} left of "
                         f"{approved.units_approved}")
    reasons = []
    if missing:
        reasons.append(reason("CODES_NOT_AUTHORIZED", ", ".join(missing)))
    if short:
        reasons.append(reason("UNITS_SHORT", "; ".join(short)))
    return reasons


def procedure_units(lines: tuple[AuthorizationLine, ...]) -> str:
    """"2 of 2 procedure units" (approved of requested), drug lines counted apart."""
    procedures = [line for line in lines if line.kind == "procedure"]
    if not procedures:
        return ""
    requested = sum(line.units_requested for line in procedures)
    if any(line.units_approved is None for line in procedures):
        return f"{requested} procedure unit{'s' if requested != 1 else ''} requested"
    approved = sum(line.units_approved or 0 for line in procedures)
    return f"{approved} of {requested} procedure units"


def _combine(reasons: list[Reason], next_eligible: str | None) -> Readiness:
    order = {name: index for index, name in enumerate(READINESSES)}
    if any(r.readiness != "clear" for r in reasons):
        reasons = [r for r in reasons if r.readiness != "clear"]  # "approved", but ...
    ranked = sorted(reasons, key=lambda r: order[r.readiness])
    worst = ranked[0].readiness if ranked else "clear"
    return Readiness(readiness=worst, reasons=tuple(ranked), next_eligible_date=next_eligible)


def _messages(findings: list[Mapping[str, Any]]) -> str:
    return "; ".join(f"{f.get('code')}: {f.get('message')}" for f in findings)


def _is_coding_item(item: str) -> bool:
    return item.split(":", 1)[0].strip() in CODING_FINDINGS


CODING_FINDINGS = frozenset(code for code, severity in SEVERITY.items() if severity == "coding")


def _window(auth: AuthorizationFacts) -> str:
    start = auth.valid_from.isoformat() if auth.valid_from else "?"
    end = auth.valid_to.isoformat() if auth.valid_to else "?"
    return f"{start} to {end}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
