"""A payer's answer, written onto the authorization it answers — the one place submit, follow-up
and rest-hook notifications record decisions, each change with an event row (who, when, why)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session as DbSession

from tracker.payers.pas_response import PasResponse
from tracker.payers.review_decisions import (
    APPROVED,
    CONTACT_PAYER,
    DENIED,
    ERROR,
    MODIFIED,
    NO_ACTION_REQUIRED,
    PARTIAL,
    PENDED,
)
from tracker.rules.policy_files import policies_in_force
from tracker.store.tables import AuthorizationEventRow, AuthorizationRow, utc_now

# The payer's overall decision -> the authorization's status.
STATUS_FOR_DECISION = {
    APPROVED: "approved", NO_ACTION_REQUIRED: "approved", PARTIAL: "partial",
    MODIFIED: "partial", DENIED: "denied", PENDED: "pended", CONTACT_PAYER: "pended",
    ERROR: "rejected",
}
DECIDED = frozenset({"approved", "partial", "denied", "rejected"})
WAITING = frozenset({"submitted", "pended"})
FIRST_CHECK_AFTER = timedelta(minutes=15)
LONGEST_CHECK_GAP = timedelta(hours=12)


@dataclass(frozen=True)
class Recorded:
    authorization_id: int
    from_status: str
    to_status: str

    @property
    def decided(self) -> bool:
        return self.to_status in DECIDED


def change_status(db: DbSession, auth: AuthorizationRow, to_status: str, *, actor: str,
                  reason: str, at: datetime | None = None) -> None:
    """Move the authorization to `to_status`, writing the event row (even for a note on the
    same status, so the audit trail says what was learnt)."""
    at = at or utc_now()
    assert auth.id is not None
    db.add(AuthorizationEventRow(authorization_id=auth.id, from_status=auth.status,
                                 to_status=to_status, actor=actor, at=at, reason=reason))
    auth.status, auth.updated_at = to_status, at
    db.add(auth)


def mark_decided(auth: AuthorizationRow, at: datetime) -> None:
    """The payer has decided: nothing more to ask, and no longer overdue."""
    auth.decided_at, auth.next_check_at = at, None
    auth.flags = [f for f in (auth.flags or []) if f != "decision_overdue"]


def decision_deadline(payer: str, submitted_at: datetime, priority: str) -> datetime:
    """When the payer must have decided, from the payer's decision clock in its policy file
    (CMS-0057-F: 72 hours expedited, 7 calendar days standard)."""
    policy = policies_in_force().get(payer)
    clock = policy.decision_clock if policy is not None else None
    if priority == "expedited":
        return submitted_at + timedelta(hours=clock.expedited_hours if clock else 72)
    return submitted_at + timedelta(days=clock.standard_days if clock else 7)


def next_check(checks: int, now: datetime) -> datetime:
    """Backoff between inquiries about a pended request: 15 min, 30 min, 1 h, … up to 12 h."""
    return now + min(FIRST_CHECK_AFTER * (2 ** checks), LONGEST_CHECK_GAP)


def _period(interpretation: PasResponse) -> tuple[date | None, date | None]:
    starts, ends = [], []
    for item in interpretation.items:
        start, end = item.period or (None, None)
        if start:
            starts.append(date.fromisoformat(start[:10]))
        if end:
            ends.append(date.fromisoformat(end[:10]))
    if not starts and interpretation.pre_auth_period:
        start, end = interpretation.pre_auth_period
        starts += [date.fromisoformat(start[:10])] if start else []
        ends += [date.fromisoformat(end[:10])] if end else []
    return (min(starts) if starts else None, max(ends) if ends else None)


def _reason(interpretation: PasResponse) -> str:
    parts = [f"payer says {interpretation.status}"]
    for item in interpretation.items:
        reasons = ", ".join(r.display or r.code or "" for r in item.reasons if r.display or r.code)
        if item.decision or reasons:
            parts.append(f"line {item.sequence}: {item.decision or 'no decision'}"
                         + (f" ({reasons})" if reasons else ""))
    parts += [e.message for e in interpretation.errors]
    if interpretation.disposition:
        parts.append(interpretation.disposition)
    return "; ".join(p for p in parts if p)


def record_answer(db: DbSession, auth: AuthorizationRow, interpretation: PasResponse, *,
                  actor: str, now: datetime | None = None) -> Recorded:
    """Write the payer's answer onto the authorization; returns the status change."""
    now = now or utc_now()
    assert auth.id is not None
    from_status = auth.status
    to_status = STATUS_FOR_DECISION.get(interpretation.status, "submitted")
    if to_status in ("approved", "partial"):
        numbers = [i.auth_number for i in interpretation.items if i.auth_number]
        auth.auth_number = numbers[0] if numbers else interpretation.pre_auth_ref
        auth.valid_from, auth.valid_to = _period(interpretation)
        quantities = [i.quantity for i in interpretation.items if i.quantity is not None]
        auth.approved_units = int(sum(quantities)) if quantities else None
    if to_status in DECIDED:
        mark_decided(auth, now)
        auth.decision_reason = _reason(interpretation)
    else:
        auth.next_check_at = next_check(auth.checks, now)
        if interpretation.status == CONTACT_PAYER and "contact_payer" not in (auth.flags or []):
            auth.flags = [*(auth.flags or []), "contact_payer"]
    if from_status != to_status:
        change_status(db, auth, to_status, actor=actor, reason=_reason(interpretation), at=now)
    else:
        auth.updated_at = now
        db.add(auth)
    return Recorded(authorization_id=auth.id, from_status=from_status, to_status=to_status)
