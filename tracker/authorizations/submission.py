"""Submitting ready authorizations to payers, exactly once — without counting on the payer to
deduplicate.

Each attempt is written down under its bundle identifier (`painauth-auth<ID>-<N>`) *before* it is
sent, together with a **lease**: the run that will send it (`claimed_by`, host:pid:token) and until
when (`lease_expires_at`). While the lease holds, every other run leaves the attempt alone — it is
in flight. Taking a lease is one conditional UPDATE (`... WHERE lease_expires_at IS NULL OR
lease_expires_at <= now`), so of two runs only one wins, on SQLite and PostgreSQL alike; on
PostgreSQL the authorization row is first taken with `SELECT ... FOR UPDATE SKIP LOCKED`, so a run
never waits on, or deadlocks with, another working on the same authorization. No database lock is
held while the payer is being called; after the call the authorization row is locked again (always
before its attempt and events, the one lock order) and the outcome recorded only if the lease is
still ours.

What happens next is recorded on the attempt:

- answered            -> `sent`, and the payer's answer is recorded on the authorization;
- refused before it went out (connection refused, 429/503 exhausted) -> `not_sent`: the next run
  sends the very same bundle, same identifier;
- timed out or dropped after sending -> `unknown` (lease let go); the process died -> still
  `sending` until its lease expires. Either way the next run takes the lease and asks the payer
  with `$inquire`; only if the payer has no record of it is the same bundle sent again;
- rejected (4xx)      -> `rejected`, the authorization goes to `rejected` with the payer's reasons;
  staff fix it and set it back to ready, which makes a new attempt with a new identifier;
- the authorization was cancelled or expired meanwhile -> `withdrawn`: never sent, never asked
  about, and a late answer from the payer does not reopen the authorization.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.decisions import (
    CLOSED,
    change_status,
    deadline_for,
    record_answer,
)
from tracker.authorizations.gateways import PayerGateways, fax_number, packet_path
from tracker.authorizations.manual_entry import PACKET_READY
from tracker.packages.assembly import assemble_package
from tracker.packages.packet import render_packet
from tracker.packages.pas_bundle import pas_request_bundle
from tracker.payers.errors import GatewayError, NotSent, OutcomeUnknown, PayerError, RequestRejected
from tracker.payers.gateway import GatewayReply, PayerGateway
from tracker.payers.inquiry import inquiry_for
from tracker.payers.pas_response import NOT_FOUND
from tracker.settings import load_settings
from tracker.store.migrating import require_current_schema
from tracker.store.tables import AuthorizationRow, SubmissionAttemptRow, utc_now

ACTOR = "submit-authorizations"
UNFINISHED = ("sending", "unknown")
NOT_SENT = ("not_sent",)
# Longer than any one send can take (the gateway's timeouts and retries), so a live run's
# attempt is never taken over; a dead run's is picked up by the first run after it.
DEFAULT_LEASE = timedelta(minutes=10)
log = logging.getLogger("painauth.submissions")
Clock = Callable[[], datetime]


@dataclass
class SubmissionSummary:
    outcomes: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    packets: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {"outcomes": dict(self.outcomes), "statuses": dict(self.statuses),
                "packets": self.packets, "problems": self.problems}


def bundle_identifier(authorization_id: int, attempt: int) -> str:
    return f"painauth-auth{authorization_id}-{attempt}"


def run_owner() -> str:
    """Who holds a lease: this host and process, and a token unique to the run."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(6)}"


def authorizations_to_submit(engine: Engine) -> list[int]:
    """Ready authorizations, and any with an attempt still unfinished or never sent (to finish
    it, or to withdraw it if the authorization was closed meanwhile)."""
    with DbSession(engine) as db:
        ready = set(db.exec(select(AuthorizationRow.id).where(AuthorizationRow.status == "ready")))
        unfinished = set(db.exec(select(SubmissionAttemptRow.authorization_id)
                                 .where(col(SubmissionAttemptRow.state).in_(
                                     UNFINISHED + NOT_SENT))))
    return sorted(i for i in ready | unfinished if i is not None)


