"""Following submitted authorizations to a decision.

Rest-hook notifications from payers are stored as they arrive (`receive_notification`, called by
the board's endpoint) and applied here; requests still waiting are asked about with `$inquire`
on a backoff (15 minutes, doubling, at most 12 hours apart) until the payer decides — in batches,
each payer asked up to its endpoint's `max_concurrent` requests at once. Each run also
flags decisions overdue against the payer's clock, approvals that end before the visit, and
approvals for fewer units than requested.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from queue import SimpleQueue
from typing import Any

from sqlalchemy import Engine, Text, and_, bindparam, cast, func, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.decisions import WAITING, change_status, next_check, record_answer
from tracker.authorizations.gateways import PayerGateways
from tracker.payers.endpoints import PayerEndpoint
from tracker.payers.errors import GatewayError, PayerError
from tracker.payers.gateway import GatewayReply, PayerGateway
from tracker.payers.inquiry import Inquirable, StoredInquiry
from tracker.payers.pas_response import PasResponse, interpret_pas_response
from tracker.payers.review_decisions import PENDED
from tracker.store.migrating import require_current_schema
from tracker.store.tables import (
    AuthorizationRow,
    PayerNotificationRow,
    SessionRow,
    SubmissionAttemptRow,
    utc_now,
)
from tracker.visits.authorization_ledger import ledger_lines

ACTOR = "follow-up-authorizations"
INQUIRY_CHUNK = 500  # authorizations whose inquiries are read and put in flight together
RECORD_BATCH = 200  # answers recorded in one transaction
log = logging.getLogger("painauth.follow_up")


@dataclass
class FollowUpSummary:
    notifications: int = 0
    inquiries: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    flagged: Counter[str] = field(default_factory=Counter)
    still_waiting: int = 0
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"notifications": self.notifications, "inquiries": self.inquiries,
                "decisions": dict(self.decisions), "flagged": dict(self.flagged),
                "still_waiting": self.still_waiting, "problems": self.problems}


def receive_notification(engine: Engine, payer: str, body: dict[str, Any],
                         bundle_id: str | None = None) -> tuple[int, bool]:
    """Keep a payer's rest-hook notification until the follow-up applies it. Returns its row id
    and whether it is new: a redelivery (same payer, same bundle id) is stored once."""
    with DbSession(engine) as db:
        if bundle_id is not None:
            earlier = _notification_with(db, payer, bundle_id)
            if earlier is not None:
                return earlier, False
        row = PayerNotificationRow(payer=payer, bundle_id=bundle_id, body=body)
        db.add(row)
        try:
            db.commit()
        except IntegrityError:  # the same notification, delivered twice at once
            db.rollback()
            earlier = _notification_with(db, payer, bundle_id) if bundle_id else None
            if earlier is None:
                raise
            return earlier, False
        assert row.id is not None
        return row.id, True


def _notification_with(db: DbSession, payer: str, bundle_id: str) -> int | None:
    return db.exec(select(PayerNotificationRow.id).where(
        PayerNotificationRow.payer == payer, PayerNotificationRow.bundle_id == bundle_id)).first()


def _attempt_answered(db: DbSession, answer: PasResponse) -> SubmissionAttemptRow | None:
    """The submission an answer is about: PAS echoes the request Bundle's identifier."""
    values = [answer.bundle_identifier.get("value")] if answer.bundle_identifier else []
    values += [i.get("value") for i in answer.request_identifiers]
    for value in values:
        if value:
            attempt = db.exec(select(SubmissionAttemptRow)
                              .where(SubmissionAttemptRow.bundle_identifier == value)).first()
            if attempt is not None:
                return attempt
    return None


