"""Submitting ready authorizations to payers, exactly once.

Each attempt is written down under its bundle identifier (`painauth-auth<ID>-<N>`) *before* it is
sent. What happens next is recorded on the attempt:

- answered            -> `sent`, and the payer's answer is recorded on the authorization;
- refused before it went out (connection refused, 429/503 exhausted) -> `not_sent`: the next run
  sends the very same bundle, same identifier;
- timed out or dropped after sending, or the process died (the row is still `sending`) ->
  `unknown`: the next run first asks the payer with `$inquire`; only if the payer has no record of
  it is the same bundle sent again — and a payer that deduplicates by bundle identifier (PAS does)
  would recognise even that;
- rejected (4xx)      -> `rejected`, the authorization goes to `rejected` with the payer's reasons;
  staff fix it and set it back to ready, which makes a new attempt with a new identifier.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.decisions import change_status, deadline_for, record_answer
from tracker.authorizations.gateways import PayerGateways, packet_path
from tracker.packages.assembly import assemble_package
from tracker.packages.packet import render_packet
from tracker.packages.pas_bundle import pas_request_bundle
from tracker.payers.errors import GatewayError, NotSent, OutcomeUnknown, PayerError, RequestRejected
from tracker.payers.gateway import GatewayReply
from tracker.payers.inquiry import inquiry_for
from tracker.payers.pas_response import NOT_FOUND
from tracker.settings import load_settings
from tracker.store.migrating import require_current_schema
from tracker.store.tables import AuthorizationRow, SubmissionAttemptRow, utc_now

ACTOR = "submit-authorizations"
UNFINISHED = ("sending", "unknown")
log = logging.getLogger("painauth.submissions")


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


def authorizations_to_submit(engine: Engine) -> list[int]:
    """Ready authorizations, and any whose last attempt's outcome is still unknown."""
    with DbSession(engine) as db:
        ready = set(db.exec(select(AuthorizationRow.id).where(AuthorizationRow.status == "ready")))
        unfinished = set(db.exec(select(SubmissionAttemptRow.authorization_id)
                                 .where(col(SubmissionAttemptRow.state).in_(UNFINISHED))))
    return sorted(i for i in ready | unfinished if i is not None)


def submit_ready_authorizations(engine: Engine, gateways: PayerGateways, packets: Path,
                                as_of: date | None = None, actor: str = ACTOR) -> SubmissionSummary:
    require_current_schema(engine)
    summary = SubmissionSummary()
    for authorization_id in authorizations_to_submit(engine):
        try:
            outcome = submit_authorization(engine, authorization_id, gateways, packets,
                                           as_of=as_of, actor=actor)
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
    outcome: str  # sent | reconciled | not_sent | unknown | rejected | skipped
    status: str
    packet: str | None = None
    problem: str | None = None


def _latest_attempt(db: DbSession, authorization_id: int) -> SubmissionAttemptRow | None:
    return db.exec(select(SubmissionAttemptRow)
                   .where(SubmissionAttemptRow.authorization_id == authorization_id)
                   .order_by(col(SubmissionAttemptRow.attempt).desc())).first()


def submit_authorization(engine: Engine, authorization_id: int, gateways: PayerGateways,
                         packets: Path, *, as_of: date | None = None,
                         actor: str = ACTOR) -> SubmitOutcome:
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, authorization_id, with_for_update=True)
        assert auth is not None
        gateway = gateways(auth.payer)
        attempt = _latest_attempt(db, authorization_id)
        if attempt is not None and attempt.state in UNFINISHED:
            reconciled = _reconcile(db, auth, attempt, gateway.inquire, actor)
            db.commit()
            if reconciled is not None:
                return reconciled
        if auth.status != "ready" and not (attempt is not None and attempt.state == "not_sent"):
            return SubmitOutcome("skipped", auth.status)
        if attempt is None or attempt.state != "not_sent":
            attempt = _new_attempt(db, auth, attempt, packets, as_of or date.today())
        attempt.state, attempt.error = "sending", None
        db.add(attempt)
        db.commit()  # the attempt is on record before a byte goes out
        packet = str(packet_path(packets, attempt.bundle_identifier))
        try:
            reply = gateway.submit(attempt.request)
        except NotSent as error:
            return _finish(db, auth, attempt, "not_sent", str(error), packet)
        except OutcomeUnknown as error:
            return _finish(db, auth, attempt, "unknown", str(error), packet)
        except RequestRejected as error:
            change_status(db, auth, "rejected", actor=actor,
                          reason=f"payer rejected {attempt.bundle_identifier}: {error}")
            return _finish(db, auth, attempt, "rejected", str(error), packet)
        _record_sent(db, auth, attempt, reply, actor)
        db.commit()
        return SubmitOutcome("sent", auth.status, packet)


def _finish(db: DbSession, auth: AuthorizationRow, attempt: SubmissionAttemptRow, state: str,
            error: str, packet: str) -> SubmitOutcome:
    attempt.state, attempt.error, attempt.finished_at = state, error, utc_now()
    db.add(attempt)
    db.commit()
    return SubmitOutcome(state, auth.status, packet, problem=error)


def _new_attempt(db: DbSession, auth: AuthorizationRow, previous: SubmissionAttemptRow | None,
                 packets: Path, as_of: date) -> SubmissionAttemptRow:
    assert auth.id is not None
    number = previous.attempt + 1 if previous is not None else 1
    identifier = bundle_identifier(auth.id, number)
    package = assemble_package(db, auth.id, as_of).package
    pdf = render_packet(package, today=as_of)
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
    db.add(attempt)
    if auth.status == "ready":
        auth.submitted_at, auth.submission_id, auth.checks = now, attempt.bundle_identifier, 0
        auth.decision_due_at = deadline_for(db, auth, now)
        how = (f"packet {reply.packet} handed to staff for fax or portal"
               if reply.awaiting_manual_entry else "sent to the payer")
        change_status(db, auth, "submitted", actor=actor,
                      reason=f"{attempt.bundle_identifier} {how}", at=now)
    if reply.interpretation is not None and not reply.awaiting_manual_entry:
        record_answer(db, auth, reply.interpretation, actor=actor, now=now)


def _reconcile(db: DbSession, auth: AuthorizationRow, attempt: SubmissionAttemptRow,
               inquire: Callable[[dict[str, Any]], GatewayReply],
               actor: str) -> SubmitOutcome | None:
    """Ask the payer about an attempt whose outcome is unknown. Returns the outcome when the payer
    has it; None when the payer has no record of it (it may be sent again, same identifier)."""
    try:
        reply = inquire(attempt.request)
    except GatewayError as error:
        log.warning("cannot reconcile %s yet: %s", attempt.bundle_identifier, error)
        attempt.state = "unknown"
        db.add(attempt)
        return SubmitOutcome("unknown", auth.status, problem=f"reconciling: {error}")
    if reply.interpretation is None or reply.interpretation.status == NOT_FOUND:
        attempt.state, attempt.error = "not_sent", "the payer has no record of it"
        db.add(attempt)
        return None
    _record_sent(db, auth, attempt, reply, actor)
    return SubmitOutcome("reconciled", auth.status)
