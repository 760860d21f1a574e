"""A person changes an authorization's status by hand (a correction, a phone call): the new state
and an event row saying who, when and why, in one transaction. The event is written by
`tracker.authorizations.decisions.change_status`, as for every other change; a fax or portal
payer's submission and decision have their own, fuller entries in `tracker.authorizations.manual_entry`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session as DbSession

from tracker.authorizations.decisions import change_status, mark_decided
from tracker.errors import InputError
from tracker.store.tables import AUTHORIZATION_STATUSES, AuthorizationRow, SessionRow, utc_now
from tracker.visits.authorization_ledger import record_approved_units

DECIDED = ("approved", "partial", "denied")
APPROVALS = ("approved", "partial")
MAX_REASON = 2000


@dataclass(frozen=True)
class StatusChange:
    authorization_id: int
    patient_id: int
    from_status: str
    to_status: str


def change_authorization_status(engine: Engine, authorization_id: int, to_status: str, *,
                                actor: str, reason: str, auth_number: str | None = None,
                                valid_from: date | None = None,
                                valid_to: date | None = None) -> StatusChange:
    """Move an authorization to `to_status`; raises InputError naming the field at fault.
    "Approved" (or partial) needs the payer's number and validity window, as on every path."""
    reason = reason.strip()
    auth_number = (auth_number or "").strip() or None
    if to_status not in AUTHORIZATION_STATUSES:
        raise InputError("status", f"unknown status {to_status!r}; choose one of "
                         + ", ".join(AUTHORIZATION_STATUSES))
    if not reason:
        raise InputError("reason", "say why the status changes (e.g. 'approved by phone, ref 123')")
    if len(reason) > MAX_REASON:
        raise InputError("reason", f"keep the reason under {MAX_REASON} characters")
    if auth_number is not None and len(auth_number) > 64:
        raise InputError("auth_number", "an authorization number has at most 64 characters")
    if valid_from and valid_to and valid_to < valid_from:
        raise InputError("valid_to", "the validity window ends before it starts")
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, authorization_id)
        if auth is None:
            raise InputError("authorization", f"no authorization with id {authorization_id}")
        if to_status in APPROVALS:
            _require_approval_facts(to_status, auth_number or auth.auth_number,
                                    valid_from or auth.valid_from, valid_to or auth.valid_to)
        if auth.status == to_status and (auth_number is None or auth_number == auth.auth_number) \
                and (valid_from is None or valid_from == auth.valid_from) \
                and (valid_to is None or valid_to == auth.valid_to):
            raise InputError("status", f"the authorization is already {to_status}")
        session = db.get(SessionRow, auth.session_id)
        assert session is not None and auth.id is not None
        now = utc_now()
        from_status = auth.status
        change_status(db, auth, to_status, actor=actor, reason=reason, at=now)
        if auth_number is not None:
            auth.auth_number = auth_number
        auth.valid_from = valid_from or auth.valid_from
        auth.valid_to = valid_to or auth.valid_to
        if to_status in DECIDED:
            mark_decided(auth, now)
        if to_status in APPROVALS and from_status not in APPROVALS:
            record_approved_units(db, auth)
        db.add(auth)
        db.commit()
        return StatusChange(authorization_id=authorization_id, patient_id=session.patient_id,
                            from_status=from_status, to_status=to_status)


def _require_approval_facts(status: str, number: str | None, valid_from: date | None,
                            valid_to: date | None) -> None:
    if not number:
        raise InputError("auth_number", f"{status} needs the payer's authorization number: "
                         "type it in the Auth number field")
    if valid_from is None:
        raise InputError("valid_from", f"{status} needs the first day the approval covers "
                         "(Valid from)")
    if valid_to is None:
        raise InputError("valid_to", f"{status} needs the last day the approval covers (Valid to)")
