"""One visit walked through its authorization's life, on SQLite and PostgreSQL: what the scheduler
reads at each step (needed, submitted, approved, rescheduled outside the window, re-approved,
performed with a code nobody authorized), a denial, and a two-session approval used in turn."""

from __future__ import annotations

import csv
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from notifications.outbox import queue_alerts
from notifications.settings import AlertSettings
from tracker.authorizations.billing_review import review_imported
from tracker.authorizations.decisions import record_answer
from tracker.authorizations.manual_entry import record_manual_decision, record_manual_submission
from tracker.authorizations.updates import change_authorization_status
from tracker.importers.service import import_practice_files
from tracker.payers.claim_response import ItemDecision
from tracker.payers.pas_response import PasResponse
from tracker.payers.review_decisions import APPROVED
from tracker.store.tables import (
    AlertRow,
    AuthorizationEventRow,
    AuthorizationRow,
    PatientRow,
    SessionRow,
)
from tracker.visits.pre_visit import check_upcoming_visits
from tracker.visits.upcoming import UpcomingVisit, upcoming_visits

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
MRN = "SYN-1002"  # Aetna, facet RFA 64635 + 64636 on 2026-12-15: needs prior authorization
BOOKING = {"patient_mrn": MRN, "date": "2026-12-15", "status": "scheduled",
           "codes": "64635;64636", "place_of_service": "24", "provider_npi": "1987654328",
           "diagnoses": "M47.816;M54.50", "source_id": "appt-5501"}


