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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine
from sqlmodel import col

from tracker.authorizations.appeal_windows import appeal_windows
from tracker.authorizations.decisions import decision_deadline
from tracker.authorizations.denials import DENIAL_CLOSED
from tracker.authorizations.manual_entry import PACKET_READY
from tracker.errors import InputError
from tracker.store.page_cursor import cursor_of, damaged, page_size, read_cursor
from tracker.store.tables import (
    AuthorizationRow,
    AuthorizationWorkRow,
    CoverageRow,
    DenialStepRow,
    PatientRow,
    SessionRow,
    SubmissionAttemptRow,
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
OPEN = PREPARING + ("rejected", "denied") + WAITING  # the statuses that can hold work


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

    Kinds and derived due dates are worked out from each open authorization's columns, so the
    whole open work is read (as plain rows, in one query) to sort and count it; the page bounds
    what is built and shown."""
    view = checked_view(view)
    if view == "mine" and not user:
        raise InputError("user", "say whose queue to show (the user name)")
    key = _key(after)
    entries = _open_entries(engine, now or utc_now())
    counts = _view_counts(entries, user, today)
    chosen = [entry for entry in entries if _in_view(entry, view, user, today)
              and (key is None or entry[:3] > key)]
    if size is None:
        return WorkQueue(view=view, counts=counts, items=tuple(_item(e) for e in chosen))
    size = page_size(size)
    last = chosen[size - 1] if len(chosen) > size else None
    return WorkQueue(view=view, counts=counts, items=tuple(_item(e) for e in chosen[:size]),
                     after=cursor_of([last[0].isoformat(), last[1].isoformat(), last[2]])
                     if last else None)


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


# One open authorization's work as the queue sorts it: due date, visit date, id (the sort key
# and the page cursor), then its kind, whether a person set the due date, and its row.
Entry = tuple[date, date, int, str, bool, Any]


def open_work(engine: Engine, today: date, *, now: datetime | None = None) -> list[QueueItem]:
    """Every authorization needing a person, due date first."""
    return [_item(entry) for entry in _open_entries(engine, now or utc_now())]


def _open_entries(engine: Engine, now: datetime) -> list[Entry]:
    """Read as column rows in a query or two whatever the size of the queue: the open
    authorizations with their visit, patient, hand-set work, coverage plan type and latest
    attempt; then the open denial steps of the denied ones. Kinds and due dates are worked out
    here from those columns; a `QueueItem` is made only for what is shown."""
    rows = _open_rows(engine)
    steps = _open_denial_steps(engine, [r.id for r in rows if r.status == "denied"])
    lead_days: dict[tuple[str, str | None, str, str | None], timedelta] = {}
    found: list[Entry] = []
    for r in rows:  # unpacked in _open_rows' column order: a Row's attributes cost 7x as much
        (authorization_id, status, flags, payer, program, priority, decision_due_at, decided_at,
         updated_at, _, visit_date, *_, due_on, _, plan_type, latest_unanswered) = r
        kind = _kind(status, flags or [], latest_unanswered)
        if kind is None:
            continue
        if status == "denied":
            open_step = steps.get(authorization_id)
            if open_step is None:
                decided = decided_at or updated_at or now
                derived = decided.date() + timedelta(days=appeal_windows(payer)["first_level"])
            else:
                step_kind, derived = open_step
                kind = "peer_to_peer" if step_kind == "peer_to_peer" else "appeal"
        elif kind in ("prepare", "send", "resubmit"):
            # the last day a request can go out for the program's clock to end before the visit
            clock = (payer, program, priority, plan_type)
            lead = lead_days.get(clock)
            if lead is None:  # the clock's length in whole days, once per clock
                length = decision_deadline(payer, now, priority, program=program,
                                           plan_type=plan_type) - now
                lead = lead_days[clock] = timedelta(days=math.ceil(length / timedelta(days=1)))
            derived = visit_date - lead
        else:  # chase, answer the payer's request
            derived = decision_due_at.date() if decision_due_at is not None else visit_date
        by_hand = due_on is not None
        found.append((due_on if by_hand else derived, visit_date, authorization_id, kind,
                      by_hand, r))
    found.sort(key=lambda entry: entry[:3])
    return found


def _open_rows(engine: Engine) -> Sequence[Any]:
    auth, patient = AuthorizationRow, PatientRow
    work, coverage, attempt = AuthorizationWorkRow, CoverageRow, SubmissionAttemptRow
    session: Any = SessionRow.__table__  # type: ignore[attr-defined]
    joined_on = session.c.id == col(auth.session_id)
    if engine.dialect.name == "postgresql":
        # each open request's visit looked up by key: joined plainly, the planner scanned all
        # the practice's sessions (a million) to hash-join the few thousand open ones
        session = (sa.select(col(SessionRow.id), col(SessionRow.date),
                             col(SessionRow.patient_id))
                   .where(col(SessionRow.id) == col(auth.session_id))
                   .offset(0).lateral("sessions"))
        joined_on = sa.true()
    plan_type = (sa.select(col(coverage.plan_type))
                 .where(col(coverage.patient_id) == session.c.patient_id,
                        col(coverage.payer) == col(auth.payer),
                        col(coverage.effective_start) <= session.c.date,
                        sa.or_(col(coverage.effective_end).is_(None),
                               col(coverage.effective_end) >= session.c.date))
                 .limit(1).scalar_subquery())
    # 1 when the latest attempt went out and has no answer yet (sent by hand: a person chases
    # it), 0 when it has one, NULL when there is no attempt at all (entered by hand)
    no_answer = sa.or_(col(attempt.response).is_(None),
                       sa.cast(col(attempt.response), sa.Text) == "null")
    unanswered = sa.case((sa.and_(col(attempt.state) == "sent", no_answer), 1), else_=0)
    latest = (sa.select(unanswered).where(col(attempt.authorization_id) == col(auth.id))
              .order_by(col(attempt.attempt).desc()).limit(1).scalar_subquery())
    status = col(auth.status)
    query = (sa.select(col(auth.id), status,
                       # only a waiting or denied request's flags change its kind: the others'
                       # JSON is not decoded
                       sa.case((status.in_(WAITING + ("denied",)), col(auth.flags)))
                       .label("flags"),
                       col(auth.payer),
                       col(auth.program), col(auth.priority), col(auth.decision_due_at),
                       col(auth.decided_at), col(auth.updated_at), col(auth.auth_number),
                       session.c.date.label("visit_date"), session.c.patient_id,
                       col(patient.family_name), col(patient.given_name), col(patient.mrn),
                       col(work.owner), col(work.due_on), col(work.next_touch_on),
                       sa.case((status.in_(PREPARING + ("rejected",)), plan_type))
                       .label("plan_type"),
                       sa.case((status.in_(WAITING), latest)).label("latest_unanswered"))
             .select_from(auth).join(session, joined_on)
             .join(patient, col(patient.id) == session.c.patient_id)
             .outerjoin(work, col(work.authorization_id) == col(auth.id))
             .where(status.in_(OPEN)))
    with engine.connect() as connection:
        return connection.execute(query).all()


def _open_denial_steps(engine: Engine, denied: list[int]) -> dict[int, tuple[str, date]]:
    """Per denied authorization, the kind and deadline of its open step due first (the first
    recorded of those due the same day); absent when none is open."""
    step = DenialStepRow
    first: dict[int, tuple[str, date]] = {}
    with engine.connect() as connection:
        for chunk in range(0, len(denied), 900):
            for authorization_id, kind, deadline in connection.execute(
                    sa.select(col(step.authorization_id), col(step.kind), col(step.deadline))
                    .where(col(step.authorization_id).in_(denied[chunk:chunk + 900]),
                           col(step.outcome).is_(None))
                    .order_by(col(step.deadline), col(step.created_at), col(step.id))):
                first.setdefault(authorization_id, (kind, deadline))
    return first


def _kind(status: str, flags: list[str], latest_unanswered: int | None) -> str | None:
    if status in PREPARING:
        return "prepare"
    if status == "rejected":
        return "resubmit"
    if status == "denied":
        return None if DENIAL_CLOSED in flags else "appeal"
    if status not in WAITING:
        return None
    if status == "submitted" and PACKET_READY in flags:
        return "send"
    if "information_requested" in flags or "contact_payer" in flags:
        return "answer_request"
    if "decision_overdue" in flags or latest_unanswered != 0:
        return "chase"
    return None


def _view_counts(entries: list[Entry], user: str | None, today: date) -> dict[str, int]:
    """How many entries each view holds, in one pass (the views of `_in_view`)."""
    counts = dict.fromkeys(VIEWS, 0)
    counts["all"] = len(entries)
    for entry in entries:
        owner = entry[5].owner
        if owner is None:
            counts["unassigned"] += 1
        elif user is not None and owner == user:
            counts["mine"] += 1
        if entry[0] < today:
            counts["overdue"] += 1
        elif entry[0] == today:
            counts["due_today"] += 1
    return counts


def _in_view(entry: Entry, view: str, user: str | None, today: date) -> bool:
    if view == "mine":
        return user is not None and entry[5].owner == user
    if view == "unassigned":
        return entry[5].owner is None
    if view == "overdue":
        return entry[0] < today
    if view == "due_today":
        return entry[0] == today
    return True


def _item(entry: Entry) -> QueueItem:
    due_on, visit_date, authorization_id, kind, by_hand, r = entry
    return QueueItem(
        authorization_id=authorization_id, kind=kind, patient_id=r.patient_id,
        patient_name=f"{r.family_name}, {r.given_name}", mrn=r.mrn, visit_date=visit_date,
        payer=r.payer, status=r.status, owner=r.owner, due_on=due_on, due_set_by_hand=by_hand,
        next_touch_on=r.next_touch_on, auth_number=r.auth_number)
