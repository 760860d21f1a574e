"""Alert rules: which of a visit's states a provider must hear about. Pure: no database, no network.

Each rule looks at one upcoming visit (its stored evaluation and newest authorization) and may
raise one alert, identified by kind, subject (the visit) and the state that raised it. The outbox
keeps one row per identity, so running the rules again raises nothing new, and a changed state
(pending, then denied) is a new alert.

| kind | raised when |
|---|---|
| limit_approaching | the evaluation found FREQUENCY_LIMIT_APPROACHING: the visit takes the last slot |
| limit_reached | the verdict is blocked by FREQUENCY_LIMIT_REACHED or INTERVAL_TOO_SHORT |
| auth_pending | the visit is within `auth_pending_days` and its authorization is not approved |
| auth_denied | the authorization is denied |
| auth_expires_before_visit | approved, but valid_to falls before the visit (or flagged so) |
| documentation_missing | the visit's readiness says DOCUMENTATION_MISSING (chart items, never coding) |
| coding_error | the visit's readiness says CODING_ERROR: the booking's codes must be fixed |
| decision_overdue | the payer's decision is past decision_due_at, or flagged decision_overdue |
| billing_review | a performed session differs from its authorization's lines (flag billing_review) |
| appeal_deadline | an open appeal step's (or the peer-to-peer request window's) deadline is near |

`appeal_deadline` is billing's, not a provider's: `notifications.deadlines` raises it for the
authorization's owner, at the thresholds `deadline_threshold` picks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

Day = date  # the field VisitFacts.date shadows the type inside the class

KINDS: tuple[str, ...] = (
    "limit_approaching", "limit_reached", "auth_pending", "auth_denied",
    "auth_expires_before_visit", "documentation_missing", "decision_overdue", "coding_error",
    "billing_review", "appeal_deadline",
)
LIMIT_BLOCKS = frozenset({"FREQUENCY_LIMIT_REACHED", "INTERVAL_TOO_SHORT"})
CODING_FINDINGS = frozenset({"IMAGING_GUIDANCE_BUNDLED", "ADDON_WITHOUT_PRIMARY",
                             "TRIGGER_POINT_CODE_MISMATCH", "BILATERAL_NOT_ALLOWED",
                             "DELETED_CODE", "UNKNOWN_CODE"})
# Authorization statuses that are not (yet) a usable approval, and not a final no.
NOT_YET_APPROVED = ("needed", "documentation_missing", "ready", "submitted", "pended", "partial")
AWAITING_DECISION = ("submitted", "pended")


@dataclass(frozen=True)
class AlertThresholds:
    auth_pending_days: int = 5
    low_urgency: frozenset[str] = frozenset({"limit_approaching", "documentation_missing"})


@dataclass(frozen=True)
class VisitFacts:
    """What the rules read about one scheduled visit. No name, no birth date, no diagnosis."""

    session_id: int
    patient_id: int
    mrn: str
    date: date
    provider_id: int | None
    codes: str
    payer: str
    verdict: str
    finding_codes: frozenset[str] = frozenset()
    counters: tuple[str, ...] = ()
    next_eligible_date: str | None = None
    prior_auth_required: bool = False
    auth_id: int | None = None
    auth_status: str | None = None
    auth_valid_to: Day | None = None
    auth_decision_due_at: datetime | None = None
    auth_flags: tuple[str, ...] = ()
    auth_missing_items: tuple[str, ...] = ()
    # the visit's readiness and its reason codes (tracker.visits.readiness); None when unknown
    readiness: str | None = None
    reasons: tuple[str, ...] = ()
    billing_review: str | None = None  # what a performed session billed beyond its approval

    @property
    def subject(self) -> str:
        return f"session:{self.session_id}"


@dataclass(frozen=True)
class AlertDraft:
    kind: str
    visit: VisitFacts
    state: str
    urgency: str
    details: dict[str, object] = field(default_factory=dict)

    @property
    def dedupe_key(self) -> str:
        return f"{self.kind}:{self.visit.subject}:{self.state}"


def alerts_for(visit: VisitFacts, now: datetime, thresholds: AlertThresholds) -> list[AlertDraft]:
    """Every alert this visit's state raises at `now`."""
    raised: list[tuple[str, str, dict[str, object]]] = []
    if "FREQUENCY_LIMIT_APPROACHING" in visit.finding_codes and visit.verdict != "blocked":
        raised.append(("limit_approaching", "last_slot", {}))
    blocks = sorted(visit.finding_codes & LIMIT_BLOCKS)
    if visit.verdict == "blocked" and blocks:
        raised.append(("limit_reached", "+".join(blocks), {"reasons": blocks}))
    raised.extend(_authorization_alerts(visit, now, thresholds))
    low = thresholds.low_urgency
    return [AlertDraft(kind=kind, visit=visit, state=_bounded(state),
                       urgency="low" if kind in low else "high", details=details)
            for kind, state, details in raised]


