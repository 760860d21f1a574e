"""What billing does against a denial: record the payer's reason (as worded, and its code), ask
for a peer-to-peer, appeal at a level (first level, second level, external review), record each
outcome, or correct and resubmit. Every step is an event in the authorization's history (who,
when, what); open steps and their deadlines feed the work queue (`tracker.authorizations.queue`).

Deadlines count calendar days from the denial date (the authorization's decision date unless
given), by the payer's windows in `tracker.authorizations.appeal_windows`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.appeal_windows import STEP_WORDS, appeal_windows
from tracker.authorizations.decisions import change_status
from tracker.errors import InputError
from tracker.store.tables import (
    AuthorizationRow,
    DenialStepRow,
    SubmissionAttemptRow,
    utc_now,
)

OUTCOMES = ("overturned", "upheld", "withdrawn")
DENIAL_CLOSED = "denial_closed"  # flag: billing accepted the denial; no further appeal is work
RESUBMITTABLE = ("denied", "rejected")
# X12 review decision reason codes, CARC ("50", "CO-50") and RARC ("N386", "M127") alike.
DENIAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,31}$")


@dataclass(frozen=True)
class DenialStep:
    id: int
    authorization_id: int
    kind: str
    denied_on: date
    deadline: date
    opened_by: str
    scheduled_at: datetime | None
    physician: str | None
    outcome: str | None
    outcome_note: str | None

    @property
    def words(self) -> str:
        return STEP_WORDS[self.kind]

    @property
    def open(self) -> bool:
        return self.outcome is None


def record_denial_reason(engine: Engine, authorization_id: int, *, actor: str, worded: str,
                         code: str | None = None) -> None:
    """The payer's reason as it worded it, and its code where it gave one."""
    worded, code = (worded or "").strip(), (code or "").strip() or None
    if not worded:
        raise InputError("reason", "write the payer's reason as the letter or portal words it")
    if code is not None and not DENIAL_CODE.match(code):
        raise InputError("code", f"{code!r} is not a reason code; write it as the payer gives "
                         "it (e.g. CO-50, N386, or the X12 review decision reason)")
    with DbSession(engine) as db:
        auth = _denied(db, authorization_id)
        auth.decision_reason, auth.denial_code = worded, code
        change_status(db, auth, auth.status, actor=_who(actor),
                      reason=f"denial reason recorded: {worded}" + (f" (code {code})" if code else ""))
        db.commit()


def open_step(engine: Engine, authorization_id: int, kind: str, *, actor: str,
              denied_on: date | None = None) -> DenialStep:
    """Ask for a peer-to-peer or file an appeal at `kind`'s level; its deadline counts from the
    denial date by the payer's window."""
    if kind not in STEP_WORDS:
        raise InputError("kind", f"unknown step {kind!r}; choose one of " + ", ".join(STEP_WORDS))
    with DbSession(engine) as db:
        auth = _denied(db, authorization_id)
        if any(s.kind == kind and s.outcome is None for s in _steps(db, authorization_id)):
            raise InputError("kind", f"a {STEP_WORDS[kind]} is already open for authorization "
                             f"{authorization_id}; record its outcome first")
        day = denied_on or denial_date(auth)
        deadline = day + timedelta(days=appeal_windows(auth.payer)[kind])
        step = DenialStepRow(authorization_id=authorization_id, kind=kind, denied_on=day,
                             deadline=deadline, opened_by=_who(actor))
        db.add(step)
        auth.flags = [f for f in (auth.flags or []) if f != DENIAL_CLOSED]  # work again
        change_status(db, auth, auth.status, actor=_who(actor),
                      reason=f"{STEP_WORDS[kind]} opened, due {deadline.isoformat()} "
                             f"(denied {day.isoformat()})")
        db.commit()
        return _step(step)


def schedule_peer_to_peer(engine: Engine, step_id: int, *, actor: str, at: datetime,
                          physician: str) -> DenialStep:
    physician = (physician or "").strip()
    if not physician:
        raise InputError("physician", "name the physician who speaks with the payer's reviewer")
    with DbSession(engine) as db:
        step = _open_step(db, step_id)
        if step.kind != "peer_to_peer":
            raise InputError("step", f"step {step_id} is a {STEP_WORDS[step.kind]}, not a "
                             "peer-to-peer")
        step.scheduled_at, step.physician, step.updated_at = at, physician[:200], utc_now()
        db.add(step)
        auth = db.get(AuthorizationRow, step.authorization_id)
        assert auth is not None
        change_status(db, auth, auth.status, actor=_who(actor),
                      reason=f"peer-to-peer scheduled {at:%Y-%m-%d %H:%M} UTC with {physician}")
        db.commit()
        return _step(step)


