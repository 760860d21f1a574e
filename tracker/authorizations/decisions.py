"""A payer's answer, written onto the authorization it answers — the one place submit, follow-up
and rest-hook notifications record decisions, each change with an event row (who, when, why)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_
from sqlmodel import Session as DbSession
from sqlmodel import col, select

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
from tracker.rules.policy import DecisionClock
from tracker.rules.policy_files import policies_in_force
from tracker.rules.programs import clock_for
from tracker.store.tables import (
    AuthorizationEventRow,
    AuthorizationRow,
    CoverageRow,
    SessionRow,
    utc_now,
)
from tracker.visits.authorization_ledger import record_approved_units

# The payer's overall decision -> the authorization's status.
STATUS_FOR_DECISION = {
    APPROVED: "approved", NO_ACTION_REQUIRED: "approved", PARTIAL: "partial",
    MODIFIED: "partial", DENIED: "denied", PENDED: "pended", CONTACT_PAYER: "pended",
    ERROR: "rejected",
}
DECIDED = frozenset({"approved", "partial", "denied", "rejected"})
WAITING = frozenset({"submitted", "pended"})
# Closed by staff or by time: a payer's answer arriving after that is noted, never applied.
CLOSED = frozenset({"cancelled", "expired"})
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


def decision_deadline(payer: str, submitted_at: datetime, priority: str, *,
                      program: str | None = None, plan_type: str | None = None) -> datetime:
    """When the payer must have decided: the clock of the authorization's program in force on
    the submission date (or the payer file's default clock), shortened to CMS-0057-F's 72 hours /
    7 days for Medicare Advantage and Medicaid/CHIP plans from 2026-01-01."""
    policy = policies_in_force().get(payer)
    found = policy.programs.get(program) if policy is not None and program else None
    default = policy.decision_clock.as_clock() if policy is not None else None
    clock = clock_for(found, default, plan_type, submitted_at.date())
    if clock is None:  # no clock in force on that date: the payer file's default numbers
        clock = default or DecisionClock().as_clock()
    return clock.deadline(submitted_at, priority)


def deadline_for(db: DbSession, auth: AuthorizationRow, submitted_at: datetime) -> datetime:
    """`decision_deadline` for a stored authorization: its program, and the plan type of the
    patient's coverage with that payer on the visit's date."""
    plan_type = None
    session = db.get(SessionRow, auth.session_id)
    if session is not None:
        plan_type = db.exec(
            select(CoverageRow.plan_type).where(
                CoverageRow.patient_id == session.patient_id, CoverageRow.payer == auth.payer,
                col(CoverageRow.effective_start) <= session.date,
                or_(col(CoverageRow.effective_end).is_(None),
                    col(CoverageRow.effective_end) >= session.date))).first()
    return decision_deadline(auth.payer, submitted_at, auth.priority, program=auth.program,
                             plan_type=plan_type)


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


def _approved_per_item(interpretation: PasResponse) -> dict[int, int]:
    """PAS item sequence -> units the payer approved. A line approved with no quantity is
    approved as requested, so it is left out; a denied line approves 0."""
    found: dict[int, int] = {}
    for item in interpretation.items:
        if item.sequence is None or item.added_by_payer:
            continue
        if item.decision == DENIED:
            found[item.sequence] = 0
        elif item.quantity is not None:
            found[item.sequence] = int(item.quantity)
    return found


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
    if from_status in CLOSED:
        change_status(db, auth, from_status, actor=actor, at=now,
                      reason=f"late payer answer not applied, the authorization is "
                             f"{from_status}: {_reason(interpretation)}")
        return Recorded(authorization_id=auth.id, from_status=from_status, to_status=from_status)
    to_status = STATUS_FOR_DECISION.get(interpretation.status, "submitted")
    if to_status in ("approved", "partial"):
        # an approval without the payer's number stays approved, but reads
        # APPROVAL_WITHOUT_NUMBER (tracker.visits.readiness) until staff record the number
        numbers = [i.auth_number for i in interpretation.items if i.auth_number]
        auth.auth_number = numbers[0] if numbers else interpretation.pre_auth_ref
        auth.valid_from, auth.valid_to = _period(interpretation)

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
    if to_status in ("approved", "partial"):
        record_approved_units(db, auth, per_item=_approved_per_item(interpretation))
    return Recorded(authorization_id=auth.id, from_status=from_status, to_status=to_status)