def apply_notifications(engine: Engine, summary: FollowUpSummary,
                        now: datetime | None = None) -> None:
    now = now or utc_now()
    with DbSession(engine) as db:
        rows = db.exec(select(PayerNotificationRow)
                       .where(col(PayerNotificationRow.processed_at).is_(None))
                       .order_by(col(PayerNotificationRow.id))).all()
        for row in rows:
            summary.notifications += 1
            row.processed_at = now
            try:
                answer = interpret_pas_response(row.body)
            except PayerError as error:
                row.outcome = f"unreadable: {error}"
                db.add(row)
                continue
            attempt = _attempt_answered(db, answer) if answer.items else None
            if attempt is None:
                # id-only or unmatched: ask the payer now about everything waiting on it
                for auth in db.exec(select(AuthorizationRow).where(
                        AuthorizationRow.payer == row.payer,
                        col(AuthorizationRow.status).in_(WAITING))):
                    auth.next_check_at = now
                    db.add(auth)
                row.outcome = "no decision inside; waiting requests will be asked now"
                db.add(row)
                continue
            answered = db.get(AuthorizationRow, attempt.authorization_id)
            assert answered is not None
            if answered.status in WAITING:
                recorded = record_answer(db, answered, answer, actor=f"{ACTOR} (notification)",
                                         now=now)
                if recorded.decided:
                    summary.decisions[recorded.to_status] += 1
            row.authorization_id, row.outcome = answered.id, f"applied: {answer.status}"
            db.add(row)
        db.commit()


def _due(engine: Engine, now: datetime) -> list[int]:
    with DbSession(engine) as db:
        ids = db.exec(select(AuthorizationRow.id).where(
            col(AuthorizationRow.status).in_(WAITING),
            or_(col(AuthorizationRow.next_check_at).is_(None),
                col(AuthorizationRow.next_check_at) <= now))
            .order_by(col(AuthorizationRow.next_check_at))).all()
    return [i for i in ids if i is not None]


def inquire_due(engine: Engine, gateways: PayerGateways, summary: FollowUpSummary,
                now: datetime | None = None) -> None:
    """Ask each payer about its due requests, up to each payer's `max_concurrent` at once.

    The next `INQUIRY_CHUNK` authorizations' inquiries are read while the previous chunk is in
    flight, and answers are recorded `RECORD_BATCH` at a time as they arrive, so the database
    work overlaps the waiting; at most two chunks are held in memory."""
    now = now or utc_now()
    due = _due(engine, now)
    pools: dict[str, ThreadPoolExecutor] = {}  # one per payer, for the whole run
    # each answer is queued as it completes: taking the next one costs the same however many
    # are in flight (waiting on the whole set each time made the run quadratic, and the main
    # thread's spinning slowed the threads that talk to the payers)
    done: SimpleQueue[tuple[int, Future[GatewayReply | PayerError]]] = SimpleQueue()
    in_flight = 0
    arrived: dict[int, GatewayReply | PayerError] = {}

    def collect(keep: int) -> None:
        nonlocal arrived, in_flight
        while in_flight > keep:
            authorization_id, future = done.get()
            in_flight -= 1
            arrived[authorization_id] = future.result()
            if len(arrived) >= RECORD_BATCH:
                _record_replies(engine, arrived, summary, now)
                arrived = {}

    try:
        for start in range(0, len(due), INQUIRY_CHUNK):
            failed, asked = _ask_payers(gateways, pools,
                                        _latest_inquiries(engine, due[start:start + INQUIRY_CHUNK]))
            arrived.update(failed)
            for future, authorization_id in asked.items():
                in_flight += 1
                future.add_done_callback(partial(_queue_answer, done, authorization_id))
            collect(keep=INQUIRY_CHUNK)
        collect(keep=0)
        _record_replies(engine, arrived, summary, now)
    finally:
        for pool in pools.values():
            pool.shutdown(cancel_futures=True)


def _queue_answer(done: SimpleQueue[tuple[int, Future[GatewayReply | PayerError]]],
                  authorization_id: int, future: Future[GatewayReply | PayerError]) -> None:
    done.put((authorization_id, future))


