"""Locations as data: the locations file, a session's location, the spinal levels of its lines and
the detail of conservative care, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.store.patient_record import load_patient_records
from tracker.store.tables import ConservativeCareRow, LocationRow, SessionCodeRow, SessionRow
from tracker.visits.upcoming import upcoming_visits

from .practice_files import GOOD_ROWS, TODAY, run_import, seed_patient_and_provider, write_csv

_BOOKED = {**GOOD_ROWS["sessions"], "date": "2026-12-10", "status": "scheduled",
           "relief_percent": "", "duration_days": "", "service_state": "",
           "location": "ASC-EL-PASO"}


def _seed(engine: Engine, tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    run_import(engine, write_csv(tmp_path, "locations", [GOOD_ROWS["locations"]]),
               write_csv(tmp_path, "coverages", [GOOD_ROWS["coverages"]]))


def _service_state(engine: Engine) -> str | None:
    with DbSession(engine) as db:
        session = db.exec(select(SessionRow).where(SessionRow.date == date(2026, 12, 10))).one()
        assert session.id is not None
        record = load_patient_records(db, [session.patient_id], practice_state="NM")
    return record[session.patient_id].check_request(session.id, as_of=TODAY).service_state


def test_locations_file_is_stored_and_reimporting_it_changes_nothing(engine: Engine,
                                                                     tmp_path: Path) -> None:
    path = write_csv(tmp_path, "locations", [GOOD_ROWS["locations"]])
    assert run_import(engine, path).totals()["locations"].loaded == 1
    assert run_import(engine, path).totals()["locations"].unchanged == 1
    with DbSession(engine) as db:
        location = db.exec(select(LocationRow)).one()
    assert (location.code, location.place_of_service, location.state, location.npi) == (
        "ASC-EL-PASO", "24", "TX", "1234567893")


def test_a_sessions_location_state_is_where_the_engine_says_it_is_performed(
        engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    report = run_import(engine, write_csv(tmp_path, "sessions", [_BOOKED]))
    assert report.clean
    assert _service_state(engine) == "TX"


@pytest.mark.parametrize(("own_state", "location", "expected"),
                         [("OK", "ASC-EL-PASO", "OK"), ("", "", "NM")],
                         ids=["own-state-wins", "practice-state-without-location"])
def test_a_sessions_own_state_wins_over_its_location_and_the_practice_state_is_last(
        engine: Engine, tmp_path: Path, own_state: str, location: str, expected: str) -> None:
    _seed(engine, tmp_path)
    row = {**_BOOKED, "service_state": own_state, "location": location}
    assert run_import(engine, write_csv(tmp_path, "sessions", [row])).clean
    assert _service_state(engine) == expected


def test_a_booking_whose_place_of_service_is_not_its_locations_is_flagged_for_billing(
        engine: Engine, tmp_path: Path) -> None:
    _seed(engine, tmp_path)
    # booked as an office visit (11) at the surgery center (24): imported, then flagged
    assert run_import(engine, write_csv(tmp_path, "sessions", [_BOOKED])).clean
    [visit] = upcoming_visits(engine, TODAY, 21)
    assert "PLACE_OF_SERVICE_MISMATCH" in visit.reasons
    assert "Synthetic Surgery Center El Paso, whose place of service is 24" in " ".join(
        r.action for r in visit.readiness.reasons)
    corrected = {**_BOOKED, "place_of_service": "24"}
    assert run_import(engine, write_csv(tmp_path, "sessions", [corrected])).clean
    [visit] = upcoming_visits(engine, TODAY, 21)
    assert "PLACE_OF_SERVICE_MISMATCH" not in visit.reasons


def test_levels_column_puts_spinal_levels_on_the_code_lines(engine: Engine,
                                                            tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    row = {**GOOD_ROWS["sessions"], "codes": "64483-RT;64484-RT;J1010x40",
           "levels": "64483 l4-l5;64484 L5-S1"}
    assert run_import(engine, write_csv(tmp_path, "sessions", [row])).clean
    with DbSession(engine) as db:
        lines = [(c.code, c.modifiers, c.levels) for c in db.exec(
            select(SessionCodeRow).order_by(col(SessionCodeRow.position)))]
    assert lines == [("64483", ["RT"], ["L4-L5"]), ("64484", ["RT"], ["L5-S1"]),
                     ("J1010", [], None)]
    changed = {**row, "levels": "64483 L3-L4;64484 L5-S1"}
    assert run_import(engine, write_csv(tmp_path, "sessions", [changed])).totals()[
        "sessions"].updated == 1


def test_conservative_care_keeps_its_outcome_drugs_and_visits(engine: Engine,
                                                              tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    medication = {**GOOD_ROWS["conservative_care"], "kind": "medication", "outcome": "no_relief",
                  "drugs": "naproxen 500 mg", "visits": ""}
    report = run_import(engine, write_csv(tmp_path, "conservative_care",
                                          [GOOD_ROWS["conservative_care"], medication]))
    assert report.clean
    with DbSession(engine) as db:
        care = [(c.kind, c.outcome, c.drugs, c.visits) for c in db.exec(
            select(ConservativeCareRow).order_by(col(ConservativeCareRow.kind)))]
    assert care == [("medication", "no_relief", "naproxen 500 mg", None),
                    ("physical_therapy", "partial", None, 12)]
