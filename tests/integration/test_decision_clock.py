"""The decision deadline of a stored authorization: its program's clock in force on the
submission date, and CMS-0057-F's for Medicare Advantage and Medicaid/CHIP coverages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import select

from tracker.authorizations.decisions import deadline_for
from tracker.store.tables import AuthorizationRow, CoverageRow, PatientRow, SessionRow


def _authorization(db: DbSession, payer: str, program: str | None,
                   plan_type: str | None) -> AuthorizationRow:
    patient = PatientRow(mrn="CLOCK-1", family_name="Clockperson", given_name="Sam",
                         birth_date=date(1950, 1, 1))
    db.add(patient)
    db.flush()
    assert patient.id is not None
    db.add(CoverageRow(patient_id=patient.id, payer=payer, member_id="M-1",
                       effective_start=date(2020, 1, 1), plan_type=plan_type))
    session = SessionRow(patient_id=patient.id, date=date(2027, 1, 20), status="scheduled")
    db.add(session)
    db.flush()
    assert session.id is not None
    auth = AuthorizationRow(session_id=session.id, payer=payer, program=program, status="ready")
    db.add(auth)
    db.flush()
    return auth


@pytest.mark.parametrize(("payer", "program", "plan_type", "submitted", "due"), [
    # OPD before 2025: 10 business days over two weekends, Christmas and New Year's Day
    ("medicare", "medicare-opd", None, datetime(2024, 12, 17, 9, tzinfo=UTC),
     datetime(2025, 1, 2, 9, tzinfo=UTC)),
    # OPD from 2025: 7 calendar days
    ("medicare", "medicare-opd", None, datetime(2025, 3, 3, 9, tzinfo=UTC),
     datetime(2025, 3, 10, 9, tzinfo=UTC)),
    ("medicare", "medicare-wiser", None, datetime(2026, 3, 6, 9, tzinfo=UTC),
     datetime(2026, 3, 9, 9, tzinfo=UTC)),
])
def test_the_deadline_runs_on_the_programs_clock_of_the_submission_date(
        engine: Engine, payer: str, program: str, plan_type: str | None, submitted: datetime,
        due: datetime) -> None:
    with DbSession(engine) as db:
        auth = _authorization(db, payer, program, plan_type)
        assert deadline_for(db, auth, submitted) == due


def test_a_medicare_advantage_coverage_runs_on_cms_0057f_from_2026(
        engine: Engine, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "aetna.yaml").write_text(
        "payer: aetna\ndecision_clock: {standard_days: 15, expedited_hours: 96}\nrules: []\n")
    monkeypatch.setenv("PAINAUTH_POLICY_DIRS", str(folder))
    submitted = datetime(2026, 2, 2, 9, tzinfo=UTC)
    with DbSession(engine) as db:
        auth = _authorization(db, "aetna", "aetna-precertification", "medicare_advantage")
        assert (deadline_for(db, auth, submitted) - submitted).days == 7
        auth.priority = "expedited"
        assert (deadline_for(db, auth, submitted) - submitted).total_seconds() == 72 * 3600
        coverage = db.exec(select(CoverageRow)).one()
        coverage.plan_type = "commercial"
        db.add(coverage)
        db.flush()
        auth.priority = "standard"
        assert (deadline_for(db, auth, submitted) - submitted).days == 15
