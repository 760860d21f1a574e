"""Staff record what happened with a fax or portal payer: that the packet went out, and what the
payer decided. Each change is the new state plus an event row saying who, when and why, in one
transaction, written by `tracker.authorizations.decisions.change_status` like every other change.
The CLI and the board call these; they hold no HTTP or form logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.decisions import change_status, deadline_for, mark_decided
from tracker.errors import InputError
from tracker.store.tables import AuthorizationRow, SubmissionAttemptRow, utc_now
from tracker.visits.authorization_ledger import record_approved_units

SUBMITTABLE = ("needed", "ready", "documentation_missing")
DECISIONS = ("approved", "partial", "denied", "pended")
CHANNELS = ("fax", "portal", "phone", "mail")
# Set by the submit run when it hands a fax or portal payer's packet to staff; cleared when a
# person records the send.
PACKET_READY = "packet_ready"


@dataclass(frozen=True)
class ManualEntry:
    authorization_id: int
    from_status: str
    to_status: str


def record_manual_submission(engine: Engine, authorization_id: int, *, actor: str, channel: str,
                             reference: str | None = None, submitted_at: datetime | None = None,
                             note: str | None = None) -> ManualEntry:
    """Staff sent the packet by `channel`; `reference` is the fax confirmation or portal number."""
    if channel not in CHANNELS:
        raise InputError("channel", f"unknown channel {channel!r}; choose one of {', '.join(CHANNELS)}")
    reference = _clean(reference, "reference", 64)
    reason = f"sent by {channel}" + (f", reference {reference}" if reference else "")
    if note and note.strip():
        reason += f": {note.strip()}"
    with DbSession(engine) as db:
        auth = _authorization(db, authorization_id)
        if auth.status not in SUBMITTABLE and not awaiting_manual_submission(db, auth):
            raise InputError("authorization", f"authorization {authorization_id} is {auth.status}; "
                             "only a request not yet submitted can be recorded as sent")
        now = utc_now()
        entry = _change(db, auth, "submitted", actor=actor, reason=reason, at=now)
        auth.submitted_at = submitted_at or now
        auth.decision_due_at = deadline_for(db, auth, auth.submitted_at)
        auth.checks, auth.next_check_at = 0, None
        auth.flags = [f for f in (auth.flags or []) if f != PACKET_READY]
        if reference and auth.submission_id is None:
            auth.submission_id = reference
        db.add(auth)
        db.commit()
        return entry


def awaiting_manual_submission(db: DbSession, auth: AuthorizationRow) -> bool:
    """The submit run handed the packet to staff for a fax or portal payer (flag `packet_ready`)
    and no one has recorded sending it yet: it reads "packet ready to send", not "sent"."""
    return auth.status == "submitted" and PACKET_READY in (auth.flags or [])


def sent_by_staff(db: DbSession, auth: AuthorizationRow) -> bool:
    """A request that went to the payer by hand (fax, portal, phone, mail): its answer comes back
    the same way, so a person chases it."""
    if auth.id is None or auth.status not in ("submitted", "pended"):
        return False
    if awaiting_manual_submission(db, auth):
        return False
    attempt = db.exec(select(SubmissionAttemptRow)
                      .where(SubmissionAttemptRow.authorization_id == auth.id)
                      .order_by(col(SubmissionAttemptRow.attempt).desc())).first()
    return attempt is None or (attempt.state == "sent" and attempt.response is None)


def record_manual_decision(engine: Engine, authorization_id: int, *, actor: str, decision: str,
                           auth_number: str | None = None, approved_units: int | None = None,
                           valid_from: date | None = None, valid_to: date | None = None,
                           reason: str | None = None) -> ManualEntry:
    """The payer's answer as staff received it: approved or partial (with the authorization number
    and validity window, both required; `approved_units` counts procedure units, never a drug's),
    denied (with the reason), or pended (still under review)."""
    if decision not in DECISIONS:
        raise InputError("decision", f"unknown decision {decision!r}; choose one of {', '.join(DECISIONS)}")
    auth_number = _clean(auth_number, "auth_number", 64)
    reason = _clean(reason, "reason", 2000)
    if decision in ("approved", "partial") and not auth_number:
        raise InputError("auth_number", f"an {decision} authorization needs the payer's number")
    if decision in ("approved", "partial") and (valid_from is None or valid_to is None):
        missing = "valid_from" if valid_from is None else "valid_to"
        raise InputError(missing, f"an {decision} authorization needs the payer's validity window: "
                         "give both the first and the last day it covers (YYYY-MM-DD)")
    if decision == "denied" and not reason:
        raise InputError("reason", "say why the payer denied it (as the payer worded it)")
    if approved_units is not None and approved_units < 0:
        raise InputError("approved_units", "units cannot be negative")
    if valid_from and valid_to and valid_to < valid_from:
        raise InputError("valid_to", "the validity window ends before it starts")
    with DbSession(engine) as db:
        auth = _authorization(db, authorization_id)
        if auth.status not in ("submitted", "pended"):
            raise InputError("authorization", f"authorization {authorization_id} is {auth.status}; "
                             "record the submission before the decision")
        now = utc_now()
        why = reason or f"{decision} by the payer" + (f", number {auth_number}" if auth_number else "")
        entry = _change(db, auth, decision, actor=actor, reason=why, at=now)
        auth.auth_number = auth_number or auth.auth_number
        auth.approved_units = approved_units if approved_units is not None else auth.approved_units
        auth.valid_from = valid_from or auth.valid_from
        auth.valid_to = valid_to or auth.valid_to
        auth.decision_reason = reason or auth.decision_reason
        # an answer came, so the packet went out: it no longer reads "ready to send"
        auth.flags = [f for f in (auth.flags or []) if f != PACKET_READY]
        if decision != "pended":
            mark_decided(auth, now)
        if decision in ("approved", "partial"):
            record_approved_units(db, auth, procedure_units=approved_units)
        db.add(auth)
        db.commit()
        return entry


def _authorization(db: DbSession, authorization_id: int) -> AuthorizationRow:
    auth = db.get(AuthorizationRow, authorization_id)
    if auth is None:
        raise InputError("authorization", f"no authorization with id {authorization_id}")
    return auth


def _change(db: DbSession, auth: AuthorizationRow, to_status: str, *, actor: str, reason: str,
            at: datetime) -> ManualEntry:
    if not actor.strip():
        raise InputError("actor", "say who records this")
    assert auth.id is not None
    entry = ManualEntry(authorization_id=auth.id, from_status=auth.status, to_status=to_status)
    change_status(db, auth, to_status, actor=actor.strip(), reason=reason, at=at)
    return entry


def _clean(value: str | None, field: str, limit: int) -> str | None:
    value = (value or "").strip() or None
    if value is not None and len(value) > limit:
        raise InputError(field, f"at most {limit} characters")
    return value
