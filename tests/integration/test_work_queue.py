"""The billing work queue on SQLite and PostgreSQL: items move by owner and due date, search finds
patients and authorizations, a fax packet reads "ready to send" until the send is recorded, and
notes sit in the authorization's history."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.assignment import assign, claim, set_dates
from tracker.authorizations.decisions import decision_deadline
from tracker.authorizations.manual_entry import record_manual_decision, record_manual_submission
from tracker.authorizations.notes import add_note
from tracker.authorizations.overview import authorization_overview
from tracker.authorizations.queue import work_queue
from tracker.authorizations.search import search
from tracker.authorizations.submission import _record_sent
from tracker.errors import InputError
from tracker.payers.gateway import GatewayReply
from tracker.store.tables import (
    AuthorizationEventRow,
    AuthorizationRow,
    PatientRow,
    SessionRow,
    SubmissionAttemptRow,
)
from tracker.store.users import add_user

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Desk:
    prepare: int  # needed, visit in three weeks
    denied: int  # denied ten days ago
    faxed: int  # ready for a fax payer


def _authorization(engine: Engine, mrn: str, name: tuple[str, str], visit: date, payer: str,
                   status: str, **facts: Any) -> int:
    with DbSession(engine) as db:
        patient = PatientRow(mrn=mrn, family_name=name[0], given_name=name[1],
                             birth_date=date(1960, 1, 1))
        db.add(patient)
        db.flush()
        assert patient.id is not None
        session = SessionRow(patient_id=patient.id, date=visit, status="scheduled")
        db.add(session)
        db.flush()
        assert session.id is not None
        auth = AuthorizationRow(session_id=session.id, payer=payer, status=status, **facts)
        db.add(auth)
        db.commit()
        assert auth.id is not None
        return auth.id


@pytest.fixture
def desk(engine: Engine) -> Desk:
    for name, role in (("bea.billing", "billing"), ("ada.admin", "admin"),
                       ("sam.scheduler", "scheduler")):
        add_user(engine, name, role, "synthetic-password-1")
    return Desk(
        prepare=_authorization(engine, "SYN-7101", ("Queueton", "Avery"), TODAY + timedelta(21),
                               "aetna", "needed"),
        denied=_authorization(engine, "SYN-7102", ("Denholm", "Blair"), TODAY + timedelta(30),
                              "cigna", "denied", decided_at=NOW - timedelta(days=10),
                              decision_reason="not medically necessary"),
        faxed=_authorization(engine, "SYN-7103", ("Faxley", "Casey"), TODAY + timedelta(14),
                             "unitedhealthcare", "ready"))


def _events(engine: Engine, authorization_id: int) -> list[AuthorizationEventRow]:
    with DbSession(engine) as db:
        return list(db.exec(select(AuthorizationEventRow)
                            .where(AuthorizationEventRow.authorization_id == authorization_id)
                            .order_by(col(AuthorizationEventRow.id))))


def test_an_item_moves_through_the_queue_by_owner_and_due_date(engine: Engine, desk: Desk) -> None:
    queue = work_queue(engine, TODAY, user="bea.billing", now=NOW)
    kinds = {item.authorization_id: item.kind for item in queue.items}
    assert kinds == {desk.prepare: "prepare", desk.denied: "appeal"}  # ready: the submit run's
    clock = decision_deadline("aetna", NOW, "standard") - NOW
    prepare = next(i for i in queue.items if i.authorization_id == desk.prepare)
    assert prepare.due_on == TODAY + timedelta(21) - timedelta(math.ceil(clock / timedelta(1)))
    assert [i.due_on for i in queue.items] == sorted(i.due_on for i in queue.items)
    assert queue.counts["unassigned"] == 2 and queue.counts["mine"] == 0

    claim(engine, desk.prepare, actor="bea.billing")
    mine = work_queue(engine, TODAY, view="mine", user="bea.billing", now=NOW)
    assert [i.authorization_id for i in mine.items] == [desk.prepare]
    assert mine.counts["unassigned"] == 1
    with pytest.raises(InputError, match="bea.billing's"):
        claim(engine, desk.prepare, actor="ada.admin")
    with pytest.raises(InputError, match="billing or admin"):
        assign(engine, desk.prepare, owner="sam.scheduler", actor="bea.billing")

    assign(engine, desk.prepare, owner="ada.admin", actor="bea.billing")
    assert work_queue(engine, TODAY, view="mine", user="bea.billing", now=NOW).items == ()
    assert work_queue(engine, TODAY, view="mine", user="ada.admin", now=NOW).counts["mine"] == 1

    set_dates(engine, desk.prepare, actor="ada.admin", due_on=TODAY,
              next_touch_on=TODAY + timedelta(2))
    today = work_queue(engine, TODAY, view="due_today", user="ada.admin", now=NOW)
    assert [(i.authorization_id, i.due_set_by_hand, i.next_touch_on) for i in today.items] == [
        (desk.prepare, True, TODAY + timedelta(2))]
    assert work_queue(engine, TODAY + timedelta(1), view="overdue", now=NOW).counts["overdue"] >= 1
    assert desk.prepare in [i.authorization_id for i in
                            work_queue(engine, TODAY + timedelta(1), view="overdue", now=NOW).items]

    history = [(e.actor, e.reason) for e in _events(engine, desk.prepare)]
    assert history == [
        ("bea.billing", "queue: claimed by bea.billing"),
        ("bea.billing", "queue: assigned to ada.admin by bea.billing (was bea.billing)"),
        ("ada.admin", f"queue: due {TODAY.isoformat()}; next touch "
                      f"{(TODAY + timedelta(2)).isoformat()}, set by ada.admin")]


def test_search_finds_by_mrn_name_auth_number_and_bundle(engine: Engine, desk: Desk) -> None:
    with DbSession(engine) as db:
        denied = db.get(AuthorizationRow, desk.denied)
        assert denied is not None
        denied.auth_number = "CG-55120"
        db.add(denied)
        db.add(SubmissionAttemptRow(authorization_id=desk.faxed,
                                    bundle_identifier=f"painauth-auth{desk.faxed}-1", attempt=1,
                                    state="sent"))
        db.commit()
    by_mrn = search(engine, "syn-7101")
    assert [p.mrn for p in by_mrn.patients] == ["SYN-7101"]
    assert [(a.authorization_id, a.matched) for a in by_mrn.authorizations] == [
        (desk.prepare, "MRN")]
    by_number = search(engine, "cg-551")
    assert [(a.authorization_id, a.matched) for a in by_number.authorizations] == [
        (desk.denied, "auth number")]
    assert by_number.patients == ()
    by_bundle = search(engine, f"painauth-auth{desk.faxed}-1")
    assert [(a.authorization_id, a.matched) for a in by_bundle.authorizations] == [
        (desk.faxed, "bundle")]
    assert [a.authorization_id for a in search(engine, "Denholm, Bl").authorizations] == [
        desk.denied]
    assert search(engine, "100%_").authorizations == ()  # wildcards are literal
    with pytest.raises(InputError, match="at least 2 characters"):
        search(engine, " x ")


def test_a_fax_packet_reads_ready_to_send_until_the_send_is_recorded(
        engine: Engine, desk: Desk, tmp_path: Path) -> None:
    packet = tmp_path / "server" / "packets" / f"painauth-auth{desk.faxed}-1.pdf"
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, desk.faxed)
        assert auth is not None
        attempt = SubmissionAttemptRow(authorization_id=desk.faxed,
                                       bundle_identifier=f"painauth-auth{desk.faxed}-1",
                                       attempt=1, state="sending")
        db.add(attempt)
        db.flush()
        reply = GatewayReply(payer="unitedhealthcare", operation="$submit", status_code=None,
                             response=None, interpretation=None,
                             bundle_identifier=attempt.bundle_identifier,
                             awaiting_manual_entry=True, packet=packet)
        _record_sent(db, auth, attempt, reply, "submit-authorizations")
        db.commit()
    overview = authorization_overview(engine, desk.faxed)
    assert overview is not None and overview.shown_status == "packet_ready"
    assert str(tmp_path) not in (overview.events[-1].reason or "")
    assert f"painauth-auth{desk.faxed}-1.pdf ready to send by fax" in (overview.events[-1].reason
                                                                       or "")
    item = next(i for i in work_queue(engine, TODAY, now=NOW).items
                if i.authorization_id == desk.faxed)
    assert item.kind == "send"

    record_manual_submission(engine, desk.faxed, actor="bea.billing", channel="fax",
                             reference="FAX-1201-9")
    overview = authorization_overview(engine, desk.faxed)
    assert overview is not None and overview.shown_status == "submitted"
    item = next(i for i in work_queue(engine, TODAY, now=NOW).items
                if i.authorization_id == desk.faxed)
    assert item.kind == "chase" and item.due_on == overview.decision_due_at.date()  # type: ignore[union-attr]
    record_manual_decision(engine, desk.faxed, actor="bea.billing", decision="approved",
                           auth_number="UH-1", valid_from=TODAY, valid_to=TODAY + timedelta(60))
    assert desk.faxed not in [i.authorization_id for i in work_queue(engine, TODAY).items]


def test_notes_sit_in_the_history_with_who_and_when(engine: Engine, desk: Desk) -> None:
    claim(engine, desk.denied, actor="bea.billing")
    add_note(engine, desk.denied, author="bea.billing", text="Called Cigna: appeal by fax, ref 88")
    with pytest.raises(InputError, match="write the note first"):
        add_note(engine, desk.denied, author="bea.billing", text="   ")
    overview = authorization_overview(engine, desk.denied)
    assert overview is not None
    history = overview.history
    assert [getattr(e, "text", None) or getattr(e, "reason", None) for e in history] == [
        "queue: claimed by bea.billing", "Called Cigna: appeal by fax, ref 88"]
    assert history[-1].at is not None and history[-1].author == "bea.billing"


def test_a_denial_goes_through_peer_to_peer_appeal_and_resubmission_on_record(
        engine: Engine, desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.authorizations.denials import (
        open_step,
        record_denial_reason,
        record_outcome,
        resubmit,
        schedule_peer_to_peer,
    )

    monkeypatch.setenv("PAINAUTH_PAYER_CIGNA_APPEAL_DAYS", "first_level=180")
    denied_on = (NOW - timedelta(days=10)).date()
    record_denial_reason(engine, desk.denied, actor="bea.billing",
                         worded="Conservative care under 6 weeks", code="CO-50")
    with pytest.raises(InputError, match="not a reason code"):
        record_denial_reason(engine, desk.denied, actor="bea.billing", worded="x", code="CO 50!")
    item = next(i for i in work_queue(engine, TODAY, now=NOW).items
                if i.authorization_id == desk.denied)
    assert (item.kind, item.due_on) == ("appeal", denied_on + timedelta(days=180))

    p2p = open_step(engine, desk.denied, "peer_to_peer", actor="bea.billing")
    assert p2p.deadline == denied_on + timedelta(days=14)  # the default window
    with pytest.raises(InputError, match="already open"):
        open_step(engine, desk.denied, "peer_to_peer", actor="bea.billing")
    item = next(i for i in work_queue(engine, TODAY, now=NOW).items
                if i.authorization_id == desk.denied)
    assert (item.kind, item.due_on) == ("peer_to_peer", p2p.deadline)
    schedule_peer_to_peer(engine, p2p.id, actor="bea.billing", physician="Dr. Synthetic Reyes",
                          at=datetime(2026, 12, 3, 15, 30, tzinfo=UTC))
    record_outcome(engine, p2p.id, actor="bea.billing", outcome="upheld",
                   note="reviewer wants the PT notes")
    appeal = open_step(engine, desk.denied, "first_level", actor="bea.billing")
    assert appeal.deadline == denied_on + timedelta(days=180)
    item = next(i for i in work_queue(engine, TODAY, now=NOW).items
                if i.authorization_id == desk.denied)
    assert (item.kind, item.due_on) == ("appeal", appeal.deadline)
    record_outcome(engine, appeal.id, actor="bea.billing", outcome="upheld")

    following = resubmit(engine, desk.denied, actor="bea.billing",
                         correction="added the PT discharge summary")
    assert following == f"painauth-auth{desk.denied}-1"
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, desk.denied)
        assert auth is not None and auth.status == "needed"
        assert (auth.decision_reason, auth.denial_code) == ("Conservative care under 6 weeks",
                                                            "CO-50")
    assert [e.reason for e in _events(engine, desk.denied)] == [
        "denial reason recorded: Conservative care under 6 weeks (code CO-50)",
        f"peer-to-peer opened, due {p2p.deadline} (denied {denied_on})",
        "peer-to-peer scheduled 2026-12-03 15:30 UTC with Dr. Synthetic Reyes",
        "peer-to-peer upheld: reviewer wants the PT notes",
        f"first-level appeal opened, due {appeal.deadline} (denied {denied_on})",
        "first-level appeal upheld",
        f"resubmission: added the PT discharge summary; the new request goes as {following}"]
    overview = authorization_overview(engine, desk.denied)
    assert overview is not None
    assert [(s.kind, s.outcome) for s in overview.denial_steps] == [
        ("peer_to_peer", "upheld"), ("first_level", "upheld")]


def test_a_request_waiting_on_the_payer_is_chased_only_when_a_person_must(engine: Engine,
                                                                            desk: Desk) -> None:
    """Pended electronically with the payer's answer on file: the follow-up run has it, not the
    queue. Sent with no answer back (by hand), or entered with no attempt at all: chase it, by
    the payer's decision deadline. The latest attempt is the one that counts."""
    due = NOW + timedelta(days=5)
    answered = _authorization(engine, "SYN-7111", ("Answered", "Dana"), TODAY + timedelta(20),
                              "aetna", "pended", decision_due_at=due)
    unanswered = _authorization(engine, "SYN-7112", ("Unanswered", "Eli"),
                                TODAY + timedelta(20), "aetna", "submitted", decision_due_at=due)
    no_attempt = _authorization(engine, "SYN-7113", ("Noattempt", "Fay"), TODAY + timedelta(20),
                                "aetna", "pended")
    with DbSession(engine) as db:
        for auth_id, attempt, state, response in (
                (answered, 1, "sent", None), (answered, 2, "sent", {"resourceType": "Bundle"}),
                (unanswered, 1, "sent", {"resourceType": "Bundle"}),
                (unanswered, 2, "sent", None)):
            db.add(SubmissionAttemptRow(authorization_id=auth_id, attempt=attempt, state=state,
                                        bundle_identifier=f"b-{auth_id}-{attempt}",
                                        response=response))
        db.commit()
    items = {i.authorization_id: i for i in work_queue(engine, TODAY, now=NOW).items}
    assert answered not in items
    assert items[unanswered].kind == "chase" and items[unanswered].due_on == due.date()
    assert items[no_attempt].kind == "chase" and items[no_attempt].due_on == TODAY + timedelta(20)
    assert work_queue(engine, TODAY, now=NOW).counts["all"] == len(items)


