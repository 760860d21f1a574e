"""The evidence a reviewer reads, imported: pain and function scores of a session, the psych
evaluator, imaging studies — from CSV files, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.store.tables import (
    ConservativeCareRow,
    ImagingStudyRow,
    LocationRow,
    PsychEvaluationRow,
    QuarantinedRow,
    SessionCodeRow,
    SessionRow,
)

from .practice_files import GOOD_ROWS, run_import, seed_patient_and_provider, write_csv

_SCORED = {**GOOD_ROWS["sessions"], "pain_before": "7", "pain_after": "2",
           "function_scale": "odi", "function_before": "48", "function_after": "30"}


def test_scores_evaluator_and_imaging_are_stored_and_bad_values_quarantined_naming_the_fix(
        engine: Engine, tmp_path: Path) -> None:
    seed_patient_and_provider(engine, tmp_path)
    bad = [  # (row, field, words of the reason)
        ({**_SCORED, "date": "2026-07-01", "function_after": "120"}, "function_after",
         "use a number from 0 to 100"),
        ({**_SCORED, "date": "2026-07-02", "function_scale": ""}, "function_scale",
         "name the instrument"),
        ({**_SCORED, "date": "2026-07-03", "pain_after": "2.5"}, "pain_after",
         "whole number from 0"),
        ({**GOOD_ROWS["sessions"], "date": "2026-12-20", "status": "scheduled",
          "relief_percent": "", "duration_days": "", "pain_before": "6"}, "pain_before",
         "only for performed sessions"),
    ]
    files = [write_csv(tmp_path, "sessions", [_SCORED, *(row for row, _, _ in bad)]),
             write_csv(tmp_path, "psych_evaluations", [GOOD_ROWS["psych_evaluations"]]),
             write_csv(tmp_path, "imaging", [GOOD_ROWS["imaging"],
                                             {**GOOD_ROWS["imaging"], "date": "2999-01-01"}],
                       name="radiology_export.csv")]
    report = run_import(engine, *files)
    totals = report.totals()
    assert (totals["sessions"].loaded, totals["sessions"].quarantined) == (1, len(bad))
    assert (totals["imaging"].loaded, totals["imaging"].quarantined) == (1, 1)
    assert totals["psych_evaluations"].loaded == 1
    with DbSession(engine) as db:
        session = db.exec(select(SessionRow)).one()
        assert (session.pain_before, session.pain_after, session.function_scale,
                session.function_before, session.function_after) == (7, 2, "ODI", 48, 30)
        assert db.exec(select(PsychEvaluationRow)).one().evaluator == (
            "Dr. Pat Synthetic-Psychologist, PhD")
        study = db.exec(select(ImagingStudyRow)).one()
        assert (study.date, study.modality, study.region) == (date(2026, 3, 2), "MRI",
                                                              "lumbar spine")
        assert "left L5 nerve root" in (study.impression or "")
        refused = {(q.kind, q.field): q.reason for q in db.exec(
            select(QuarantinedRow).order_by(col(QuarantinedRow.line)))}
    for _, field, words in bad:
        assert words in refused[("sessions", field)], (field, refused)
    assert "in the future" in refused[("imaging", "date")]
    # importing again changes nothing; a later export without the scores keeps them
    assert run_import(engine, *files).totals()["sessions"].unchanged == 1
    unscored = {**_SCORED, "pain_before": "", "pain_after": "", "function_scale": "",
                "function_before": "", "function_after": ""}
    run_import(engine, write_csv(tmp_path, "sessions", [unscored], name="later.csv"))
    with DbSession(engine) as db:
        assert db.exec(select(SessionRow)).one().pain_before == 7


HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
CATEGORY = "urn:painauth:fhir:procedure-category"
PATIENT = {"resourceType": "Patient", "id": "pat-1",
           "identifier": [{"type": {"coding": [{"code": "MR"}]}, "value": "P-1"}],
           "name": [{"family": "Testperson", "given": ["Alex"]}], "birthDate": "1960-01-02"}


def _ext(name: str, **value: Any) -> dict[str, Any]:
    return {"url": f"urn:painauth:fhir:{name}", **value}


def _score(code: dict[str, str], value: int, taken: str, **more: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "status": "final", "code": {"coding": [code]},
            "subject": {"reference": "Patient/pat-1"}, "effectiveDateTime": taken,
            "valueInteger": value, **more}


PAIN = {"system": "http://loinc.org", "code": "72514-3"}
ODI = {"system": "urn:painauth:fhir:function-scale", "code": "ODI"}
EVIDENCE_BUNDLE: list[dict[str, Any]] = [
    PATIENT,
    {"resourceType": "Location", "id": "loc-1",
     "identifier": [{"value": "ASC-EL-PASO"},
                    {"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
     "name": "Synthetic Surgery Center El Paso",
     "type": [{"coding": [{"system": "https://www.cms.gov/Medicare/Coding/place-of-service-codes/"
                                     "Place_of_Service_Code_Set", "code": "24"}]}],
     "address": {"line": ["1 Example Way"], "city": "El Paso", "state": "TX",
                 "postalCode": "79901"}},
    {"resourceType": "Encounter", "id": "enc-1", "status": "finished",
     "location": [{"location": {"reference": "Location/loc-1"}}]},
    {"resourceType": "Practitioner", "id": "psy-1",
     "name": [{"given": ["Morgan"], "family": "Synthetic", "suffix": ["PsyD"]}]},
    {"resourceType": "Procedure", "status": "completed", "subject": {"reference": "Patient/pat-1"},
     "performedDateTime": "2026-06-02T10:00:00-06:00", "encounter": {"reference": "Encounter/enc-1"},
     "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "64483"}]},
     "bodySite": [{"text": "L4-L5"}], "extension": [_ext("modifier", valueCode="RT"),
                                                    _ext("place-of-service", valueCode="24"),
                                                    _ext("relief-percent", valueInteger=70)]},
    {"resourceType": "MedicationAdministration", "status": "completed",
     "subject": {"reference": "Patient/pat-1"}, "effectiveDateTime": "2026-06-02T10:05:00-06:00",
     "medicationCodeableConcept": {"coding": [{"system": HCPCS, "code": "J1010"},
                                              {"system": "http://hl7.org/fhir/sid/ndc",
                                               "code": "00009-3073-03"}]},
     "dosage": {"dose": {"value": 40, "unit": "mg"}},
     "extension": [_ext("modifier", valueCode="JZ"), _ext("container", valueCode="single_dose")]},
    _score(PAIN, 7, "2026-06-02T09:30:00-06:00"),
    _score(PAIN, 2, "2026-06-02T11:00:00-06:00"),
    _score(ODI, 48, "2026-06-02", extension=[_ext("timing", valueCode="before")]),
    _score(PAIN, 5, "2026-06-20T11:00:00-06:00"),  # no session that day: quarantined
    {"resourceType": "Procedure", "status": "completed", "subject": {"reference": "Patient/pat-1"},
     "category": {"coding": [{"system": CATEGORY, "code": "physical_therapy"}]},
     "code": {"text": "Physical therapy"},
     "performedPeriod": {"start": "2026-01-05", "end": "2026-02-16"},
     "outcome": {"text": "partial"}, "extension": [_ext("visits", valueInteger=12)]},
    {"resourceType": "MedicationStatement", "status": "completed",
     "subject": {"reference": "Patient/pat-1"},
     "medicationCodeableConcept": {"text": "naproxen"}, "dosage": [{"text": "500 mg"}],
     "effectivePeriod": {"start": "2026-01-05", "end": "2026-03-01"},
     "extension": [_ext("outcome", valueCode="no_relief")]},
    {"resourceType": "Procedure", "status": "completed", "subject": {"reference": "Patient/pat-1"},
     "category": {"coding": [{"system": CATEGORY, "code": "psych-evaluation"}]},
     "code": {"text": "Psychological evaluation before stimulator trial"},
     "performedDateTime": "2026-09-01", "outcome": {"text": "cleared"},
     "performer": [{"actor": {"reference": "Practitioner/psy-1"}}]},
    {"resourceType": "ImagingStudy", "id": "img-1", "status": "available",
     "subject": {"reference": "Patient/pat-1"}, "started": "2026-03-02T08:00:00-06:00",
     "modality": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "MR"}],
     "series": [{"uid": "1.2.3", "modality": {"code": "MR"},
                 "bodySite": {"display": "Lumbar spine"}}]},
    {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "MRI lumbar spine"},
     "subject": {"reference": "Patient/pat-1"}, "imagingStudy": [{"reference": "ImagingStudy/img-1"}],
     "conclusion": "L4-L5 disc protrusion contacting the right L5 nerve root"},
]


def test_a_fhir_bundle_brings_locations_levels_drug_details_scores_care_psych_and_imaging(
        engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "chart.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": r} for r in EVIDENCE_BUNDLE]}))
    report = run_import(engine, path)
    totals = report.totals()
    assert totals["sessions"].loaded == 1 and totals["sessions"].quarantined == 1
    for kind in ("locations", "conservative_care", "psych_evaluations", "imaging"):
        assert totals[kind].quarantined == 0, (kind, report.files[0].refused)
    with DbSession(engine) as db:
        session = db.exec(select(SessionRow)).one()
        location = db.exec(select(LocationRow)).one()
        lines = [(c.code, c.units, c.modifiers, c.levels, c.dose_mg, c.container, c.ndc)
                 for c in db.exec(select(SessionCodeRow).order_by(col(SessionCodeRow.position)))]
        care = sorted((c.kind, c.outcome, c.drugs, c.visits)
                      for c in db.exec(select(ConservativeCareRow)))
        psych = db.exec(select(PsychEvaluationRow)).one()
        study = db.exec(select(ImagingStudyRow)).one()
        refused = db.exec(select(QuarantinedRow)).one()
    assert (location.code, location.address, location.npi, location.place_of_service,
            location.state) == ("ASC-EL-PASO", "1 Example Way, El Paso, TX 79901",
                                "1234567893", "24", "TX")
    assert session.location_id == location.id and session.place_of_service == "24"
    assert lines == [("64483", 1, ["RT"], ["L4-L5"], None, None, None),
                     ("J1010", 40, ["JZ"], None, 40, "single_dose", "00009307303")]
    assert (session.pain_before, session.pain_after, session.function_scale,
            session.function_before) == (7, 2, "ODI", 48)
    assert care == [("medication", "no_relief", "naproxen 500 mg", None),
                    ("physical_therapy", "partial", None, 12)]
    assert (psych.result, psych.evaluator) == ("cleared", "Morgan Synthetic PsyD")
    assert (study.modality, study.region, study.date) == ("MRI", "lumbar spine", date(2026, 3, 2))
    assert study.impression == "L4-L5 disc protrusion contacting the right L5 nerve root"
    assert "no Procedure of the patient" in refused.reason
    assert run_import(engine, path).totals()["sessions"].unchanged == 1


def test_a_fhir_bundle_says_what_was_done_so_charge_capture_finds_what_was_not_billed(
        engine: Engine, tmp_path: Path) -> None:
    """A stimulator trial under fluoroscopy (the painauth `guidance` extension on its Procedure)
    with 40 mg of J1010, all of it discarded and billed without its JW line: charge capture lists
    the 77003 and the JW line — as it does for the same session imported from CSV."""
    from tracker.money.capture import missed_charges

    trial = [
        PATIENT,
        {"resourceType": "Procedure", "status": "completed",
         "subject": {"reference": "Patient/pat-1"}, "performedDateTime": "2026-11-20T10:00:00Z",
         "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "63650"}]},
         "extension": [_ext("intent", valueCode="trial"), _ext("place-of-service", valueCode="24"),
                       _ext("guidance", valueCode="fluoroscopy")]},
        {"resourceType": "MedicationAdministration", "status": "completed",
         "subject": {"reference": "Patient/pat-1"}, "effectiveDateTime": "2026-11-20T10:05:00Z",
         "medicationCodeableConcept": {"coding": [{"system": HCPCS, "code": "J1010"}]},
         "dosage": {"dose": {"value": 40, "unit": "mg"}},
         "extension": [_ext("wasted", valueQuantity={"value": 40, "unit": "mg"}),
                       _ext("container", valueCode="single_dose")]},
    ]
    path = tmp_path / "trial.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [{"resource": r} for r in trial]}))
    report = run_import(engine, path)
    assert report.totals()["sessions"].loaded == 1, report.files[0].refused
    with DbSession(engine) as db:
        session = db.exec(select(SessionRow)).one()
    assert session.guidance == "fluoroscopy"
    assert session.drugs_given == [{"code": "J1010", "dose_mg": 40, "wasted_mg": 40}]
    missed = missed_charges(engine, date(2026, 11, 1), date(2026, 11, 30))
    assert [(c.kind, c.code, c.units) for c in missed.charges] == [
        ("guidance_not_billed", "77003", 1), ("waste_not_billed", "J1010", 40)]
