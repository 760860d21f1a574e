"""Importing the documented CSV files: validation, quarantine, duplicates and re-import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.store.tables import (
    CoverageRow,
    PatientRow,
    ProviderRow,
    QuarantinedRow,
    SessionCodeRow,
    SessionRow,
)

from .practice_files import (
    GOOD_ROWS,
    count,
    run_import,
    seed_patient_and_provider,
    write_csv,
)

# (kind, column, bad value, words the reason must contain). Every documented column is here.
BAD_VALUES: list[tuple[str, str, str, str]] = [
    ("patients", "mrn", "", "mrn is empty"),
    ("patients", "mrn", "P 1", "only letters, digits"),
    ("patients", "family_name", "", "family_name is empty"),
    ("patients", "given_name", "", "given_name is empty"),
    ("patients", "birth_date", "1960-13-01", "not a date"),
    ("patients", "birth_date", "01/02/1960", "YYYY-MM-DD"),
    ("patients", "birth_date", "2999-01-01", "in the future"),
    ("patients", "fhir_id", "not an id!", "only letters, digits"),
    ("providers", "npi", "12345", "not a valid NPI"),
    ("providers", "npi", "1234567890", "check digit"),
    ("providers", "name", "", "name is empty"),
    ("providers", "phone", "555-0101", "international form"),
    ("providers", "email", "synthia.example.org", "not an email address"),
    ("providers", "time_zone", "Mars/Olympus_Mons", "not an IANA time zone"),
    ("providers", "alert_channels", "pager", "pager"),
    ("providers", "quiet_hours_start", "9pm", "HH:MM"),
    ("providers", "quiet_hours_end", "", "give both"),
    ("providers", "digest", "maybe", "not true or false"),
    ("locations", "code", "", "code is empty"),
    ("locations", "code", "ASC 2", "only letters, digits"),
    ("locations", "name", "", "name is empty"),
    ("locations", "address", "", "address is empty"),
    ("locations", "npi", "1234567890", "not a valid NPI"),
    ("locations", "place_of_service", "ASC", "place-of-service"),
    ("locations", "state", "Texas", "USPS state code"),
    ("coverages", "patient_mrn", "P-404", "not a known patient"),
    ("coverages", "payer", "Medicare Part B", "payer policy id"),
    ("coverages", "member_id", "", "member_id is empty"),
    ("coverages", "effective_start", "2024-02-30", "not a date"),
    ("coverages", "effective_end", "2023-12-31", "before effective_start"),
    ("coverages", "rank", "third", "not one of"),
    ("coverages", "plan_type", "hmo", "not one of"),
    ("conservative_care", "patient_mrn", "P-404", "not a known patient"),
    ("conservative_care", "kind", "yoga", "not one of"),
    ("conservative_care", "start", "last week", "not a date"),
    ("conservative_care", "start", "2999-01-01", "in the future"),
    ("conservative_care", "end", "2025-12-31", "before start"),
    ("conservative_care", "outcome", "meh", "not one of"),
    ("conservative_care", "visits", "twelve", "not a whole number"),
    ("psych_evaluations", "patient_mrn", "", "patient_mrn is empty"),
    ("psych_evaluations", "date", "2026-02-30", "not a date"),
    ("psych_evaluations", "date", "2999-01-01", "in the future"),
    ("psych_evaluations", "result", "passed", "not one of"),
    ("imaging", "modality", "PET", "not one of"),
    ("imaging", "region", "", "region is empty"),
    ("sessions", "patient_mrn", "P-404", "not a known patient"),
    ("sessions", "date", "2026-6-2", "not a date"),
    ("sessions", "date", "2999-01-01", "in the future"),
    ("sessions", "status", "done", "not one of"),
    ("sessions", "codes", "", "codes is empty"),
    ("sessions", "codes", "6448", "not a CPT/HCPCS code"),
    ("sessions", "codes", "64483;64484x-1", "negative units"),
    ("sessions", "codes", "27096-5", "modifier"),
    ("sessions", "place_of_service", "O1", "place-of-service"),
    ("sessions", "intent", "curative", "not one of"),
    ("sessions", "muscles", "-1", "below 0"),
    ("sessions", "muscles", "two", "not a whole number"),
    ("sessions", "relief_percent", "120", "outside 0-100"),
    ("sessions", "relief_percent", "-5", "outside 0-100"),
    ("sessions", "relief_percent", "lots", "not a number"),
    ("sessions", "duration_days", "-3", "below 0"),
    ("sessions", "duration_days", "3.5", "not a whole number"),
    ("sessions", "provider_npi", "1555555550", "not a known provider"),
    ("sessions", "provider_npi", "42", "not a valid NPI"),
    ("sessions", "diagnoses", "M54.16;5416", "not an ICD-10-CM code"),
    ("sessions", "diagnoses", "M54.16.1", "not an ICD-10-CM code"),
    ("sessions", "medication_reduction_percent", "150", "outside 0-100"),
    ("sessions", "service_state", "Texas", "USPS state code"),
    ("sessions", "drugs", "J3301 dose=40", "not a drug line of this session's codes"),
    ("sessions", "drugs", "J1010 dose=forty", "not an amount in mg"),
    ("sessions", "drugs", "J1010 dose=-4", "not an amount in mg"),
    ("sessions", "drugs", "J1010 container=vial", "single_dose or multi_dose"),
    ("sessions", "drugs", "J1010 ndc=1234", "not an 11-digit NDC"),
    ("sessions", "drugs", "J1010 lot=A1", "not one of dose=MG"),
    ("sessions", "location", "NOWHERE", "not a known location"),
    ("sessions", "levels", "64490 L4-L5", "not a line of this session's codes"),
    ("sessions", "levels", "64483 L4/L5", "not a spinal level"),
    ("sessions", "levels", "64483", "has no level"),
    ("sessions", "pain_before", "11", "not a pain score"),
    ("sessions", "function_scale", "VAS", "not one of"),
]


def _second_key(kind: str, row: dict[str, str]) -> dict[str, str]:
    """The good row moved to another natural key, so a bad row never collides with it."""
    other = {"patients": {"mrn": "P-2"}, "providers": {"npi": "1987654328"},
             "locations": {"code": "CLINIC-2"},
             "coverages": {"member_id": "OTHER-1"}, "conservative_care": {"kind": "medication"},
             "psych_evaluations": {"date": "2026-10-01"}, "imaging": {"modality": "CT"},
             "sessions": {"date": "2026-07-01"}}
    return {**row, **other[kind]}


@pytest.mark.parametrize(("kind", "column", "value", "reason"), BAD_VALUES,
                         ids=[f"{k}-{c}-{v or 'empty'}" for k, c, v, _ in BAD_VALUES])
def test_bad_value_is_quarantined_with_line_field_and_reason_while_good_row_loads(
        engine: Engine, tmp_path: Path, kind: str, column: str, value: str, reason: str) -> None:
    seed_patient_and_provider(engine, tmp_path)
    bad = {**GOOD_ROWS[kind], column: value}
    path = write_csv(tmp_path, kind, [_second_key(kind, GOOD_ROWS[kind]), bad])

    report = run_import(engine, path)

    counts = report.totals()[kind]
    assert (counts.loaded, counts.quarantined) == (1, 1)
    with DbSession(engine) as db:
        quarantined = db.exec(select(QuarantinedRow)).one()
    assert quarantined.line == 3
    assert quarantined.field == column
    assert reason in quarantined.reason
    assert quarantined.source == str(path.resolve())
    assert json.loads(quarantined.raw)[column] == value


def test_every_sample_file_loads_without_a_quarantined_row(engine: Engine, samples: Path) -> None:
    report = run_import(engine, samples)
    assert report.clean
    assert {k: c.loaded for k, c in report.totals().items()} == {
        "patients": 5, "providers": 2, "coverages": 6, "conservative_care": 4,
        "psych_evaluations": 1, "sessions": 11, "fees": 8}


def test_reimporting_the_same_files_changes_nothing(engine: Engine, samples: Path) -> None:
    run_import(engine, samples)
    with DbSession(engine) as db:
        before = [(s.id, s.status, s.updated_at) for s in db.exec(select(SessionRow))]
        lines_before = count(engine, SessionCodeRow)

    report = run_import(engine, samples)

    assert all(c.loaded == c.updated == c.quarantined == 0 for c in report.totals().values())
    assert sum(c.unchanged for c in report.totals().values()) == 37
    with DbSession(engine) as db:
        after = [(s.id, s.status, s.updated_at) for s in db.exec(select(SessionRow))]
    assert sorted(after) == sorted(before)
    assert count(engine, SessionCodeRow) == lines_before


def test_a_changed_row_updates_the_stored_one_in_place(engine: Engine, tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    path = write_csv(tmp_path, "sessions", [GOOD_ROWS["sessions"]])
    run_import(engine, path)
    write_csv(tmp_path, "sessions", [{**GOOD_ROWS["sessions"], "codes": "64483;64484x2",
                                      "relief_percent": "80"}])

    report = run_import(engine, path)

    assert report.totals()["sessions"].updated == 1
    with DbSession(engine) as db:
        session = db.exec(select(SessionRow)).one()
        units = [c.units for c in db.exec(select(SessionCodeRow)
                                          .order_by(col(SessionCodeRow.position)))]
    assert session.relief_percent == 80
    assert units == [1, 2]


def test_identical_duplicate_rows_load_once(engine: Engine, tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    row = GOOD_ROWS["coverages"]
    report = run_import(engine, write_csv(tmp_path, "coverages", [row, row]))
    counts = report.totals()["coverages"]
    assert (counts.loaded, counts.unchanged, counts.quarantined) == (1, 1, 0)
    assert count(engine, CoverageRow) == 1


def test_conflicting_duplicate_is_quarantined_naming_the_first_line(engine: Engine,
                                                                     tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    first = GOOD_ROWS["sessions"]
    second = {**first, "relief_percent": "20"}
    report = run_import(engine, write_csv(tmp_path, "sessions", [first, second]))

    assert report.totals()["sessions"].quarantined == 1
    with DbSession(engine) as db:
        quarantined = db.exec(select(QuarantinedRow)).one()
        stored = db.exec(select(SessionRow)).one()
    assert quarantined.line == 3
    assert "line 2" in quarantined.reason and "relief_percent" in quarantined.reason
    assert stored.relief_percent == 70


def test_mixed_file_loads_good_rows_and_quarantines_bad_ones_losing_nothing(
        engine: Engine, tmp_path: Path) -> None:
    good = [{"mrn": f"P-{n}", "family_name": "Mixed", "given_name": f"Row{n}",
             "birth_date": "1970-01-01"} for n in range(10, 20)]
    bad = [{"mrn": "P-90", "family_name": "", "given_name": "Nofamily", "birth_date": "1970-01-01"},
           {"mrn": "P-91", "family_name": "Baddate", "given_name": "X", "birth_date": "1970-02-31"},
           {"mrn": "P 92", "family_name": "Space", "given_name": "Y", "birth_date": "1970-01-01"}]
    rows = good[:4] + [bad[0]] + good[4:7] + bad[1:] + good[7:]
    report = run_import(engine, write_csv(tmp_path, "patients", rows))

    counts = report.totals()["patients"]
    assert (counts.loaded, counts.quarantined) == (10, 3)
    assert counts.loaded + counts.quarantined == len(rows)
    assert count(engine, PatientRow) == 10
    with DbSession(engine) as db:
        lines = [(q.line, q.field) for q in db.exec(select(QuarantinedRow)
                                                    .order_by(col(QuarantinedRow.line)))]
    assert lines == [(6, "family_name"), (10, "birth_date"), (11, "mrn")]


def test_fixing_a_file_clears_its_quarantined_rows(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "patients", [{**GOOD_ROWS["patients"], "birth_date": "1960-02-30"}])
    run_import(engine, path)
    assert count(engine, QuarantinedRow) == 1
    write_csv(tmp_path, "patients", [GOOD_ROWS["patients"]])

    report = run_import(engine, path)

    assert report.clean
    assert count(engine, QuarantinedRow) == 0
    assert count(engine, PatientRow) == 1


def test_a_performed_session_is_never_turned_back_into_a_scheduled_one(
        engine: Engine, tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    run_import(engine, write_csv(tmp_path, "sessions", [GOOD_ROWS["sessions"]]))
    stale = {**GOOD_ROWS["sessions"], "status": "scheduled", "relief_percent": "",
             "duration_days": ""}
    run_import(engine, write_csv(tmp_path, "sessions", [stale], name="schedule_export.csv"))
    with DbSession(engine) as db:
        assert db.exec(select(SessionRow)).one().status == "performed"


def test_a_scheduled_session_becomes_performed_when_the_visit_is_exported(
        engine: Engine, tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    booked = {**GOOD_ROWS["sessions"], "status": "scheduled", "relief_percent": "",
              "duration_days": ""}
    run_import(engine, write_csv(tmp_path, "sessions", [booked], name="schedule.csv"))
    report = run_import(engine, write_csv(tmp_path, "sessions", [GOOD_ROWS["sessions"]]))
    assert report.totals()["sessions"].updated == 1
    assert count(engine, SessionRow) == 1


def test_codes_column_keeps_units_modifiers_and_order(engine: Engine, tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    row = {**GOOD_ROWS["sessions"], "codes": "64483; +64484x2 ;27096-50-RT;J1010x40"}
    run_import(engine, write_csv(tmp_path, "sessions", [row]))
    with DbSession(engine) as db:
        lines = [(c.code, c.units, c.modifiers) for c in db.exec(
            select(SessionCodeRow).order_by(col(SessionCodeRow.position)))]
    assert lines == [("64483", 1, []), ("64484", 2, []), ("27096", 1, ["50", "RT"]),
                     ("J1010", 40, [])]


def test_drugs_column_says_what_was_given_on_the_drug_line(engine: Engine, tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    row = {**GOOD_ROWS["sessions"], "codes": "64483;J1010x40;J1010-JWx10;J3301x4",
           "drugs": "J1010 dose=40mg wasted=10 container=single_dose ndc=00009-3073-03;"
                    "J3301 dose=40"}
    run_import(engine, write_csv(tmp_path, "sessions", [row]))
    with DbSession(engine) as db:
        lines = [(c.code, c.units, c.modifiers, c.dose_mg, c.wasted_mg, c.container, c.ndc)
                 for c in db.exec(select(SessionCodeRow).order_by(col(SessionCodeRow.position)))]
    assert lines == [("64483", 1, [], None, None, None, None),
                     ("J1010", 40, [], 40.0, 10.0, "single_dose", "00009307303"),
                     ("J1010", 10, ["JW"], None, None, None, None),
                     ("J3301", 4, [], 40.0, None, None, None)]


def test_reimporting_a_changed_dose_updates_the_drug_line(engine: Engine, tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    run_import(engine, write_csv(tmp_path, "sessions", [GOOD_ROWS["sessions"]]))
    changed = {**GOOD_ROWS["sessions"], "drugs": "J1010 dose=80 container=single_dose"}
    run_import(engine, write_csv(tmp_path, "sessions", [changed]))
    with DbSession(engine) as db:
        doses = [c.dose_mg for c in db.exec(select(SessionCodeRow)
                                            .where(SessionCodeRow.code == "J1010"))]
    assert doses == [80.0]


def test_providers_alert_preferences_are_stored(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, write_csv(tmp_path, "providers", [GOOD_ROWS["providers"]]))
    with DbSession(engine) as db:
        provider = db.exec(select(ProviderRow)).one()
    assert provider.alert_channels == ["sms", "email"]
    assert (provider.quiet_hours_start.isoformat(), provider.time_zone) == (  # type: ignore[union-attr]
        "21:00:00", "America/Chicago")


def test_a_row_with_more_fields_than_the_header_is_quarantined(engine: Engine,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_text("mrn,family_name,given_name,birth_date\n"
                    "P-1,Testperson,Alex,1960-01-02\n"
                    "P-2,Smith, Jr,Sam,1960-01-02\n", encoding="utf-8")
    report = run_import(engine, path)
    assert report.files[0].refused[0].line == 3
    assert "quote values that contain commas" in report.files[0].refused[0].reason
    assert count(engine, PatientRow) == 1


@pytest.mark.parametrize(("name", "content", "message"), [
    ("export.csv", "when,what\n2026-01-01,x\n", "cannot tell what this file holds"),
    ("sessions.csv", "patient_mrn,date,codes\nP-1,2026-01-01,64483\n", "lacks status"),
    ("patients.csv", "", "the file is empty"),
    ("bundle.json", "{not json", "not valid JSON"),
    ("bundle.json", '{"resourceType": "Patient"}', "not a FHIR Bundle"),
])
def test_a_file_that_cannot_be_read_is_reported_and_nothing_else_stops(
        engine: Engine, tmp_path: Path, name: str, content: str, message: str) -> None:
    broken = tmp_path / "in" / name
    broken.parent.mkdir()
    broken.write_text(content, encoding="utf-8")
    good = write_csv(tmp_path, "patients", [GOOD_ROWS["patients"]], name="good_patients.csv")

    report = run_import(engine, broken, good)

    errors = {r.path: r.error for r in report.files}
    assert message in (errors[str(broken)] or "")
    assert errors[str(good)] is None
    assert count(engine, PatientRow) == 1


def test_a_file_that_is_not_utf8_says_how_to_save_it(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "patients.csv"
    path.write_bytes("mrn,family_name,given_name,birth_date\nP-1,M\xfcller,Ana,1960-01-02\n"
                     .encode("latin-1"))
    report = run_import(engine, path)
    assert "CSV UTF-8" in (report.files[0].error or "")


def test_session_diagnoses_are_stored_in_claim_form_and_an_empty_column_keeps_them(
        engine: Engine, tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    path = write_csv(tmp_path, "sessions", [{**GOOD_ROWS["sessions"],
                                              "diagnoses": " m5416 ; M47.816;M54.16"}])
    run_import(engine, path)
    with DbSession(engine) as db:
        assert db.exec(select(SessionRow)).one().diagnoses == ["M54.16", "M47.816"]

    write_csv(tmp_path, "sessions", [{**GOOD_ROWS["sessions"], "diagnoses": ""}])
    report = run_import(engine, path)

    assert report.totals()["sessions"].unchanged == 1
    with DbSession(engine) as db:
        assert db.exec(select(SessionRow)).one().diagnoses == ["M54.16", "M47.816"]


def test_plan_type_medication_reduction_and_service_state_are_stored(engine: Engine,
                                                                     tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    run_import(engine, write_csv(tmp_path, "coverages", [
        {**GOOD_ROWS["coverages"], "plan_type": "Medicare_Advantage"}]))
    trial = {**GOOD_ROWS["sessions"], "codes": "63650", "intent": "trial", "relief_percent": "20",
             "medication_reduction_percent": "55%", "service_state": "tx"}
    report = run_import(engine, write_csv(tmp_path, "sessions", [trial]))
    assert report.clean
    with DbSession(engine) as db:
        coverage = db.exec(select(CoverageRow)).one()
        session = db.exec(select(SessionRow)).one()
    assert coverage.plan_type == "medicare_advantage"
    assert (session.medication_reduction_percent, session.service_state) == (55, "TX")


def test_a_bulk_import_refreshes_the_planners_statistics(
        engine: Engine, samples: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After an import of BULK_ROWS rows or more, the next check plans with the new rows'
    statistics (on a fresh PostgreSQL practice its triggers had scanned whole tables)."""
    from sqlalchemy import text

    from tracker.importers import service

    def analyzed() -> object:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                return connection.execute(text(
                    "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'sessions'"
                )).scalar_one()
            if not connection.execute(text(
                    "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar():
                return None
            return connection.execute(text(
                "SELECT stat FROM sqlite_stat1 WHERE tbl = 'sessions' AND idx IS NOT NULL "
                "ORDER BY idx LIMIT 1")).scalar()

    before = analyzed()
    monkeypatch.setattr(service, "BULK_ROWS", 5)  # the samples stand in for a large import
    report = service.import_practice_files(sorted(samples.glob("*.csv")), engine)
    assert sum(c.loaded for c in report.totals().values()) >= 5
    after = analyzed()
    assert after is not None and after != before