def submit_ready_authorizations(engine: Engine, gateways: PayerGateways, packets: Path,
                                as_of: date | None = None, actor: str = ACTOR, *,
                                lease: timedelta = DEFAULT_LEASE,
                                clock: Clock = utc_now) -> SubmissionSummary:
    """Send every ready authorization once. Attempts another run is sending (its lease holds)
    are counted `in_flight` and left alone."""
    require_current_schema(engine)
    summary = SubmissionSummary()
    owner = run_owner()
    for authorization_id in authorizations_to_submit(engine):
        try:
            outcome = submit_authorization(engine, authorization_id, gateways, packets,
                                           as_of=as_of, actor=actor, owner=owner, lease=lease,
                                           clock=clock)
        except PayerError as error:  # a payer not configured, an unreadable answer: say which
            summary.outcomes["failed"] += 1
            summary.problems.append(f"authorization {authorization_id}: {error}")
            continue
        summary.outcomes[outcome.outcome] += 1
        summary.statuses[outcome.status] += 1
        if outcome.packet:
            summary.packets.append(outcome.packet)
        if outcome.problem:
            summary.problems.append(f"authorization {authorization_id}: {outcome.problem}")
    return summary


@dataclass(frozen=True)
class SubmitOutcome:
    # sent | reconciled | not_sent | unknown | rejected | skipped | in_flight | withdrawn
    outcome: str
    status: str
    packet: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class _Claim:
    """An attempt this run holds the lease on, and what to do with it."""

    attempt_id: int
    owner: str
    reconcile: bool


def _latest_attempt(db: DbSession, authorization_id: int) -> SubmissionAttemptRow | None:
    return db.exec(select(SubmissionAttemptRow)
                   .where(SubmissionAttemptRow.authorization_id == authorization_id)
                   .order_by(col(SubmissionAttemptRow.attempt).desc())).first()


def _locked_authorization(db: DbSession, authorization_id: int, *,
                          wait: bool) -> AuthorizationRow | None:
    """The authorization row, locked for this transaction on PostgreSQL. Without `wait`, None
    when another run has it locked right now (SKIP LOCKED); SQLite serialises writers itself."""
    query = select(AuthorizationRow).where(AuthorizationRow.id == authorization_id)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=not wait)
    return db.exec(query).first()


def _take_lease(db: DbSession, attempt_id: int, owner: str, now: datetime,
                lease: timedelta) -> bool:
    """Claim the attempt unless another run's lease on it still holds."""
    taken = db.execute(
        update(SubmissionAttemptRow)
        .where(col(SubmissionAttemptRow.id) == attempt_id,
               or_(col(SubmissionAttemptRow.lease_expires_at).is_(None),
                   col(SubmissionAttemptRow.lease_expires_at) <= now))
        .values(claimed_by=owner, lease_expires_at=now + lease)
        .execution_options(synchronize_session=False))
    return bool(getattr(taken, "rowcount", 0) == 1)


def submit_authorization(engine: Engine, authorization_id: int, gateways: PayerGateways,
                         packets: Path, *, as_of: date | None = None, actor: str = ACTOR,
                         owner: str | None = None, lease: timedelta = DEFAULT_LEASE,
                         clock: Clock = utc_now) -> SubmitOutcome:
    owner = owner or run_owner()
    claim = _claim(engine, authorization_id, packets, as_of or date.today(), actor, owner,
                   lease, clock)
    if isinstance(claim, SubmitOutcome):
        return claim
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, authorization_id)
        assert auth is not None
        gateway = gateways(auth.payer)
    if claim.reconcile:
        reconciled = _reconcile(engine, authorization_id, claim, gateway, actor, lease, clock)
        if reconciled is not None:
            return reconciled
    return _send(engine, authorization_id, claim, gateway, packets, actor)