def test_a_closed_denial_leaves_the_queue_until_an_appeal_reopens_it(engine: Engine,
                                                                     desk: Desk) -> None:
    """Billing decides not to appeal: the item leaves every view and its count; the denial and
    the visit stay denied; a later appeal brings it back."""
    from tracker.authorizations.denials import close_denial, open_step, record_outcome

    def queued() -> tuple[bool, int]:
        found = work_queue(engine, TODAY, now=NOW)
        return (any(i.authorization_id == desk.denied for i in found.items),
                found.counts["all"])

    assert queued() == (True, 2)
    with pytest.raises(InputError, match="say why"):
        close_denial(engine, desk.denied, actor="bea.billing", reason=" ")
    step = open_step(engine, desk.denied, "peer_to_peer", actor="bea.billing")
    with pytest.raises(InputError, match="peer-to-peer is still open"):
        close_denial(engine, desk.denied, actor="bea.billing", reason="not appealed")
    record_outcome(engine, step.id, actor="bea.billing", outcome="upheld")
    close_denial(engine, desk.denied, actor="bea.billing", reason="upheld; patient chose PT")
    assert queued() == (False, 1)
    with pytest.raises(InputError, match="already closed"):
        close_denial(engine, desk.denied, actor="bea.billing", reason="again")
    overview = authorization_overview(engine, desk.denied)
    assert overview is not None and overview.status == "denied"
    assert _events(engine, desk.denied)[-1].reason == "denial closed: upheld; patient chose PT"
    with pytest.raises(InputError, match="not denied"):
        close_denial(engine, desk.prepare, actor="bea.billing", reason="x")

    open_step(engine, desk.denied, "first_level", actor="bea.billing")
    assert queued() == (True, 2)
