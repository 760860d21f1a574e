"""Who works an authorization and by when: claim it, hand it to a colleague, set its due date or
next touch by hand. Each change is the `authorization_work` row plus an event row in the
authorization's history (who, when, what), in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session as DbSession
from sqlmodel import select

from tracker.authorizations.decisions import change_status
from tracker.errors import InputError
from tracker.store.tables import AuthorizationRow, AuthorizationWorkRow, UserRow, utc_now

# The roles whose people work the queue.
QUEUE_ROLES = ("billing", "admin")


@dataclass(frozen=True)
class WorkChange:
    authorization_id: int
    owner: str | None
    due_on: date | None
    next_touch_on: date | None


def claim(engine: Engine, authorization_id: int, *, actor: str) -> WorkChange:
    """`actor` takes an unassigned item: it is theirs from now on. One already someone else's is
    reassigned, never silently taken."""
    return assign(engine, authorization_id, owner=actor, actor=actor, only_unassigned=True)


def assign(engine: Engine, authorization_id: int, *, owner: str | None, actor: str,
           only_unassigned: bool = False) -> WorkChange:
    """Give the item to `owner` (a billing or admin user), or back to nobody (None)."""
    owner = (owner or "").strip() or None
    with DbSession(engine) as db:
        if owner is not None:
            _check_owner(db, owner)
        auth, work = _work(db, authorization_id)
        if only_unassigned and work.owner not in (None, owner):
            raise InputError("owner", f"authorization {authorization_id} is {work.owner}'s; "
                             "reassign it to yourself if they agree")
        if work.owner == owner:
            raise InputError("owner", f"authorization {authorization_id} is already "
                             + (f"{owner}'s" if owner else "unassigned"))
        before = work.owner
        work.owner = owner
        if owner is None:
            what = f"returned to the queue by {actor} (was {before})"
        elif owner == actor and before is None:
            what = f"claimed by {actor}"
        else:
            what = f"assigned to {owner} by {actor}" + (f" (was {before})" if before else "")
        return _save(db, auth, work, actor, what)


def set_dates(engine: Engine, authorization_id: int, *, actor: str, due_on: date | None = None,
              next_touch_on: date | None = None, clear_due: bool = False) -> WorkChange:
    """Set the due date (overriding the derived one; `clear_due` goes back to it) and/or the
    next day to look at the item."""
    if due_on is None and next_touch_on is None and not clear_due:
        raise InputError("due_on", "give a due date or a next-touch date (YYYY-MM-DD)")
    with DbSession(engine) as db:
        auth, work = _work(db, authorization_id)
        parts = []
        if clear_due and work.due_on is not None:
            work.due_on = None
            parts.append("due date back to the one derived from the visit and the payer's clock")
        elif due_on is not None:
            work.due_on = due_on
            parts.append(f"due {due_on.isoformat()}")
        if next_touch_on is not None:
            work.next_touch_on = next_touch_on
            parts.append(f"next touch {next_touch_on.isoformat()}")
        if not parts:
            raise InputError("due_on", "nothing to change: the due date is already derived")
        return _save(db, auth, work, actor, f"{'; '.join(parts)}, set by {actor}")


def _check_owner(db: DbSession, owner: str) -> None:
    user = db.exec(select(UserRow).where(UserRow.name == owner)).first()
    if user is None or not user.active:
        raise InputError("owner", f"no active board user named {owner!r}; see painauth users list")
    if user.role not in QUEUE_ROLES:
        raise InputError("owner", f"{owner} is a {user.role}; queue work goes to a billing or "
                         "admin user")


def _work(db: DbSession, authorization_id: int) -> tuple[AuthorizationRow, AuthorizationWorkRow]:
    auth = db.get(AuthorizationRow, authorization_id)
    if auth is None:
        raise InputError("authorization", f"no authorization with id {authorization_id}")
    work = db.exec(select(AuthorizationWorkRow)
                   .where(AuthorizationWorkRow.authorization_id == authorization_id)).first()
    return auth, work or AuthorizationWorkRow(authorization_id=authorization_id)


def _save(db: DbSession, auth: AuthorizationRow, work: AuthorizationWorkRow, actor: str,
          what: str) -> WorkChange:
    if not actor.strip():
        raise InputError("actor", "say who makes the change")
    now = utc_now()
    work.updated_at = now
    db.add(work)
    change_status(db, auth, auth.status, actor=actor, reason=f"queue: {what}", at=now)
    try:
        db.commit()
    except IntegrityError:  # a colleague changed the same item first
        db.rollback()
        raise InputError("authorization", f"authorization {work.authorization_id} was changed by "
                         "someone else at the same moment; reload and try again") from None
    return WorkChange(authorization_id=work.authorization_id, owner=work.owner,
                      due_on=work.due_on, next_touch_on=work.next_touch_on)
