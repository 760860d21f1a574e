"""Importing FHIR R4 bundles: Patient, Coverage, Procedure and Appointment."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.store.tables import (
    AuthorizationRow,
    CoverageRow,
    PatientRow,
    QuarantinedRow,
    SessionCodeRow,
    SessionRow,
)

from .practice_files import count, run_import

CPT = "http://www.ama-assn.org/go/cpt"


def _bundle(folder: Path, *resources: dict[str, Any], name: str = "bundle.json") -> Path:
    path = folder / name
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": r} for r in resources]}))
    return path


PATIENT = {"resourceType": "Patient", "id": "pat-1",
           "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": "F-1"}],
           "name": [{"family": "Bundleperson", "given": ["Kim"]}], "birthDate": "1970-03-04"}


def _appointment(status: str, day: str = "2026-12-20") -> dict[str, Any]:
    return {"resourceType": "Appointment", "id": f"appt-{status}", "status": status,
            "start": f"{day}T09:00:00-06:00",
            "serviceType": [{"coding": [{"system": CPT, "code": "64493"}]}],
            "participant": [{"actor": {"reference": "Patient/pat-1"}}]}


def test_sample_bundle_maps_each_resource_to_the_store(engine: Engine, samples: Path) -> None:
    report = run_import(engine, samples / "practice_bundle.json")

    assert report.clean
    with DbSession(engine) as db:
        patient = db.exec(select(PatientRow)).one()
        coverage = db.exec(select(CoverageRow)).one()
        sessions = list(db.exec(select(SessionRow).order_by(col(SessionRow.date))))
        lines = [(c.code, c.units) for c in db.exec(
            select(SessionCodeRow).where(SessionCodeRow.session_id == sessions[0].id)
            .order_by(col(SessionCodeRow.position)))]
    assert (patient.mrn, patient.given_name, patient.fhir_id) == ("SYN-2001", "Morgan Q",
                                                                  "syn-2001")
    assert (coverage.payer, coverage.member_id, coverage.rank) == ("medicare", "1AB2CD3EF45",
                                                                   "primary")
    assert [(s.date, s.status) for s in sessions] == [(date(2026, 4, 14), "performed"),
                                                      (date(2026, 12, 11), "scheduled")]
    assert lines == [("64483", 1), ("64484", 1)]  # two Procedures, one session
    assert (sessions[0].relief_percent, sessions[0].duration_days) == (65, 110)
    assert sessions[1].diagnoses == ["M54.17"]  # the Appointment's ICD-10-CM reasonCode


def test_reimporting_a_bundle_changes_nothing(engine: Engine, samples: Path) -> None:
    run_import(engine, samples / "practice_bundle.json")
    report = run_import(engine, samples / "practice_bundle.json")
    assert all(c.loaded == c.updated == 0 for c in report.totals().values())
    assert count(engine, SessionRow) == 2


def test_bad_resource_is_quarantined_with_its_entry_number(engine: Engine,
                                                            tmp_path: Path) -> None:
    bad_coverage = {"resourceType": "Coverage", "beneficiary": {"reference": "Patient/pat-1"},
                    "payor": [{"identifier": {"value": "medicare"}}], "subscriberId": "M1",
                    "period": {"start": "2026-02-30"}}
    path = _bundle(tmp_path, PATIENT, bad_coverage)

    report = run_import(engine, path)

    assert report.totals()["patients"].loaded == 1
    with DbSession(engine) as db:
        quarantined = db.exec(select(QuarantinedRow)).one()
    assert (quarantined.line, quarantined.kind, quarantined.field) == (2, "coverages",
                                                                       "effective_start")
    assert json.loads(quarantined.raw)["subscriberId"] == "M1"


def test_appointment_for_a_patient_imported_earlier_is_found_by_fhir_id(
        engine: Engine, tmp_path: Path) -> None:
    run_import(engine, _bundle(tmp_path, PATIENT, name="patients.json"))
    report = run_import(engine, _bundle(tmp_path, _appointment("booked"), name="schedule.json"))
    assert report.totals()["sessions"].loaded == 1


def test_cancelled_appointment_cancels_the_booked_session(engine: Engine, tmp_path: Path) -> None:
    run_import(engine, _bundle(tmp_path, PATIENT, _appointment("booked")))
    run_import(engine, _bundle(tmp_path, _appointment("cancelled"), name="cancel.json"))
    with DbSession(engine) as db:
        session = db.exec(select(SessionRow)).one()
    assert session.status == "cancelled"
    assert count(engine, SessionCodeRow) == 1


def test_a_moved_appointment_moves_its_session_and_keeps_its_authorization(
        engine: Engine, tmp_path: Path) -> None:
    run_import(engine, _bundle(tmp_path, PATIENT, _appointment("booked")))
    with DbSession(engine) as db:
        booked = db.exec(select(SessionRow)).one()
        booked_id = booked.id
        assert booked_id is not None and booked.source_id == "appointment.appt-booked"
        db.add(AuthorizationRow(session_id=booked_id, payer="aetna", status="approved"))
        db.commit()
    moved = _bundle(tmp_path, _appointment("booked", day="2026-12-27"), name="moved.json")
    assert run_import(engine, moved).totals()["sessions"].updated == 1
    with DbSession(engine) as db:
        session = db.exec(select(SessionRow)).one()
        auth = db.exec(select(AuthorizationRow)).one()
    assert (session.id, session.date, auth.session_id) == (booked_id, date(2026, 12, 27),
                                                          booked_id)


def test_appointment_for_an_unknown_patient_is_quarantined(engine: Engine,
                                                           tmp_path: Path) -> None:
    report = run_import(engine, _bundle(tmp_path, _appointment("booked")))
    assert report.files[0].refused[0].field == "patient_mrn"
    assert "not a known patient" in report.files[0].refused[0].reason


def test_resources_the_tracker_does_not_use_are_skipped(engine: Engine, tmp_path: Path) -> None:
    report = run_import(engine, _bundle(tmp_path, PATIENT, {"resourceType": "Observation"},
                                        {**_appointment("entered-in-error")}))
    assert report.clean
    assert report.totals()["other"].skipped == 2


def _extension(name: str, **value: Any) -> dict[str, Any]:
    return {"url": f"urn:painauth:fhir:{name}", **value}


def test_plan_type_medication_reduction_and_service_state_come_from_extensions(
        engine: Engine, tmp_path: Path) -> None:
    coverage = {"resourceType": "Coverage", "id": "cov-1", "status": "active",
                "beneficiary": {"reference": "Patient/pat-1"}, "subscriberId": "MA-77",
                "payor": [{"identifier": {"value": "aetna"}}], "period": {"start": "2026-01-01"},
                "extension": [_extension("plan-type", valueCode="medicare_advantage")]}
    trial = {"resourceType": "Procedure", "id": "proc-1", "status": "completed",
             "subject": {"reference": "Patient/pat-1"}, "performedDateTime": "2026-10-01",
             "code": {"coding": [{"system": CPT, "code": "63650"}]},
             "extension": [_extension("intent", valueCode="trial"),
                           _extension("relief-percent", valueInteger=30),
                           _extension("medication-reduction-percent", valueDecimal=60),
                           _extension("service-state", valueCode="TX")]}
    report = run_import(engine, _bundle(tmp_path, PATIENT, coverage, trial))
    assert report.clean, report
    with DbSession(engine) as db:
        stored_coverage = db.exec(select(CoverageRow)).one()
        session = db.exec(select(SessionRow)).one()
    assert stored_coverage.plan_type == "medicare_advantage"
    assert (session.relief_percent, session.medication_reduction_percent,
            session.service_state) == (30, 60, "TX")
