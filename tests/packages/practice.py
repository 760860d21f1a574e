"""The synthetic practice of the package tests: samples/*.csv plus one patient per scenario."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import select

from tracker.importers.service import import_practice_files
from tracker.store.tables import AuthorizationRow, PatientRow, SessionRow
from tracker.visits.pre_visit import check_upcoming_visits

TODAY = date(2026, 12, 1)
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
DR_EXAMPLE = "1234567893"

PATIENTS = [
    # mrn, family, given, birth date, payer, member id
    ("PKG-ESI-NOMED", "Steptest", "Dana", "1966-04-12", "unitedhealthcare", "UHC1000001"),
    ("PKG-ESI-READY", "Readyton", "Lee", "1970-08-30", "unitedhealthcare", "UHC1000002"),
    ("PKG-ESI-CODING", "Codewell", "Sam", "1975-02-14", "unitedhealthcare", "UHC1000003"),
    ("PKG-ESI-NODX", "Nodiag", "Robin", "1962-10-05", "unitedhealthcare", "UHC1000004"),
    ("PKG-RFA-NOBLOCKS", "Blockless", "Kim", "1959-06-21", "unitedhealthcare", "UHC1000005"),
    ("PKG-SCS-PSYCH", "Trialson", "Pat", "1968-12-01", "cigna", "CGN2000001"),
]
CARE = [
    ("PKG-ESI-NOMED", "physical_therapy", "2026-09-01", "2026-11-15", "partial", "", "12"),
    *[(mrn, kind, "2026-08-01", "2026-11-01", outcome, drugs, visits)
      for mrn in ("PKG-ESI-READY", "PKG-ESI-CODING", "PKG-ESI-NODX", "PKG-RFA-NOBLOCKS")
      for kind, outcome, drugs, visits in (("physical_therapy", "partial", "", "12"),
                                           ("medication", "no_relief", "naproxen 500 mg", ""))],
    ("PKG-SCS-PSYCH", "physical_therapy", "2026-01-05", "2026-06-30", "partial", "", "20"),
    ("PKG-SCS-PSYCH", "medication", "2026-01-05", "2026-11-20", "no_relief", "gabapentin", ""),
]
PSYCH = [("PKG-SCS-PSYCH", "2025-06-01", "cleared")]
SESSIONS = [
    # mrn, date, status, codes, place of service, intent, relief, diagnoses
    ("PKG-ESI-NOMED", "2026-12-10", "scheduled", "64483", "11", "", "", "M54.16"),
    ("PKG-ESI-READY", "2026-06-15", "performed", "64483-RT", "11", "", "70", "M54.16"),
    ("PKG-ESI-READY", "2026-12-10", "scheduled", "64483-RT;64484-RTx1", "11", "", "",
     "M54.16;M51.16"),
    ("PKG-ESI-CODING", "2026-12-11", "scheduled", "64483;77003", "11", "", "", "M54.16"),
    ("PKG-ESI-NODX", "2026-12-12", "scheduled", "64483", "11", "", "", ""),
    ("PKG-RFA-NOBLOCKS", "2026-12-16", "scheduled", "64635;64636", "24", "", "", "M47.816"),
    ("PKG-SCS-PSYCH", "2026-12-14", "scheduled", "63650", "24", "trial", "", "G89.4;M96.1"),
]


@dataclass(frozen=True)
class Practice:
    engine: Engine
    folder: Path

    def authorization_id(self, mrn: str) -> int:
        """The authorization the pre-visit check opened for the patient's scheduled session."""
        with DbSession(self.engine) as db:
            found = db.exec(select(AuthorizationRow.id)
                            .join(SessionRow, SessionRow.id == AuthorizationRow.session_id)
                            .join(PatientRow, PatientRow.id == SessionRow.patient_id)
                            .where(PatientRow.mrn == mrn)).all()
        assert len(found) == 1 and found[0] is not None, f"{mrn}: {found}"
        return found[0]


def load_practice(engine: Engine, folder: Path) -> Practice:
    files = folder / "scenarios"
    files.mkdir()
    _write(files / "patients.csv", ["mrn", "family_name", "given_name", "birth_date"],
           [row[:4] for row in PATIENTS])
    _write(files / "coverages.csv", ["patient_mrn", "payer", "member_id", "effective_start"],
           [(row[0], row[4], row[5], "2025-01-01") for row in PATIENTS])
    _write(files / "conservative_care.csv",
           ["patient_mrn", "kind", "start", "end", "outcome", "drugs", "visits"], CARE)
    _write(files / "psych_evaluations.csv", ["patient_mrn", "date", "result"], PSYCH)
    _write(files / "sessions.csv",
           ["patient_mrn", "date", "status", "codes", "place_of_service", "intent",
            "relief_percent", "provider_npi", "diagnoses"],
           [(*row[:7], DR_EXAMPLE, row[7]) for row in SESSIONS])
    report = import_practice_files([SAMPLES, files], engine, today=TODAY)
    assert report.clean
    check_upcoming_visits(engine, TODAY)
    return Practice(engine=engine, folder=folder)


def add_rows(practice: Practice, name: str, header: list[str], rows: list[tuple[str, ...]]) -> None:
    """Import more rows (e.g. the medication a patient was missing)."""
    path = practice.folder / "more" / name
    path.parent.mkdir(exist_ok=True)
    _write(path, header, rows)
    assert import_practice_files([path], practice.engine, today=TODAY).clean


def _write(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
