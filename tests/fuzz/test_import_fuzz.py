"""Mutated CSV rows and FHIR entries among good ones: the good rows always load, every other row
is loaded or quarantined with a reason, and nothing raises (SQLite; the bad-row cases run on
PostgreSQL too in tests/integration/test_import_bad_rows.py)."""

from __future__ import annotations

import copy
import csv
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.importers.service import import_practice_files
from tracker.store import connect
from tracker.store.tables import PatientRow, QuarantinedRow

from .mutations import REPO, mutated

TODAY = date(2026, 12, 1)
GOOD = [(f"GOOD-{n:03d}", "Goodrow", f"Pat{n}", "1970-01-01") for n in range(4)]
BOUNDED = settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CELL = st.one_of(
    st.text(max_size=20), st.sampled_from(["", "2026-W01-1", "20260101", "1970-13-01", "\x00",
                                            "a\x00b", "=cmd|' /C calc'!A0", "x" * 20_000,
                                            "é,\"quoted\"\n", "SYN-1", "1970-01-01"]))
ROW = st.lists(CELL, min_size=0, max_size=6).filter(
    lambda cells: not any("good" in c.lower() for c in cells))


def _fresh(sqlite_url: str, empty_tables: Callable[[str], str]) -> Any:
    return connect(empty_tables(sqlite_url))


def _quarantine(engine: Any) -> list[QuarantinedRow]:
    with DbSession(engine) as db:
        return list(db.execute(select(QuarantinedRow)).scalars())


def _mrns(engine: Any) -> set[str]:
    with DbSession(engine) as db:
        return set(db.execute(select(col(PatientRow.mrn))).scalars())


@BOUNDED
@given(bad=st.lists(ROW, min_size=1, max_size=5), at=st.integers(min_value=0, max_value=4))
def test_mutated_csv_rows_never_cost_a_good_row(sqlite_url: str, empty_tables: Callable[[str], str],
                                               tmp_path: Path, bad: list[list[str]],
                                               at: int) -> None:
    engine = _fresh(sqlite_url, empty_tables)
    path = tmp_path / "patients.csv"
    rows = [list(r) for r in GOOD]
    rows[at:at] = bad
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["mrn", "family_name", "given_name", "birth_date"])
        writer.writerows(rows)
    [file] = import_practice_files([path], engine, today=TODAY).files
    assert file.error is None
    assert {mrn for mrn, *_ in GOOD} <= _mrns(engine)
    counts = file.counts["patients"]
    written = [r for r in bad if any(c.strip() for c in r)]
    assert counts.loaded + counts.updated + counts.unchanged + counts.quarantined == (
        len(GOOD) + len(written))
    quarantined = _quarantine(engine)
    assert len(quarantined) == counts.quarantined
    assert all(q.reason.strip() for q in quarantined)
    engine.dispose()


SAMPLE = json.loads((REPO / "samples" / "practice_bundle.json").read_text(encoding="utf-8"))
ENTRY_SEEDS = [e for e in SAMPLE["entry"]]


def _good_entries() -> list[dict[str, Any]]:
    patient = SAMPLE["entry"][0]
    entries = []
    for mrn, family, given_name, birth in GOOD:
        entry = copy.deepcopy(patient)
        entry["fullUrl"] = f"urn:uuid:{mrn}"
        entry["resource"].update(id=mrn.lower(), birthDate=birth,
                                 name=[{"use": "official", "family": family, "given": [given_name]}])
        entry["resource"]["identifier"][0]["value"] = mrn
        entries.append(entry)
    return entries


@BOUNDED
@given(bad=st.lists(mutated(ENTRY_SEEDS), min_size=1, max_size=4))
def test_mutated_fhir_entries_never_cost_a_good_entry(sqlite_url: str,
                                                     empty_tables: Callable[[str], str],
                                                     tmp_path: Path, bad: list[Any]) -> None:
    engine = _fresh(sqlite_url, empty_tables)
    path = tmp_path / "bundle.json"
    try:
        text = json.dumps({"resourceType": "Bundle", "type": "collection",
                           "entry": [*_good_entries(), *bad]})
    except RecursionError:  # nested past what json.dumps writes: the reader's own tests cover it
        return
    path.write_text(text, encoding="utf-8")
    [file] = import_practice_files([path], engine, today=TODAY).files
    if file.error is not None:  # only a bundle nested too deep is refused whole
        assert "nested deeper than 64" in file.error
        return
    assert {mrn for mrn, *_ in GOOD} <= _mrns(engine)
    assert all(q.reason.strip() for q in _quarantine(engine))
    engine.dispose()
