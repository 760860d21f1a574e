"""The synthetic practice's decided authorization history (tracker.practice.authorization_history),
which the demo and bench/practice_page.py seed: only requests a payer's program asks for, on the
patient's own payer, every month with approvals, partial approvals and denials, nothing left
waiting on a payer, the exempt provider's record as built — and the same rows for the same seed,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlmodel import col

from tracker.authorizations.exemptions import approval_rates
from tracker.practice.authorization_history import add_authorization_history
from tracker.practice.synthetic import PracticeShape, seed_practice
from tracker.store.tables import (
    AuthorizationRow,
    CoverageRow,
    DenialStepRow,
    SessionCodeRow,
    SessionRow,
)

AS_OF = date(2026, 12, 1)


def _history(engine: Engine, after: int) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(
            select(AuthorizationRow.session_id, AuthorizationRow.payer, AuthorizationRow.program,
                   AuthorizationRow.status, AuthorizationRow.submitted_at,
                   AuthorizationRow.decided_at, AuthorizationRow.decision_due_at,
                   AuthorizationRow.denial_code, AuthorizationRow.decision_reason)
            .where(col(AuthorizationRow.id) > after).order_by(col(AuthorizationRow.session_id))))


def _steps(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(
            select(AuthorizationRow.session_id, DenialStepRow.kind, DenialStepRow.denied_on,
                   DenialStepRow.deadline, DenialStepRow.outcome)
            .join(AuthorizationRow, col(AuthorizationRow.id) == col(DenialStepRow.authorization_id))
            .order_by(col(AuthorizationRow.session_id))))


def test_a_300_patient_practice_gets_months_of_decisions_its_payers_programs_ask_for(
        engine: Engine) -> None:
    seed_practice(engine, seed=7, as_of=AS_OF, shape=PracticeShape(patients=300))
    with engine.connect() as connection:
        before = int(connection.execute(select(func.coalesce(func.max(AuthorizationRow.id), 0)))
                     .scalar_one())
    report = add_authorization_history(engine, as_of=AS_OF, seed=7)
    rows = _history(engine, before)
    assert 250 <= report.authorizations == len(rows) <= 300  # one per patient, at most
    assert {r.status for r in rows} == {"approved", "partial", "denied"}  # nothing to chase
    with engine.connect() as connection:
        sessions = {s.id: s for s in connection.execute(
            select(SessionRow.id, SessionRow.patient_id, SessionRow.date, SessionRow.status,
                   SessionRow.place_of_service))}
        codes: dict[int, set[str]] = {}
        for session_id, code in connection.execute(select(SessionCodeRow.session_id,
                                                          SessionCodeRow.code)):
            codes.setdefault(session_id, set()).add(code)
        coverages = list(connection.execute(select(CoverageRow).where(
            col(CoverageRow.rank) == "primary")))
    for row in rows:
        session = sessions[row.session_id]
        assert session.status == "performed" and session.date < AS_OF
        assert row.submitted_at < row.decided_at and row.decided_at.date() < AS_OF
        [payer] = {c.payer for c in coverages if c.patient_id == session.patient_id
                   and c.effective_start <= session.date
                   and (c.effective_end is None or session.date <= c.effective_end)}
        assert row.payer == payer, row.session_id
        # trigger points need no request; Medicare's OPD list asks only at a hospital outpatient
        # department, WISeR only for epidurals
        assert not codes[row.session_id] & {"20552", "20553"}
        if row.program == "medicare-opd":
            assert session.place_of_service in ("19", "22")
        assert row.program != "medicare-wiser" or codes[row.session_id] & {"64483", "62323",
                                                                           "62321", "64479"}
    # each month of the last year: approvals, partial approvals and denials with a reason
    for first in (date(2025, 12, 1), date(2026, 6, 1), date(2026, 11, 1)):
        month = Counter(r.status for r in rows if r.decided_at.date().replace(day=1) == first)
        assert month["approved"] > month["denied"] >= 1 and month["partial"] >= 1, first
    assert all(r.decision_reason for r in rows if r.status == "denied")
    steps = _steps(engine)
    assert len(steps) == report.denial_steps and {s.kind for s in steps} == {"peer_to_peer",
                                                                             "first_level"}
    assert {s.outcome for s in steps if s.deadline < AS_OF} <= {"overturned", "upheld",
                                                                "withdrawn"}
    # denials settled long ago are closed; the work queue holds only those still appealable
    from tracker.authorizations.appeal_windows import appeal_windows
    from tracker.authorizations.queue import work_queue

    appeals = {i.authorization_id for i in work_queue(engine, AS_OF).items
               if i.kind in ("appeal", "peer_to_peer")}
    with engine.connect() as connection:
        denied = list(connection.execute(
            select(AuthorizationRow.id, AuthorizationRow.payer, AuthorizationRow.decided_at)
            .where(col(AuthorizationRow.id) > before, AuthorizationRow.status == "denied")))
        still_open = set(connection.execute(select(DenialStepRow.authorization_id).where(
            col(DenialStepRow.outcome).is_(None))).scalars())
    settled = {i for i, payer, decided in denied if decided.date()
               + timedelta(days=appeal_windows(payer)["first_level"]) < AS_OF
               and i not in still_open}
    assert settled and not appeals & settled
    assert appeals >= {i for i, _, _ in denied} - settled
    # the exempt provider's OPD record is the scenario's: 11 of 12, qualifying
    [opd] = [r for r in approval_rates(engine, 2026) if r.program == "medicare-opd"
             and r.standing == "qualifies"]
    assert (opd.approved, opd.requests) == (11, 12)

    # the same seed on the same practice writes the same history
    with engine.begin() as connection:
        connection.execute(delete(DenialStepRow))
        connection.execute(delete(AuthorizationRow).where(col(AuthorizationRow.id) > before))
    again = add_authorization_history(engine, as_of=AS_OF, seed=7)
    assert again == report and _history(engine, before) == rows
    assert _steps(engine) == steps