def record_outcome(engine: Engine, step_id: int, *, actor: str, outcome: str,
                   note: str | None = None, authorization_id: int | None = None,
                   kinds: tuple[str, ...] = tuple(STEP_WORDS)) -> DenialStep:
    """A step's result. An overturned denial still needs the payer's number and window, recorded
    as its decision (`record_manual_decision`'s approval). With `authorization_id`, the step must
    be one of that authorization's; `kinds` limits which steps the actor may close (a provider:
    only a peer-to-peer)."""
    if outcome not in OUTCOMES:
        raise InputError("outcome", f"unknown outcome {outcome!r}; choose one of "
                         + ", ".join(OUTCOMES))
    note = (note or "").strip() or None
    with DbSession(engine) as db:
        step = _open_step(db, step_id)
        if authorization_id is not None and step.authorization_id != authorization_id:
            raise InputError("step", f"step {step_id} is not one of authorization "
                             f"{authorization_id}'s")
        if step.kind not in kinds:
            raise InputError("step", f"step {step_id} is a {STEP_WORDS[step.kind]}; you may "
                             "record only a " + " or ".join(STEP_WORDS[k] for k in kinds)
                             + "'s outcome")
        step.outcome, step.outcome_note, step.updated_at = outcome, note, utc_now()
        db.add(step)
        auth = db.get(AuthorizationRow, step.authorization_id)
        assert auth is not None
        change_status(db, auth, auth.status, actor=_who(actor),
                      reason=f"{STEP_WORDS[step.kind]} {outcome}" + (f": {note}" if note else ""))
        db.commit()
        return _step(step)


def close_denial(engine: Engine, authorization_id: int, *, actor: str, reason: str) -> None:
    """Billing accepts the denial (not appealed, the appeal upheld, the window gone, written
    off): the authorization stays denied and its visit reads so, but it is no longer work in the
    queue. Refused while a step is open; resubmitting is still possible."""
    reason = (reason or "").strip()
    if not reason:
        raise InputError("reason", "say why the denial is closed (e.g. not appealed: the "
                                   "patient chose another treatment)")
    with DbSession(engine) as db:
        auth = _denied(db, authorization_id)
        if DENIAL_CLOSED in (auth.flags or []):
            raise InputError("authorization", f"authorization {authorization_id}'s denial is "
                             "already closed")
        open_steps = [s for s in _steps(db, authorization_id) if s.outcome is None]
        if open_steps:
            raise InputError("authorization", f"the {STEP_WORDS[open_steps[0].kind].lower()} is "
                             "still open: record its outcome first")
        auth.flags = [*(auth.flags or []), DENIAL_CLOSED]
        change_status(db, auth, auth.status, actor=_who(actor), reason=f"denial closed: {reason}")
        db.commit()


def resubmit(engine: Engine, authorization_id: int, *, actor: str, correction: str) -> str:
    """Correct and send again: the authorization goes back to be prepared, and its next request
    goes out under a new bundle identifier (attempt N+1), linked to the first in the history.
    The denial's reason, code and steps stay on record. Returns the new identifier's attempt."""
    correction = (correction or "").strip()
    if not correction:
        raise InputError("correction", "say what was corrected before sending again")
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, authorization_id)
        if auth is None:
            raise InputError("authorization", f"no authorization with id {authorization_id}")
        if auth.status not in RESUBMITTABLE:
            raise InputError("authorization", f"authorization {authorization_id} is "
                             f"{auth.status}; only a denied or rejected request is resubmitted")
        latest = db.exec(select(SubmissionAttemptRow)
                         .where(SubmissionAttemptRow.authorization_id == authorization_id)
                         .order_by(col(SubmissionAttemptRow.attempt).desc())).first()
        earlier = latest.bundle_identifier if latest is not None else auth.submission_id
        following = f"painauth-auth{authorization_id}-{(latest.attempt if latest else 0) + 1}"
        auth.decided_at = None
        auth.flags = [f for f in (auth.flags or []) if f != DENIAL_CLOSED]
        change_status(db, auth, "needed", actor=_who(actor),
                      reason=f"resubmission: {correction}; the new request goes as {following}"
                             + (f", after {earlier}" if earlier else ""))
        db.commit()
        return following


def denial_steps(db: DbSession, authorization_id: int) -> list[DenialStep]:
    return [_step(row) for row in _steps(db, authorization_id)]


def denial_date(auth: AuthorizationRow) -> date:
    return (auth.decided_at or auth.updated_at or utc_now()).date()


def _steps(db: DbSession, authorization_id: int) -> list[DenialStepRow]:
    return list(db.exec(select(DenialStepRow)
                        .where(DenialStepRow.authorization_id == authorization_id)
                        .order_by(col(DenialStepRow.created_at), col(DenialStepRow.id))))


def _denied(db: DbSession, authorization_id: int) -> AuthorizationRow:
    auth = db.get(AuthorizationRow, authorization_id)
    if auth is None:
        raise InputError("authorization", f"no authorization with id {authorization_id}")
    if auth.status != "denied":
        raise InputError("authorization", f"authorization {authorization_id} is {auth.status}, "
                         "not denied")
    return auth


def _open_step(db: DbSession, step_id: int) -> DenialStepRow:
    step = db.get(DenialStepRow, step_id)
    if step is None:
        raise InputError("step", f"no peer-to-peer or appeal with id {step_id}")
    if step.outcome is not None:
        raise InputError("step", f"this {STEP_WORDS[step.kind]} is closed ({step.outcome})")
    return step


def _step(row: DenialStepRow) -> DenialStep:
    assert row.id is not None
    return DenialStep(id=row.id, authorization_id=row.authorization_id, kind=row.kind,
                      denied_on=row.denied_on, deadline=row.deadline, opened_by=row.opened_by,
                      scheduled_at=row.scheduled_at, physician=row.physician,
                      outcome=row.outcome, outcome_note=row.outcome_note)


def _who(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor:
        raise InputError("actor", "say who records this")
    return actor