def _claim(engine: Engine, authorization_id: int, packets: Path, as_of: date, actor: str,
           owner: str, lease: timedelta, clock: Clock) -> _Claim | SubmitOutcome:
    """In one short transaction: decide what this authorization needs and take the lease on the
    attempt that will do it — or say why nothing is to be done."""
    with DbSession(engine) as db:
        auth = _locked_authorization(db, authorization_id, wait=False)
        if auth is None:
            return SubmitOutcome("in_flight", "locked")
        status = auth.status
        attempt = _latest_attempt(db, authorization_id)
        now = clock()
        if attempt is not None and attempt.state in UNFINISHED + NOT_SENT:
            assert attempt.id is not None
            if not _take_lease(db, attempt.id, owner, now, lease):
                return SubmitOutcome("in_flight", status)
            # an attempt whose fate is unknown is still asked about unless the authorization
            # is closed; one never sent is only sent for a ready authorization
            if status in CLOSED or (status != "ready" and attempt.state in NOT_SENT):
                return _withdraw(db, auth, attempt, actor)
            db.commit()
            return _Claim(attempt.id, owner, reconcile=attempt.state in UNFINISHED)
        if status != "ready":
            return SubmitOutcome("skipped", status)
        try:
            attempt = _new_attempt(db, auth, attempt, packets, as_of)
            attempt.claimed_by, attempt.lease_expires_at = owner, now + lease
            db.add(attempt)
            db.commit()  # the attempt is on record, and leased, before a byte goes out
        except IntegrityError:  # another run numbered the same attempt first (SQLite)
            db.rollback()
            return SubmitOutcome("in_flight", status)
        assert attempt.id is not None
        return _Claim(attempt.id, owner, reconcile=False)


def _withdraw(db: DbSession, auth: AuthorizationRow, attempt: SubmissionAttemptRow,
              actor: str) -> SubmitOutcome:
    """The authorization is no longer ready (cancelled, expired, decided by hand): its unfinished
    attempt is closed without sending or asking."""
    attempt.state, attempt.finished_at, attempt.lease_expires_at = "withdrawn", utc_now(), None
    attempt.error = f"not sent: the authorization is {auth.status}"
    db.add(attempt)
    change_status(db, auth, auth.status, actor=actor,
                  reason=f"{attempt.bundle_identifier} withdrawn unsent: authorization is "
                         f"{auth.status}")
    db.commit()
    return SubmitOutcome("withdrawn", auth.status)


def _still_ours(db: DbSession, authorization_id: int,
                claim: _Claim) -> tuple[AuthorizationRow, SubmissionAttemptRow] | None:
    """After a call to the payer: the authorization (locked first, the one lock order) and the
    attempt, if this run's lease on it was not taken over meanwhile."""
    auth = _locked_authorization(db, authorization_id, wait=True)
    attempt = db.get(SubmissionAttemptRow, claim.attempt_id, populate_existing=True)
    assert auth is not None and attempt is not None
    if attempt.claimed_by != claim.owner:
        log.warning("%s was taken over by %s while this run waited on the payer",
                    attempt.bundle_identifier, attempt.claimed_by)
        return None
    return auth, attempt


def _send(engine: Engine, authorization_id: int, claim: _Claim, gateway: PayerGateway,
          packets: Path, actor: str) -> SubmitOutcome:
    with DbSession(engine) as db:
        held = _still_ours(db, authorization_id, claim)
        if held is None:
            return SubmitOutcome("taken_over", "unknown")
        auth, attempt = held
        if auth.status != "ready":  # cancelled between the claim and now
            return _withdraw(db, auth, attempt, actor)
        attempt.state, attempt.error = "sending", None
        db.add(attempt)
        db.commit()
        request, identifier = attempt.request, attempt.bundle_identifier
    packet = str(packet_path(packets, identifier))
    try:
        reply: GatewayReply | GatewayError = gateway.submit(request)
    except (NotSent, OutcomeUnknown, RequestRejected) as error:
        reply = error
    with DbSession(engine) as db:
        held = _still_ours(db, authorization_id, claim)
        if held is None:
            return SubmitOutcome("taken_over", "unknown", packet)
        auth, attempt = held
        if isinstance(reply, NotSent):
            return _finish(db, auth, attempt, "not_sent", str(reply), packet)
        if isinstance(reply, OutcomeUnknown):
            return _finish(db, auth, attempt, "unknown", str(reply), packet)
        if isinstance(reply, RequestRejected):
            change_status(db, auth, "rejected", actor=actor,
                          reason=f"payer rejected {attempt.bundle_identifier}: {reply}")
            return _finish(db, auth, attempt, "rejected", str(reply), packet)
        assert isinstance(reply, GatewayReply)
        _record_sent(db, auth, attempt, reply, actor)
        db.commit()
        return SubmitOutcome("sent", auth.status, packet)


