"""The store: migrations on both backends, settings, and the patient record the engine reads."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import SQLModel, select

from tracker.settings import BadSetting, Settings
from tracker.store import SchemaNotCurrent, connect, require_current_schema, upgrade
from tracker.store.patient_record import NoCoverageOnDate, load_patient_record, load_patient_records
from tracker.store.tables import PatientRow, SessionRow

from .practice_files import GOOD_ROWS, TODAY, run_import, write_csv


def test_migrated_database_matches_the_table_definitions(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection),
                                       SQLModel.metadata)
    assert differences == []


def test_upgrading_an_up_to_date_database_changes_nothing(database_url: str) -> None:
    upgrade(database_url)
    engine = connect(database_url)
    require_current_schema(engine)
    engine.dispose()


def test_a_database_never_upgraded_is_refused_with_the_fix(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    with pytest.raises(SchemaNotCurrent, match="painauth db upgrade"):
        require_current_schema(engine)
    engine.dispose()


def test_default_database_is_a_sqlite_file_under_home(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAINAUTH_DATABASE_URL", raising=False)
    monkeypatch.setenv("PAINAUTH_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("PAINAUTH_POLICY_DIRS", f"/srv/a{os.pathsep}/srv/b")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.resolved_database_url() == f"sqlite:///{tmp_path / 'data' / 'painauth.sqlite'}"
    assert settings.policy_dirs == [Path("/srv/a"), Path("/srv/b")]


def test_database_password_never_shows_in_settings_or_messages(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", "postgresql+psycopg://app:s3cret@db:5432/painauth")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert "s3cret" not in repr(settings)
    assert "s3cret" not in settings.database_url_for_display()
    assert settings.resolved_database_url().endswith("app:s3cret@db:5432/painauth")


def _patient_id(engine: Engine, mrn: str) -> int:
    with DbSession(engine) as db:
        patient = db.exec(select(PatientRow).where(PatientRow.mrn == mrn)).one()
        assert patient.id is not None
        return patient.id


def _session_id(engine: Engine, patient_id: int, day: date) -> int:
    with DbSession(engine) as db:
        row = db.exec(select(SessionRow).where(SessionRow.patient_id == patient_id,
                                              SessionRow.date == day)).one()
        assert row.id is not None
        return row.id


def test_patient_record_asks_the_engine_about_a_scheduled_session(engine: Engine,
                                                                   samples: Path) -> None:
    run_import(engine, samples)
    patient = _patient_id(engine, "SYN-1001")
    scheduled = _session_id(engine, patient, date(2026, 12, 10))
    with DbSession(engine) as db:
        record = load_patient_record(db, patient)
    request = record.check_request(scheduled, as_of=TODAY)
    assert request.payer == "medicare"
    assert request.patient_id == "SYN-1001"
    assert request.scheduled.date == date(2026, 12, 10)
    assert [c.code for c in request.scheduled.codes] == ["64483", "64484"]
    assert [s.date for s in request.history] == [date(2026, 2, 10), date(2026, 6, 2)]
    assert request.history[0].outcome is not None
    assert request.history[0].outcome.relief_percent == 70
    assert request.other_scheduled == ()
    assert {c.kind for c in request.conservative_care} == {"physical_therapy", "medication"}


def test_patient_record_uses_the_primary_coverage_in_force(engine: Engine,
                                                           samples: Path) -> None:
    run_import(engine, samples)
    patient = _patient_id(engine, "SYN-1003")
    with DbSession(engine) as db:
        record = load_patient_record(db, patient)
    request = record.check_request(_session_id(engine, patient, date(2026, 12, 8)), as_of=TODAY)
    assert request.payer == "medicare"
    assert [p.result for p in request.psych_evaluations] == ["cleared"]
    assert request.scheduled.codes[0].modifiers == ("50",)


def test_session_after_coverage_ended_has_no_payer(engine: Engine, samples: Path,
                                                   tmp_path: Path) -> None:
    later = dict(GOOD_ROWS["sessions"], patient_mrn="SYN-1002", date="2027-01-05",
                 status="scheduled", relief_percent="", duration_days="", provider_npi="")
    run_import(engine, samples, write_csv(tmp_path, "sessions", [later]))
    patient = _patient_id(engine, "SYN-1002")  # aetna coverage ends 2026-12-31
    with DbSession(engine) as db:
        record = load_patient_record(db, patient)
    assert record.payer_on(date(2026, 12, 15)) == "aetna"
    with pytest.raises(NoCoverageOnDate, match="SYN-1002"):
        record.check_request(_session_id(engine, patient, date(2027, 1, 5)), as_of=TODAY)


def test_the_practice_state_setting_is_the_state_of_stored_visits(
        engine: Engine, samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run_import(engine, samples)
    patient = _patient_id(engine, "SYN-1001")
    session = _session_id(engine, patient, date(2026, 12, 10))
    monkeypatch.setenv("PAINAUTH_PRACTICE_STATE", "tx")
    with DbSession(engine) as db:
        record = load_patient_records(db, [patient])[patient]
    assert record.check_request(session, as_of=TODAY).service_state == "TX"
    monkeypatch.setenv("PAINAUTH_PRACTICE_STATE", "Texas")
    with DbSession(engine) as db, pytest.raises(BadSetting, match="PAINAUTH_PRACTICE_STATE"):
        load_patient_records(db, [patient])


def test_the_copies_triggers_on_postgresql_never_plan_a_sequential_scan(
        postgresql_url: str, empty_tables: Callable[[str], str]) -> None:
    """Planned while visit_readiness was empty, a deletion kept scanning it whole as it grew: a
    fresh practice's first check took minutes. Every forgetting function is set to use indexes."""
    from sqlalchemy import text

    from tracker.store import charge_triggers, readiness_triggers

    engine = connect(empty_tables(postgresql_url))
    try:
        with engine.connect() as connection:
            settings = dict(connection.execute(text(
                "SELECT proname, proconfig FROM pg_proc WHERE proname LIKE '%\\_forget\\_%'")).all())
    finally:
        engine.dispose()
    expected = {f"{copy}_forget_{table}" for copy, forget in (
        ("visit_readiness", readiness_triggers.FORGET), ("charge_checks", charge_triggers.FORGET))
        for table in forget}
    assert set(settings) == expected
    assert all(config and "enable_seqscan=off" in config for config in settings.values())
