"""Small synthetic practice files for the import tests, and a way to import them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import Engine, func
from sqlmodel import Session as DbSession
from sqlmodel import SQLModel, select

from tracker.importers.service import ImportReport, import_practice_files

TODAY = date(2026, 12, 1)

HEADERS: dict[str, str] = {
    "patients": "mrn,family_name,given_name,birth_date,fhir_id",
    "providers": "npi,name,phone,email,time_zone,alert_channels,quiet_hours_start,"
                 "quiet_hours_end,digest",
    "locations": "code,name,address,npi,place_of_service,state",
    "coverages": "patient_mrn,payer,member_id,effective_start,effective_end,rank,plan_type",
    "conservative_care": "patient_mrn,kind,start,end,outcome,drugs,visits",
    "psych_evaluations": "patient_mrn,date,result,evaluator",
    "imaging": "patient_mrn,date,modality,region,impression",
    "sessions": "patient_mrn,date,status,codes,place_of_service,intent,muscles,relief_percent,"
                "duration_days,provider_npi,diagnoses,medication_reduction_percent,service_state,"
                "drugs,location,levels,pain_before,pain_after,function_scale,function_before,"
                "function_after",
}
GOOD_ROWS: dict[str, dict[str, str]] = {
    "patients": {"mrn": "P-1", "family_name": "Testperson", "given_name": "Alex",
                 "birth_date": "1960-01-02", "fhir_id": ""},
    "providers": {"npi": "1234567893", "name": "Dr. Synthia Example", "phone": "+15555550101",
                  "email": "synthia@example.org", "time_zone": "America/Chicago",
                  "alert_channels": "sms;email", "quiet_hours_start": "21:00",
                  "quiet_hours_end": "07:00", "digest": "false"},
    "locations": {"code": "ASC-EL-PASO", "name": "Synthetic Surgery Center El Paso",
                  "address": "1 Example Way, El Paso, TX 79901", "npi": "1234567893",
                  "place_of_service": "24", "state": "TX"},
    "coverages": {"patient_mrn": "P-1", "payer": "medicare", "member_id": "1EG4TE5MK73",
                  "effective_start": "2024-01-01", "effective_end": "", "rank": "primary",
                  "plan_type": ""},
    "conservative_care": {"patient_mrn": "P-1", "kind": "physical_therapy",
                          "start": "2026-01-05", "end": "2026-02-16", "outcome": "partial",
                          "drugs": "", "visits": "12"},
    "psych_evaluations": {"patient_mrn": "P-1", "date": "2026-09-01", "result": "cleared",
                          "evaluator": "Dr. Pat Synthetic-Psychologist, PhD"},
    "imaging": {"patient_mrn": "P-1", "date": "2026-03-02", "modality": "MRI",
                "region": "lumbar spine",
                "impression": "L4-L5 disc protrusion contacting the left L5 nerve root"},
    "sessions": {"patient_mrn": "P-1", "date": "2026-06-02", "status": "performed",
                 "codes": "64483;64484x1;J1010x40", "place_of_service": "11", "intent": "",
                 "muscles": "", "relief_percent": "70", "duration_days": "120",
                 "provider_npi": "1234567893", "diagnoses": "M54.16;M51.16",
                 "medication_reduction_percent": "", "service_state": "TX", "drugs": "",
                 "location": "", "levels": ""},
}


def csv_text(kind: str, rows: list[dict[str, str]]) -> str:
    columns = HEADERS[kind].split(",")
    lines = [HEADERS[kind]]
    for row in rows:
        lines.append(",".join(_quoted(row.get(c, "")) for c in columns))
    return "\n".join(lines) + "\n"


def _quoted(value: str) -> str:
    return f'"{value}"' if "," in value else value


def write_csv(folder: Path, kind: str, rows: list[dict[str, str]], name: str | None = None) -> Path:
    path = folder / (name or f"{kind}.csv")
    path.write_text(csv_text(kind, rows), encoding="utf-8")
    return path


def run_import(engine: Engine, *paths: Path) -> ImportReport:
    return import_practice_files(list(paths), engine, today=TODAY)


def seed_patient_and_provider(engine: Engine, folder: Path) -> None:
    seed = folder / "seed"
    seed.mkdir(exist_ok=True)
    run_import(engine, write_csv(seed, "patients", [GOOD_ROWS["patients"]]),
               write_csv(seed, "providers", [GOOD_ROWS["providers"]]))


def count(engine: Engine, table: type[SQLModel]) -> int:
    with DbSession(engine) as db:
        return int(db.exec(select(func.count()).select_from(table)).one())