def _practice(folder: Path, samples: Path, *bookings: dict[str, str]) -> Path:
    """The sample practice, with SYN-1002's booking replaced by `bookings` (with source ids)."""
    folder.mkdir(parents=True, exist_ok=True)
    for sample in samples.glob("*.csv"):
        shutil.copy(sample, folder / sample.name)
    with (samples / "sessions.csv").open() as handle:
        rows = [r for r in csv.DictReader(handle)
                if not (r["patient_mrn"] == MRN and r["status"] == "scheduled")]
    with (folder / "sessions.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*rows[0].keys(), "source_id"])
        writer.writeheader()
        writer.writerows(rows)
        writer.writerows(bookings)
    return folder


def _import(engine: Engine, folder: Path, today: date = TODAY) -> None:
    """As `painauth import` and the import flow do: import, then review what was performed."""
    report = import_practice_files([folder], engine, today=today)
    assert report.clean, [(f.path, f.error, f.refused) for f in report.files]
    review_imported(engine, report)


def _visit(engine: Engine, day: date = TODAY, days: int = 60) -> UpcomingVisit:
    found = [v for v in upcoming_visits(engine, day, days, now=NOW) if v.mrn == MRN]
    assert len(found) == 1, found
    return found[0]


def _only_authorization(engine: Engine) -> AuthorizationRow:
    with DbSession(engine) as db:
        auths = list(db.execute(select(AuthorizationRow)).scalars())
    assert len(auths) == 1, auths
    return auths[0]


def test_a_visit_reads_its_authorization_through_reschedule_and_performance(
        engine: Engine, samples: Path, tmp_path: Path) -> None:
    folder = _practice(tmp_path / "practice", samples, BOOKING)
    _import(engine, folder)
    check_upcoming_visits(engine, TODAY)
    visit = _visit(engine)
    assert (visit.readiness.readiness, visit.reasons) == ("act", ("NOT_SUBMITTED",))
    auth = _only_authorization(engine)
    assert auth.id is not None and auth.status == "needed"

    record_manual_submission(engine, auth.id, actor="bea.billing", channel="fax",
                             submitted_at=NOW)
    assert (_visit(engine).readiness.readiness, _visit(engine).reasons) == (
        "waiting", ("AWAITING_DECISION",))

    record_manual_decision(engine, auth.id, actor="bea.billing", decision="approved",
                           auth_number="AET-7731", valid_from=date(2026, 12, 1),
                           valid_to=date(2026, 12, 20))
    visit = _visit(engine)
    assert (visit.readiness.readiness, visit.reasons) == ("clear", ("APPROVED",))
    assert (visit.auth_number, visit.auth_valid_to, visit.auth_units) == (
        "AET-7731", "2026-12-20", "2 of 2 procedure units")
    session_id = visit.session_id

    moved = {**BOOKING, "date": "2026-12-28"}  # the practice system moved the booking
    _import(engine, _practice(tmp_path / "moved", samples, moved))
    visit = _visit(engine)
    assert (visit.session_id, visit.date, visit.authorization_id) == (
        session_id, date(2026, 12, 28), auth.id)
    assert (visit.readiness.readiness, visit.reasons) == (
        "act", ("OUTSIDE_APPROVED_WINDOW", "NOT_EVALUATED"))
    assert "2026-12-01 to 2026-12-20" in visit.next_action
    check_upcoming_visits(engine, TODAY, horizon_days=30)  # the next run checks the new date
    assert _visit(engine).reasons == ("OUTSIDE_APPROVED_WINDOW",)

    change_authorization_status(engine, auth.id, "approved", actor="bea.billing",
                                reason="payer extended by phone, ref 88", auth_number="AET-7731",
                                valid_from=date(2026, 12, 1), valid_to=date(2026, 12, 31))
    assert _visit(engine).readiness.readiness == "clear"

    performed = {**moved, "status": "performed", "codes": "64635;64636;64493"}
    _import(engine, _practice(tmp_path / "performed", samples, performed), date(2026, 12, 29))
    flagged = _only_authorization(engine)
    assert "billing_review" in flagged.flags
    with DbSession(engine) as db:
        reasons = list(db.execute(select(col(AuthorizationEventRow.reason))
                                  .where(col(AuthorizationEventRow.authorization_id) == auth.id))
                       .scalars())
        sessions = db.execute(select(func.count()).select_from(SessionRow)
                              .join(PatientRow, col(PatientRow.id) == col(SessionRow.patient_id))
                              .where(col(PatientRow.mrn) == MRN)).scalar()
    assert any("64493 billed on 2026-12-28, not authorized" in (r or "") for r in reasons)
    assert sessions == 3  # two diagnostic blocks and the one booking, moved then performed

    queue_alerts(engine, datetime.now(UTC), AlertSettings())
    with DbSession(engine) as db:
        kinds = list(db.execute(select(col(AlertRow.kind), col(AlertRow.payload))
                                .where(col(AlertRow.kind) == "billing_review")))
    assert len(kinds) == 1 and "64493" in kinds[0][1]["mismatch"]


def _submitted(engine: Engine, samples: Path, tmp_path: Path, channel: str) -> int:
    """The booking imported and checked, its authorization submitted by hand at NOW; its id."""
    _import(engine, _practice(tmp_path / "practice", samples, BOOKING))
    check_upcoming_visits(engine, TODAY)
    auth = _only_authorization(engine)
    assert auth.id is not None
    record_manual_submission(engine, auth.id, actor="bea.billing", channel=channel,
                             submitted_at=NOW)
    return auth.id


def test_a_denied_authorization_stops_the_visit(engine: Engine, samples: Path,
                                                tmp_path: Path) -> None:
    auth_id = _submitted(engine, samples, tmp_path, "portal")
    record_manual_decision(engine, auth_id, actor="bea.billing", decision="denied",
                           reason="conservative care not documented")
    visit = _visit(engine)
    assert (visit.readiness.readiness, visit.reasons) == ("stop", ("DENIED",))
    assert "conservative care not documented" in visit.next_action


def test_an_approval_for_two_sessions_covers_the_second_booking_and_counts_what_is_used(
        engine: Engine, samples: Path, tmp_path: Path) -> None:
    first = {**BOOKING, "date": "2026-12-04", "source_id": "appt-1"}
    _import(engine, _practice(tmp_path / "one", samples, first))
    check_upcoming_visits(engine, TODAY)
    auth = _only_authorization(engine)
    assert auth.id is not None
    record_manual_submission(engine, auth.id, actor="bea.billing", channel="fax",
                             submitted_at=NOW)
    with DbSession(engine) as db:
        row = db.get(AuthorizationRow, auth.id)
        assert row is not None
        answer = PasResponse(kind="claim_response", status=APPROVED, awaiting_decision=False,
                             items=tuple(ItemDecision(
                                 sequence=n, decision=APPROVED, review_action=None,
                                 auth_number="AET-SERIES-1", period=("2026-12-01", "2026-12-31"),
                                 quantity=2, reasons=()) for n in (1, 2)))
        record_answer(db, row, answer, actor="follow-up-authorizations")
        db.commit()
    performed = {**first, "status": "performed"}
    second = {**BOOKING, "date": "2026-12-22", "source_id": "appt-2"}
    _import(engine, _practice(tmp_path / "two", samples, performed, second), date(2026, 12, 5))
    check_upcoming_visits(engine, date(2026, 12, 5))

    visit = _visit(engine, date(2026, 12, 5))
    assert visit.date == date(2026, 12, 22) and visit.authorization_id == auth.id
    assert (visit.readiness.readiness, visit.reasons) == ("clear", ("APPROVED",))
    lines = {line.code: line for line in visit.authorization.lines} if visit.authorization else {}
    assert [(lines[c].units_used, lines[c].units_left) for c in ("64635", "64636")] == [
        (1, 1), (1, 1)]
    with DbSession(engine) as db:
        opened = db.execute(select(func.count()).select_from(AuthorizationRow)).scalar()
    assert opened == 1  # the second booking uses the open approval: no new request
    assert "billing_review" not in _only_authorization(engine).flags


def test_the_board_turns_waiting_into_act_when_the_payers_clock_runs_out(
        engine: Engine, samples: Path, tmp_path: Path) -> None:
    """Nothing in the data changes: only time passes the decision's due moment. The board's
    stored readiness must still say so — for the whole range and for one provider's view."""
    from tracker.visits.visit_pages import VisitChoice, visit_page

    _submitted(engine, samples, tmp_path, "fax")
    due = _only_authorization(engine).decision_due_at
    assert due is not None
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    with DbSession(engine) as db:
        provider_id = db.execute(select(SessionRow.provider_id).where(
            col(SessionRow.source_id) == "appt-5501")).scalar_one()

    def board(now: datetime, provider: int | None = None) -> tuple[str, ...]:
        """The readinesses the board's filter finds the visit under (counted and filtered on
        the stored copy), and what its row says."""
        found = []
        for readiness in ("stop", "act", "waiting", "clear"):
            choice = VisitChoice(start=TODAY, until=date(2026, 12, 31), provider_id=provider,
                                 readiness=readiness)
            page = visit_page(engine, choice, now=now, size=100)
            found += [(readiness, v.readiness.readiness, *v.reasons)
                      for v in page.visits if v.mrn == MRN]
        assert len(found) == 1, found
        return found[0]

    assert board(NOW) == ("waiting", "waiting", "AWAITING_DECISION")
    later = due + timedelta(minutes=1)
    assert board(later, provider_id) == ("act", "act", "DECISION_OVERDUE")
    assert board(later) == ("act", "act", "DECISION_OVERDUE")
