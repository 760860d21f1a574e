"""One bad row never costs a file its good rows: each malformed row or bundle entry the review
found is quarantined with a reason naming the field, and every good row loads — on SQLite and
PostgreSQL."""

from __future__ import annotations

import copy
import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.importers.service import import_practice_files
from tracker.store.tables import PatientRow, QuarantinedRow

TODAY = date(2026, 12, 1)
GOOD = [(f"GOOD-{n:03d}", "Goodrow", f"Pat{n}", "1970-01-01") for n in range(5)]


def _patients_csv(path: Path, bad: list[tuple[str, str, str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["mrn", "family_name", "given_name", "birth_date"])
        writer.writerows([GOOD[0], GOOD[1], *bad, *GOOD[2:]])
    return path


def _loaded(engine: Engine) -> set[str]:
    with DbSession(engine) as db:
        return set(db.execute(select(col(PatientRow.mrn))).scalars())


def _quarantined(engine: Engine) -> list[QuarantinedRow]:
    with DbSession(engine) as db:
        return list(db.execute(select(QuarantinedRow).order_by(col(QuarantinedRow.line)))
                    .scalars())


BAD_ROWS = {
    "one 1 MB field": (("BAD-1", "x" * (1 << 20), "Big", "1970-01-01"), "family_name"),
    "a NUL byte": (("BAD-2", "Nul\x00l", "Byte", "1970-01-01"), "family_name"),
    "a week date": (("BAD-3", "Weekly", "Date", "2026-W01-1"), "birth_date"),
    "a basic-form date": (("BAD-4", "Basic", "Date", "19700101"), "birth_date"),
}


@pytest.mark.parametrize("case", list(BAD_ROWS))
def test_a_csv_with_one_bad_row_loads_every_good_row(engine: Engine, tmp_path: Path,
                                                     case: str) -> None:
    row, field = BAD_ROWS[case]
    report = import_practice_files([_patients_csv(tmp_path / "patients.csv", [row])], engine,
                                   today=TODAY)
    [file] = report.files
    assert file.error is None
    assert _loaded(engine) == {mrn for mrn, *_ in GOOD}
    [quarantined] = _quarantined(engine)
    assert (quarantined.line, quarantined.field) == (4, field), quarantined.reason[:300]
    assert quarantined.reason and len(quarantined.raw) <= 21_000


def _bundle(path: Path, bad_entries: list[Any]) -> Path:
    sample = json.loads((Path(__file__).resolve().parents[2] / "samples" /
                         "practice_bundle.json").read_text(encoding="utf-8"))
    patient = sample["entry"][0]
    entries = []
    for mrn, family, given, birth in GOOD:
        entry = copy.deepcopy(patient)
        entry["fullUrl"] = f"urn:uuid:{mrn}"
        entry["resource"].update(id=mrn.lower(), birthDate=birth,
                                 name=[{"use": "official", "family": family, "given": [given]}])
        entry["resource"]["identifier"][0]["value"] = mrn
        entries.append(entry)
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection",
                                "entry": [entries[0], *bad_entries, *entries[1:]]}),
                    encoding="utf-8")
    return path


def _patient(**changes: Any) -> dict[str, Any]:
    resource = {"resourceType": "Patient", "id": "bad-1",
                "identifier": [{"system": "urn:x", "value": "BAD-1"}],
                "name": [{"family": "Badentry", "given": ["Pat"]}], "birthDate": "1970-01-01"}
    resource.update(changes)
    return {"fullUrl": "urn:uuid:bad-1", "resource": resource}


BAD_ENTRIES = {
    "name is a string": (_patient(name="Badentry, Pat"), "entry[1].resource.name"),
    "a null identifier": (_patient(identifier=[None]), "entry[1].resource.identifier"),
    "identifier is null": (_patient(identifier=None), "entry[1].resource.identifier"),
    "a numeric family name": (_patient(name=[{"family": 1234, "given": ["Pat"]}]),
                              "entry[1].resource.name[0].family"),
    "given is not a list": (_patient(name=[{"family": "Bad", "given": "Pat"}]),
                            "entry[1].resource.name[0].given"),
    "coding is not a list": (_patient(identifier=[{"type": {"coding": {"code": "MR"}},
                                                   "value": "BAD-1"}]),
                             "entry[1].resource.identifier[0].type.coding"),
    "a numeric code": (_patient(identifier=[{"type": {"coding": [{"code": 7}]},
                                             "value": "BAD-1"}]),
                       "entry[1].resource.identifier[0].type.coding[0].code"),
    "a null entry": (None, "entry[1]"),
    "a null resource": ({"fullUrl": "urn:uuid:x", "resource": None}, "entry[1].resource"),
    "a week-date birthDate": (_patient(birthDate="2026-W01-1"), "birth_date"),
    "a NUL byte": (_patient(name=[{"family": "Nul\x00", "given": ["Pat"]}]), "family_name"),
}


@pytest.mark.parametrize("case", list(BAD_ENTRIES))
def test_a_bundle_with_one_malformed_entry_loads_every_good_one(engine: Engine, tmp_path: Path,
                                                                case: str) -> None:
    entry, field = BAD_ENTRIES[case]
    report = import_practice_files([_bundle(tmp_path / "bundle.json", [entry])], engine,
                                   today=TODAY)
    [file] = report.files
    assert file.error is None
    assert _loaded(engine) == {mrn for mrn, *_ in GOOD}
    [quarantined] = _quarantined(engine)
    assert quarantined.line == 2 and quarantined.field == field, quarantined.reason
    assert quarantined.reason


def test_a_bundle_nested_too_deep_is_refused_as_a_file_not_a_crash(engine: Engine,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"resourceType": "Bundle", "entry": ' + "[" * 2000 + "]" * 2000 + "}",
                    encoding="utf-8")
    [file] = import_practice_files([path], engine, today=TODAY).files
    assert file.error is not None and "nested deeper than 64" in file.error
    with DbSession(engine) as db:
        assert db.execute(select(func.count()).select_from(PatientRow)).scalar_one() == 0