def _authorization_alerts(visit: VisitFacts, now: datetime,
                          thresholds: AlertThresholds) -> Iterable[tuple[str, str, dict[str, object]]]:
    status = visit.auth_status
    days_left = (visit.date - now.date()).days
    if status is None and visit.prior_auth_required:
        status = "needed"
    if status in NOT_YET_APPROVED and 0 <= days_left <= thresholds.auth_pending_days:
        # one alert while it stays unapproved, however it moves between submitted and pended
        yield "auth_pending", "not_approved", {"days_left": days_left}
    if status == "denied":
        yield "auth_denied", f"denied:{visit.auth_id}", {}
    if status in ("approved", "partial") and (
            (visit.auth_valid_to is not None and visit.auth_valid_to < visit.date)
            or "expires_before_visit" in visit.auth_flags):
        valid_to = visit.auth_valid_to.isoformat() if visit.auth_valid_to else "unknown"
        yield "auth_expires_before_visit", f"valid_to:{valid_to}", {"valid_to": valid_to}
    if _documentation_missing(visit, status):
        chart = tuple(i for i in visit.auth_missing_items if not _is_coding(i))
        items = ",".join(sorted(chart)) or "documentation"
        yield "documentation_missing", f"missing:{items}", {"missing": list(chart)}
    if "CODING_ERROR" in visit.reasons:
        coding = sorted(c for c in visit.finding_codes if c in CODING_FINDINGS)
        yield "coding_error", "codes:" + "+".join(coding or ["coding"]), {"coding": coding}
    if visit.billing_review:
        yield "billing_review", f"performed:{visit.auth_id}", {"mismatch": visit.billing_review}
    due = visit.auth_decision_due_at
    overdue = due is not None and status in AWAITING_DECISION and due <= now
    if overdue or (status in AWAITING_DECISION and "decision_overdue" in visit.auth_flags):
        day = due.date().isoformat() if due is not None else "flagged"
        yield "decision_overdue", f"due:{day}", {"decision_due": day}


def deadline_threshold(days_left: int, thresholds: Iterable[int]) -> int | None:
    """The tightest threshold (days before a deadline) that `days_left` has reached, or None
    (not yet near, or the deadline has passed). One alert per threshold: a step first seen one
    day before its deadline raises the 2-day alert only, never a late 7-day one after it."""
    if days_left < 0:
        return None
    reached = [t for t in thresholds if days_left <= t]
    return min(reached) if reached else None


def _documentation_missing(visit: VisitFacts, status: str | None) -> bool:
    """What readiness says when it is known; coding fixes are never "waiting on documentation"."""
    if visit.readiness is not None:
        return "DOCUMENTATION_MISSING" in visit.reasons
    if status == "documentation_missing":
        return any(not _is_coding(i) for i in visit.auth_missing_items) \
            or not visit.auth_missing_items
    return visit.verdict == "needs_documentation" and status not in ("denied", "cancelled")


def _is_coding(item: str) -> bool:
    return item.split(":", 1)[0].strip() in CODING_FINDINGS


def _bounded(state: str) -> str:
    """A state short enough for the dedupe key; a long one keeps its start and a hash."""
    if len(state) <= 100:
        return state
    return state[:80] + "#" + hashlib.sha256(state.encode()).hexdigest()[:16]
