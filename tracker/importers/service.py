"""`import_practice_files`: the one use case behind `painauth import` and the drop-folder flow.

Each file is one import batch. Rows are checked one by one; good rows are upserted in chunks, bad
rows are quarantined with the file, line, field and reason. Re-importing a file replaces that
file's quarantined rows, so the list shows what is still wrong.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, delete
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.importers import csv_files, fhir_bundle
from tracker.importers.errors import ImportFileError, RowProblem
from tracker.importers.formats import FORMATS, as_row, kind_order
from tracker.importers.loading import KindCounts, Loader, Pending, Refused
from tracker.store.database import database_problem
from tracker.store.migrating import require_current_schema
from tracker.store.tables import ImportBatchRow, QuarantinedRow, utc_now

FHIR = "fhir_bundle"
CHUNK_ROWS = 500
SUFFIXES = (".csv", ".json")

# Called with (file, rows done, rows in the file) as a file is worked through.
Progress = Callable[[str, int, int], None]


@dataclass
class FileReport:
    path: str
    kind: str
    counts: dict[str, KindCounts] = field(default_factory=dict)
    refused: list[Refused] = field(default_factory=list)
    error: str | None = None


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    def totals(self) -> dict[str, KindCounts]:
        totals: dict[str, KindCounts] = {}
        for report in self.files:
            for kind, counts in report.counts.items():
                totals.setdefault(kind, KindCounts()).add(counts)
        return dict(sorted(totals.items(), key=lambda item: kind_order(item[0])))

    @property
    def clean(self) -> bool:
        """True when every file was read and no row was quarantined."""
        return all(r.error is None and not r.refused for r in self.files)


def import_practice_files(paths: Sequence[Path], engine: Engine, *, today: date | None = None,
                          on_progress: Progress | None = None) -> ImportReport:
    """Import CSV files and FHIR bundles (folders are searched for *.csv and *.json)."""
    require_current_schema(engine)
    today = today or date.today()
    report = ImportReport()
    planned: list[tuple[int, Path, str]] = []
    for path in expand(paths):
        try:
            kind = _kind_of(path)
        except ImportFileError as error:
            report.files.append(FileReport(str(path), "unknown", error=error.message))
            continue
        order = kind_order("providers") + 0.5 if kind == FHIR else kind_order(kind)
        planned.append((int(order * 2), path, kind))
    for _, path, kind in sorted(planned, key=lambda item: item[0]):
        report.files.append(_import_file(path, kind, engine, today, on_progress))
    return report


def expand(paths: Sequence[Path]) -> list[Path]:
    """Files as given, and the *.csv / *.json files inside given folders, in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir()
                                if p.is_file() and p.suffix.lower() in SUFFIXES))
        else:
            files.append(path)
    return files


def _kind_of(path: Path) -> str:
    if not path.exists():
        raise ImportFileError(str(path), "no such file")
    if path.suffix.lower() == ".json":
        return FHIR
    return csv_files.detect_kind(path, csv_files.read_header(path))


def _import_file(path: Path, kind: str, engine: Engine, today: date,
                 on_progress: Progress | None) -> FileReport:
    source = str(path.resolve())
    report = FileReport(str(path), kind)
    with DbSession(engine) as db:
        batch = ImportBatchRow(source=source, kind=kind, sha256=_sha256(path))
        db.add(batch)
        db.exec(delete(QuarantinedRow).where(col(QuarantinedRow.source) == source))
        db.commit()
        assert batch.id is not None
        try:
            _load_rows(db, path, kind, today, report, on_progress)
        except ImportFileError as error:
            db.rollback()
            report.error = error.message
        except SQLAlchemyError as error:
            db.rollback()
            report.error = ("the database refused the file: "
                            f"{database_problem(error)}")
        for refused in report.refused:
            db.add(QuarantinedRow(batch_id=batch.id, source=source, kind=refused.kind,
                                  line=refused.line, field=refused.field, reason=refused.reason,
                                  raw=refused.raw))
        batch.finished_at = utc_now()
        batch.counts = {k: c.as_dict() for k, c in report.counts.items()}
        if report.error:
            batch.counts["error"] = report.error
        db.add(batch)
        db.commit()
    return report


def _load_rows(db: DbSession, path: Path, kind: str, today: date, report: FileReport,
               on_progress: Progress | None) -> None:
    loader = Loader(db)
    if kind == FHIR:
        bundle = fhir_bundle.read_bundle(path)
        rows = [(r.kind, r.line, as_row(r.values), r.raw, r.problem, r.problem_field)
                for r in bundle.rows]
        if bundle.skipped:
            report.counts.setdefault("other", KindCounts()).skipped += bundle.skipped
        total = len(rows)
        stream: Iterator[tuple[str, int, dict[str, str | None], str, str | None, str | None]]
        stream = iter(rows)
    else:
        total = csv_files.count_rows(path)
        stream = ((kind, r.line, r.values, json.dumps(r.values), r.problem, None)
                  for r in csv_files.read_rows(path))
    pending: dict[str, list[Pending]] = {}
    for done, (row_kind, line, values, raw, problem, problem_field) in enumerate(stream, 1):
        counts = report.counts.setdefault(row_kind, KindCounts())
        if problem is None:
            try:
                record = FORMATS[row_kind].read(values, today)
            except RowProblem as error:
                problem, problem_field = error.message, error.field
        if problem is not None:
            report.refused.append(Refused(row_kind, line, problem_field, problem, raw))
            counts.quarantined += 1
        else:
            chunk = pending.setdefault(row_kind, [])
            chunk.append(Pending(row_kind, line, raw, record))
            if len(chunk) >= CHUNK_ROWS:
                _flush(db, loader, row_kind, chunk, report)
        if on_progress is not None and (done % 200 == 0 or done == total):
            on_progress(str(path), done, total)
    for row_kind in sorted(pending, key=kind_order):
        _flush(db, loader, row_kind, pending[row_kind], report)
    if on_progress is not None:
        on_progress(str(path), total, total)


def _flush(db: DbSession, loader: Loader, kind: str, chunk: list[Pending],
           report: FileReport) -> None:
    if not chunk:
        return
    counts, refused = loader.load(kind, chunk)
    report.counts.setdefault(kind, KindCounts()).add(counts)
    report.refused.extend(refused)
    db.commit()
    chunk.clear()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()