def _record_replies(engine: Engine, replies: dict[int, GatewayReply | PayerError],
                    summary: FollowUpSummary, now: datetime) -> None:
    """Record a batch of answers in one transaction. Most answers say "still pended": those only
    count the inquiry and set the next one, in one statement; any other answer goes through
    `record_answer` like every decision."""
    if not replies:
        return
    with DbSession(engine) as db:
        state = {row[0]: row[1:] for row in db.exec(
            select(AuthorizationRow.id, AuthorizationRow.status, AuthorizationRow.checks)
            .where(col(AuthorizationRow.id).in_(list(replies))))}
        still_pended: list[dict[str, Any]] = []
        to_record: dict[int, GatewayReply] = {}
        for authorization_id in sorted(replies):
            reply = replies[authorization_id]
            if authorization_id not in state:
                continue
            if isinstance(reply, PayerError):
                summary.problems.append(f"authorization {authorization_id}: {reply}")
                continue
            summary.inquiries += 1
            status, checks = state[authorization_id]
            answer = reply.interpretation
            if (answer is not None and not reply.awaiting_manual_entry and status == "pended"
                    and answer.status == PENDED):
                still_pended.append({"auth_id": authorization_id, "checks": checks + 1,
                                     "next_check_at": next_check(checks + 1, now),
                                     "updated_at": now})
            else:
                to_record[authorization_id] = reply
        if still_pended:
            table = AuthorizationRow.__table__  # type: ignore[attr-defined]
            db.connection().execute(
                update(table).where(table.c.id == bindparam("auth_id"))
                .values(checks=bindparam("checks"), next_check_at=bindparam("next_check_at"),
                        updated_at=bindparam("updated_at")), still_pended)
        for auth in db.exec(select(AuthorizationRow)
                            .where(col(AuthorizationRow.id).in_(list(to_record)))):
            assert auth.id is not None
            reply = to_record[auth.id]
            auth.checks += 1
            if reply.interpretation is None or reply.awaiting_manual_entry:
                auth.next_check_at = None  # recorded by staff, not asked about
                db.add(auth)
            else:
                recorded = record_answer(db, auth, reply.interpretation, actor=ACTOR, now=now)
                if recorded.decided:
                    summary.decisions[recorded.to_status] += 1
        db.commit()


def _latest_inquiries(engine: Engine, batch: list[int]) -> dict[int, tuple[str, Inquirable]]:
    """Each authorization's payer and what to ask it about: the inquiry kept, as stored text,
    with its latest attempt that went out (the request itself for attempts made before inquiries
    were kept)."""
    attempts = SubmissionAttemptRow.__table__  # type: ignore[attr-defined]
    authorizations = AuthorizationRow.__table__  # type: ignore[attr-defined]
    latest: dict[int, tuple[str, int, str, str | None]] = {}
    with engine.connect() as connection:
        rows = connection.execute(
            core_select(attempts.c.authorization_id, attempts.c.id, attempts.c.bundle_identifier,
                   cast(attempts.c.inquiry, Text), authorizations.c.payer)
            .join(authorizations, authorizations.c.id == attempts.c.authorization_id)
            .where(attempts.c.authorization_id.in_(batch), attempts.c.state == "sent")
            .order_by(attempts.c.attempt.desc()))
        for authorization_id, attempt_id, identifier, inquiry, payer in rows:
            latest.setdefault(authorization_id, (payer, attempt_id, identifier, inquiry))
        older = [attempt_id for _, attempt_id, _, inquiry in latest.values()
                 if inquiry is None or inquiry == "null"]
        requests = {attempt_id: request for attempt_id, request in connection.execute(
            core_select(attempts.c.id, attempts.c.request).where(attempts.c.id.in_(older)))} \
            if older else {}
    asked: dict[int, tuple[str, Inquirable]] = {}
    for authorization_id, (payer, attempt_id, identifier, inquiry) in latest.items():
        if attempt_id in requests:
            asked[authorization_id] = (payer, dict(requests[attempt_id]))
        else:
            assert inquiry is not None
            asked[authorization_id] = (payer, StoredInquiry(
                inquiry, {"system": None, "value": f"{identifier}-inquiry"}))
    return asked


