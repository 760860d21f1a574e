"""The billing work queue: every authorization that needs a person now, what to do (its kind),
who owns it, by when (its due date) and when to look at it next, sorted by due date, with the
counts of each view. Owners and dates set by hand live in `authorization_work`
(`tracker.authorizations.assignment` changes them); kinds and derived due dates are read from the
authorization's state here, so the queue never disagrees with the authorization page.

Derived due dates:
- prepare, send, resubmit: the last day a request can go out so that the program's decision clock
  (`decision_deadline`) ends before the visit — the visit date less the clock's length today;
- chase, answer the payer's request: the payer's decision deadline (else the visit date);
- appeal, peer-to-peer: the earliest deadline of the denial's open steps
  (`tracker.authorizations.denials`); with none open, the payer's first-level window after the
  denial (`tracker.authorizations.appeal_windows`).
A due date set by hand wins over all of these.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.appeal_windows import appeal_windows
from tracker.authorizations.decisions import deadline_for
from tracker.authorizations.denials import denial_date, denial_steps
from tracker.authorizations.manual_entry import awaiting_manual_submission, sent_by_staff
from tracker.errors import InputError
from tracker.store.page_cursor import cursor_of, damaged, page_size, read_cursor
from tracker.store.tables import (
    AuthorizationRow,
    AuthorizationWorkRow,
    PatientRow,
    SessionRow,
    utc_now,
)

KINDS: dict[str, str] = {
    "prepare": "Prepare the package",
    "send": "Send the packet by fax or portal",
    "chase": "Chase the payer's decision",
    "answer_request": "Answer the payer's request for information",
    "resubmit": "Correct and resubmit",
    "appeal": "Appeal the denial",
    "peer_to_peer": "Hold the peer-to-peer",
}
VIEWS: dict[str, str] = {
    "all": "All open work",
    "mine": "My queue",
    "unassigned": "Unassigned",
    "overdue": "Overdue",
    "due_today": "Due today",
}
PREPARING = ("needed", "documentation_missing")
WAITING = ("submitted", "pended")


@dataclass(frozen=True)
class QueueItem:
    authorization_id: int
    kind: str
    patient_id: int
    patient_name: str
    mrn: str
    visit_date: date
    payer: str
    status: str
    owner: str | None
    due_on: date
    due_set_by_hand: bool
    next_touch_on: date | None
    auth_number: str | None

    @property
    def kind_words(self) -> str:
        return KINDS[self.kind]

    def overdue(self, today: date) -> bool:
        return self.due_on < today


@dataclass(frozen=True)
class WorkQueue:
    view: str
    items: tuple[QueueItem, ...]  # this page's
    counts: dict[str, int]
    after: str | None = None  # the cursor of the next page, None on the last one


def checked_view(view: str | None) -> str:
    view = (view or "").strip().replace("-", "_") or "all"
    if view not in VIEWS:
        raise InputError("view", f"unknown view {view!r}; choose one of " + ", ".join(VIEWS))
    return view


def work_queue(engine: Engine, today: date, *, view: str = "all", user: str | None = None,
               now: datetime | None = None, after: str | None = None,
               size: int | None = None) -> WorkQueue:
    """A page of the open work in `view` for `user` (whose "mine" it is), due date first, after
    the cursor `after` (`size` None: all of it, as the command prints it), and the count of
    every view.

    Kinds and derived due dates come from each authorization's state in Python, so the whole
    open work is read to sort it; the page bounds what is shown."""
    view = checked_view(view)
    if view == "mine" and not user:
        raise InputError("user", "say whose queue to show (the user name)")
    key = _key(after)
    items = open_work(engine, today, now=now)
    counts = {name: sum(1 for item in items if _in_view(item, name, user, today)) for name in VIEWS}
    chosen = [item for item in items if _in_view(item, view, user, today)
              and (key is None or _sort_key(item) > key)]
    if size is None:
        return WorkQueue(view=view, counts=counts, items=tuple(chosen))
    size = page_size(size)
    last = chosen[size - 1] if len(chosen) > size else None
    return WorkQueue(view=view, counts=counts, items=tuple(chosen[:size]),
                     after=cursor_of([d.isoformat() if isinstance(d, date) else d
                                      for d in _sort_key(last)]) if last else None)


def _sort_key(item: QueueItem) -> tuple[date, date, int]:
    return item.due_on, item.visit_date, item.authorization_id


def _key(after: str | None) -> tuple[date, date, int] | None:
    if not after:
        return None
    due, visit, authorization_id = read_cursor(after, 3)
    try:
        if not isinstance(authorization_id, int):
            raise ValueError(after)
        return date.fromisoformat(due), date.fromisoformat(visit), authorization_id
    except (TypeError, ValueError):
        raise damaged() from None


def open_work(engine: Engine, today: date, *, now: datetime | None = None,
              only: Iterable[int] | None = None) -> list[QueueItem]:
    """Every authorization needing a person (or only those ids), due date first."""
    now = now or utc_now()
    query = (select(AuthorizationRow, SessionRow, PatientRow, AuthorizationWorkRow)
             .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
             .join(PatientRow, col(PatientRow.id) == col(SessionRow.patient_id))
             .join(AuthorizationWorkRow, col(AuthorizationWorkRow.authorization_id)
                   == col(AuthorizationRow.id), isouter=True))
    if only is not None:
        query = query.where(col(AuthorizationRow.id).in_(list(only)))
    found: list[QueueItem] = []
    with DbSession(engine) as db:
        for auth, session, patient, work in db.exec(query).all():
            kind = work_kind(db, auth)
            if kind is None:
                continue
            if auth.status == "denied":
                kind, derived = _denial_work(db, auth)
            else:
                derived = derived_due_date(db, auth, kind, session.date, now)
            found.append(_item(auth, session, patient, work, kind, derived))
    return sorted(found, key=_sort_key)


def work_kind(db: DbSession, auth: AuthorizationRow) -> str | None:
    """What a person must do for this authorization now; None when nothing (the submit and
    follow-up runs have it, or it is settled)."""
    flags = auth.flags or []
    if auth.status in PREPARING:
        return "prepare"
    if auth.status == "rejected":
        return "resubmit"
    if auth.status == "denied":
        return "appeal"
    if auth.status not in WAITING:
        return None
    if awaiting_manual_submission(db, auth):
        return "send"
    if "information_requested" in flags or "contact_payer" in flags:
        return "answer_request"
    if "decision_overdue" in flags or sent_by_staff(db, auth):
        return "chase"
    return None


def derived_due_date(db: DbSession, auth: AuthorizationRow, kind: str, visit: date,
                     now: datetime) -> date:
    if kind in ("prepare", "send", "resubmit"):
        clock = deadline_for(db, auth, now) - now
        return visit - timedelta(days=math.ceil(clock / timedelta(days=1)))
    if auth.decision_due_at is not None:
        return auth.decision_due_at.date()
    return visit


def _denial_work(db: DbSession, auth: AuthorizationRow) -> tuple[str, date]:
    assert auth.id is not None
    steps = [s for s in denial_steps(db, auth.id) if s.open]
    if not steps:
        return "appeal", denial_date(auth) + timedelta(days=appeal_windows(auth.payer)["first_level"])
    first = min(steps, key=lambda s: s.deadline)
    return ("peer_to_peer" if first.kind == "peer_to_peer" else "appeal"), first.deadline


def _in_view(item: QueueItem, view: str, user: str | None, today: date) -> bool:
    if view == "mine":
        return user is not None and item.owner == user
    if view == "unassigned":
        return item.owner is None
    if view == "overdue":
        return item.due_on < today
    if view == "due_today":
        return item.due_on == today
    return True


def _item(auth: AuthorizationRow, session: SessionRow, patient: PatientRow,
          work: AuthorizationWorkRow | None, kind: str, derived: date) -> QueueItem:
    assert auth.id is not None and patient.id is not None
    by_hand = work is not None and work.due_on is not None
    return QueueItem(
        authorization_id=auth.id, kind=kind, patient_id=patient.id,
        patient_name=f"{patient.family_name}, {patient.given_name}", mrn=patient.mrn,
        visit_date=session.date, payer=auth.payer, status=auth.status,
        owner=work.owner if work is not None else None,
        due_on=work.due_on if work is not None and work.due_on is not None else derived,
        due_set_by_hand=by_hand,
        next_touch_on=work.next_touch_on if work is not None else None,
        auth_number=auth.auth_number)
