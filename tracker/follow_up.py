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
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, or_
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorization_decisions import WAITING, change_status, record_answer
from tracker.payer_gateways import PayerGateways
from tracker.payers.endpoints import PayerEndpoint
from tracker.payers.errors import GatewayError, PayerError
from tracker.payers.gateway import GatewayReply, PayerGateway
from tracker.payers.pas_response import PasResponse, interpret_pas_response
from tracker.store.migrating import require_current_schema
from tracker.store.tables import (
    AuthorizationRow,
    PayerNotificationRow,
    SessionCodeRow,
    SessionRow,
    SubmissionAttemptRow,
    utc_now,
)

ACTOR = "follow-up-authorizations"
INQUIRY_CHUNK = 1000  # authorizations whose inquiries are read and put in flight together
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


def receive_notification(engine: Engine, payer: str, body: dict[str, Any]) -> int:
    """Keep a payer's rest-hook notification until the follow-up applies it."""
    with DbSession(engine) as db:
        row = PayerNotificationRow(payer=payer, body=body)
        db.add(row)
        db.commit()
        assert row.id is not None
        return row.id


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
    """Ask each payer about its due requests. The inquiries of `INQUIRY_CHUNK` authorizations are
    read at once and kept in flight (up to each payer's `max_concurrent`); answers are recorded
    `RECORD_BATCH` at a time as they arrive, so the database work overlaps the waiting."""
    now = now or utc_now()
    due = _due(engine, now)
    pools: dict[str, ThreadPoolExecutor] = {}  # one per payer, for the whole run
    try:
        for start in range(0, len(due), INQUIRY_CHUNK):
            chunk = due[start:start + INQUIRY_CHUNK]
            failed, in_flight = _ask_payers(gateways, pools, _latest_inquiries(engine, chunk))
            arrived: dict[int, GatewayReply | PayerError] = dict(failed)
            for future in as_completed(in_flight):
                arrived[in_flight[future]] = future.result()
                if len(arrived) >= RECORD_BATCH:
                    _record_replies(engine, arrived, summary, now)
                    arrived = {}
            _record_replies(engine, arrived, summary, now)
    finally:
        for pool in pools.values():
            pool.shutdown(cancel_futures=True)


def _record_replies(engine: Engine, replies: dict[int, GatewayReply | PayerError],
                    summary: FollowUpSummary, now: datetime) -> None:
    if not replies:
        return
    with DbSession(engine) as db:
        auths = {a.id: a for a in db.exec(select(AuthorizationRow)
                                          .where(col(AuthorizationRow.id).in_(list(replies))))}
        for authorization_id in sorted(replies):
            reply, auth = replies[authorization_id], auths.get(authorization_id)
            if auth is None:
                continue
            if isinstance(reply, PayerError):
                summary.problems.append(f"authorization {authorization_id}: {reply}")
                continue
            summary.inquiries += 1
            auth.checks += 1
            if reply.interpretation is None or reply.awaiting_manual_entry:
                auth.next_check_at = None  # recorded by staff, not asked about
                db.add(auth)
            else:
                recorded = record_answer(db, auth, reply.interpretation, actor=ACTOR, now=now)
                if recorded.decided:
                    summary.decisions[recorded.to_status] += 1
        db.commit()


def _latest_inquiries(engine: Engine, batch: list[int]) -> dict[int, tuple[str, dict[str, Any]]]:
    """Each authorization's payer and what to ask it about: the inquiry kept with its latest
    attempt that went out (the request itself for attempts made before inquiries were kept)."""
    latest: dict[int, tuple[str, dict[str, Any] | None]] = {}
    with DbSession(engine) as db:
        rows = db.exec(select(SubmissionAttemptRow.authorization_id, SubmissionAttemptRow.id,
                              SubmissionAttemptRow.inquiry, AuthorizationRow.payer)
                       .join(AuthorizationRow,
                             col(AuthorizationRow.id) == col(SubmissionAttemptRow.authorization_id))
                       .where(col(SubmissionAttemptRow.authorization_id).in_(batch),
                              SubmissionAttemptRow.state == "sent")
                       .order_by(col(SubmissionAttemptRow.attempt).desc())).all()
        attempt_of: dict[int, int] = {}
        for authorization_id, attempt_id, inquiry, payer in rows:
            if authorization_id not in latest and attempt_id is not None:
                latest[authorization_id] = (payer, dict(inquiry) if inquiry else None)
                attempt_of[authorization_id] = attempt_id
        older = [attempt_of[a] for a, (_, inquiry) in latest.items() if inquiry is None]
        requests = dict(db.exec(select(SubmissionAttemptRow.id, SubmissionAttemptRow.request)
                                .where(col(SubmissionAttemptRow.id).in_(older))).all()) \
            if older else {}
    return {a: (payer, inquiry if inquiry is not None else dict(requests[attempt_of[a]]))
            for a, (payer, inquiry) in latest.items()}


def _ask_payers(gateways: PayerGateways, pools: dict[str, ThreadPoolExecutor],
                requests: dict[int, tuple[str, dict[str, Any]]]
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


def _inquire(gateway: PayerGateway, request: dict[str, Any]) -> GatewayReply | PayerError:
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
        rows = db.exec(select(AuthorizationRow, SessionRow)
                       .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
                       .where(col(AuthorizationRow.status).in_(
                           ("submitted", "pended", "approved", "partial")))).all()
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
                requested = _requested_units(db, session.id)
                if auth.approved_units is not None and auth.approved_units < requested:
                    _flag(db, auth, "units_short",
                          f"{auth.approved_units} units approved of {requested} requested",
                          summary, now)
            if auth.status in WAITING:
                summary.still_waiting += 1
        db.commit()


def _requested_units(db: DbSession, session_id: int | None) -> int:
    units = db.exec(select(SessionCodeRow.units).where(SessionCodeRow.session_id == session_id))
    return sum(int(u) for u in units)


def follow_up_authorizations(engine: Engine, gateways: PayerGateways,
                             now: datetime | None = None) -> FollowUpSummary:
    require_current_schema(engine)
    summary = FollowUpSummary()
    apply_notifications(engine, summary, now)
    inquire_due(engine, gateways, summary, now)
    flag_trouble(engine, summary, now)
    return summary