def _ask_payers(gateways: PayerGateways, pools: dict[str, ThreadPoolExecutor],
                requests: dict[int, tuple[str, Inquirable]]
                ) -> tuple[dict[int, PayerError], dict[Future[GatewayReply | PayerError], int]]:
    """`$inquire` for every request, each payer's at most `max_concurrent` at once, all payers
    together: the answers to come, and an error for each request whose payer cannot be asked."""
    failed: dict[int, PayerError] = {}
    in_flight: dict[Future[GatewayReply | PayerError], int] = {}
    for authorization_id, (payer, request) in requests.items():
        try:
            gateway = gateways(payer)
        except PayerError as error:  # not configured: say so for each of its requests
            failed[authorization_id] = error
            continue
        if payer not in pools:
            pools[payer] = ThreadPoolExecutor(_in_flight(gateway),
                                              thread_name_prefix=f"inquire-{payer}")
        in_flight[pools[payer].submit(_inquire, gateway, request)] = authorization_id
    return failed, in_flight


def _inquire(gateway: PayerGateway, request: Inquirable) -> GatewayReply | PayerError:
    try:
        return gateway.inquire(request)
    except (GatewayError, PayerError) as error:
        return error


def _in_flight(gateway: PayerGateway) -> int:
    """How many inquiries to keep in flight to one payer: its endpoint's `max_concurrent` (a PAS
    gateway also holds itself to it); one for a gateway without an endpoint (fax or portal)."""
    endpoint = getattr(gateway, "endpoint", None)
    return endpoint.max_concurrent if isinstance(endpoint, PayerEndpoint) else 1


def _flag(db: DbSession, auth: AuthorizationRow, flag: str, reason: str,
          summary: FollowUpSummary, now: datetime) -> None:
    if flag in (auth.flags or []):
        return
    auth.flags = [*(auth.flags or []), flag]
    change_status(db, auth, auth.status, actor=ACTOR, reason=reason, at=now)
    summary.flagged[flag] += 1


def flag_trouble(engine: Engine, summary: FollowUpSummary, now: datetime | None = None) -> None:
    """Overdue decisions, approvals ending before the visit, fewer units than requested."""
    now = now or utc_now()
    with DbSession(engine) as db:
        summary.still_waiting += db.exec(
            select(func.count()).select_from(AuthorizationRow)
            .where(col(AuthorizationRow.status).in_(WAITING))).one()
        # only what can be flagged: waiting past the deadline, or approved
        rows = db.exec(select(AuthorizationRow, SessionRow)
                       .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
                       .where(or_(col(AuthorizationRow.status).in_(("approved", "partial")),
                                  and_(col(AuthorizationRow.status).in_(WAITING),
                                       col(AuthorizationRow.decision_due_at) < now)))).all()
        for auth, session in rows:
            due = auth.decision_due_at
            if due is not None and due.tzinfo is None:
                due = due.replace(tzinfo=now.tzinfo)
            if auth.status in WAITING and due is not None and due < now:
                _flag(db, auth, "decision_overdue",
                      f"no decision by {due:%Y-%m-%d %H:%M} UTC, the payer's deadline", summary, now)
            if auth.status in ("approved", "partial"):
                if auth.valid_to is not None and auth.valid_to < session.date:
                    _flag(db, auth, "expires_before_visit",
                          f"approval valid to {auth.valid_to}, the visit is on {session.date}",
                          summary, now)
                if auth.valid_from is not None and auth.valid_from > session.date:
                    _flag(db, auth, "starts_after_visit",
                          f"approval valid from {auth.valid_from}, the visit is on {session.date}",
                          summary, now)
                short = [f"{line.code}: {line.units_approved} of {line.units_requested}"
                         for line in ledger_lines(db, [auth]).get(auth.id or 0, ())
                         if line.units_approved is not None
                         and line.units_approved < line.units_requested]
                if short:
                    _flag(db, auth, "units_short",
                          "fewer units approved than requested: " + "; ".join(short),
                          summary, now)
        db.commit()


def follow_up_authorizations(engine: Engine, gateways: PayerGateways,
                             now: datetime | None = None) -> FollowUpSummary:
    require_current_schema(engine)
    summary = FollowUpSummary()
    apply_notifications(engine, summary, now)
    inquire_due(engine, gateways, summary, now)
    flag_trouble(engine, summary, now)
    return summary