def _finish(db: DbSession, auth: AuthorizationRow, attempt: SubmissionAttemptRow, state: str,
            error: str, packet: str) -> SubmitOutcome:
    attempt.state, attempt.error, attempt.finished_at = state, error, utc_now()
    attempt.lease_expires_at = None  # not in flight any more: the next run may take it up
    db.add(attempt)
    db.commit()
    return SubmitOutcome(state, auth.status, packet, problem=error)


def _new_attempt(db: DbSession, auth: AuthorizationRow, previous: SubmissionAttemptRow | None,
                 packets: Path, as_of: date) -> SubmissionAttemptRow:
    assert auth.id is not None
    number = previous.attempt + 1 if previous is not None else 1
    identifier = bundle_identifier(auth.id, number)
    package = assemble_package(db, auth.id, as_of).package
    pdf = render_packet(package, today=as_of, fax_to=fax_number(auth.payer))
    packets.mkdir(parents=True, exist_ok=True)
    packet_path(packets, identifier).write_bytes(pdf)
    bundle = pas_request_bundle(package, identifier,
                                packet_pdf=pdf if load_settings().attach_packet else None)
    attempt = SubmissionAttemptRow(authorization_id=auth.id, bundle_identifier=identifier,
                                   attempt=number, state="sending", request=bundle,
                                   inquiry=inquiry_for(bundle))
    db.add(attempt)
    db.flush()
    return attempt


def _record_sent(db: DbSession, auth: AuthorizationRow, attempt: SubmissionAttemptRow,
                 reply: GatewayReply, actor: str) -> None:
    now = utc_now()
    attempt.state, attempt.response, attempt.finished_at = "sent", reply.response, now
    attempt.lease_expires_at = None
    db.add(attempt)
    if auth.status == "ready":
        auth.submitted_at, auth.submission_id, auth.checks = now, attempt.bundle_identifier, 0
        auth.decision_due_at = deadline_for(db, auth, now)
        # the packet's file name only: history is shown to browser users, never a server path
        how = (f"packet {reply.packet.name if reply.packet else ''} ready to send by fax or "
               "portal; staff record the send" if reply.awaiting_manual_entry
               else "sent to the payer")
        if reply.awaiting_manual_entry and PACKET_READY not in (auth.flags or []):
            auth.flags = [*(auth.flags or []), PACKET_READY]
        change_status(db, auth, "submitted", actor=actor,
                      reason=f"{attempt.bundle_identifier} {how}", at=now)
    if reply.interpretation is not None and not reply.awaiting_manual_entry:
        record_answer(db, auth, reply.interpretation, actor=actor, now=now)


def _reconcile(engine: Engine, authorization_id: int, claim: _Claim, gateway: PayerGateway,
               actor: str, lease: timedelta, clock: Clock) -> SubmitOutcome | None:
    """Ask the payer about an attempt whose outcome is unknown (this run holds its lease).
    Returns the outcome when the payer has it; None when the payer has no record of it, and the
    lease is renewed for sending the same bundle again."""
    with DbSession(engine) as db:
        attempt = db.get(SubmissionAttemptRow, claim.attempt_id)
        assert attempt is not None
        request = attempt.request
    try:
        reply: GatewayReply | GatewayError = gateway.inquire(request)
    except GatewayError as error:
        reply = error
    with DbSession(engine) as db:
        held = _still_ours(db, authorization_id, claim)
        if held is None:
            return SubmitOutcome("taken_over", "unknown")
        auth, attempt = held
        if isinstance(reply, GatewayError):
            log.warning("cannot reconcile %s yet: %s", attempt.bundle_identifier, reply)
            attempt.state, attempt.lease_expires_at = "unknown", None
            db.add(attempt)
            db.commit()
            return SubmitOutcome("unknown", auth.status, problem=f"reconciling: {reply}")
        if reply.interpretation is None or reply.interpretation.status == NOT_FOUND:
            if auth.status != "ready":  # never reached the payer, and no longer to be sent
                return _withdraw(db, auth, attempt, actor)
            attempt.state, attempt.error = "not_sent", "the payer has no record of it"
            attempt.lease_expires_at = clock() + lease
            db.add(attempt)
            db.commit()
            return None
        _record_sent(db, auth, attempt, reply, actor)
        db.commit()
        return SubmitOutcome("reconciled", auth.status)
