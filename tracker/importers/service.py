"""`import_practice_files`: the one use case behind `painauth import` and the drop-folder flow.

Each file is one import batch. Rows are checked one by one; good rows are upserted in chunks, bad
rows are quarantined with the file, line, field and reason. Re-importing a file replaces that
file's quarantined rows, so the list shows what is still wrong.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine, delete, text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.importers import csv_files, fhir_bundle
from tracker.importers.errors import ImportFileError, RowProblem
from tracker.importers.formats import FORMATS, as_row, kind_order
from tracker.importers.loading import KindCounts, Loader, Pending, Refused
from tracker.store.database import analyze, database_problem
from tracker.store.migrating import require_current_schema
from tracker.store.tables import ImportBatchRow, QuarantinedRow, utc_now

FHIR = "fhir_bundle"
CHUNK_ROWS = 500
LONGEST_VALUE = 10_000  # characters of one field, far above any real one (a long code list)
RAW_KEPT = 20_000  # characters of a quarantined row kept to show what came in
_IMPORT_LOCK = 0x7061_696E  # PostgreSQL advisory lock key: one import at a time
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
    performed: set[int] = field(default_factory=set)  # sessions that became performed


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
    def performed_sessions(self) -> set[int]:
        """Sessions this import recorded as performed: what billing review compares with the
        authorizations (tracker.authorizations.billing_review.review_imported)."""
        return {sid for report in self.files for sid in report.performed}

    @property
    def clean(self) -> bool:
        """True when every file was read and no row was quarantined."""
        return all(r.error is None and not r.refused for r in self.files)


BULK_ROWS = 10_000  # an import this large refreshes the planner's statistics


def import_practice_files(paths: Sequence[Path], engine: Engine, *, today: date | None = None,
                          on_progress: Progress | None = None) -> ImportReport:
    """Import CSV files and FHIR bundles (folders are searched for *.csv and *.json)."""
    require_current_schema(engine)
    today = today or date.today()
    with _one_import_at_a_time(engine):
        report = _import_all(paths, engine, today, on_progress)
    if sum(c.loaded + c.updated for c in report.totals().values()) >= BULK_ROWS:
        analyze(engine, vacuum=False)  # the next check's plans (its triggers') see the new rows
    return report


@contextmanager
def _one_import_at_a_time(engine: Engine) -> Iterator[None]:
    """Two imports at once (a drop-folder run and a person, say) take turns on PostgreSQL: each
    upserts on natural keys it first looks up, so side by side they would both insert one key.
    SQLite lets one writer in at a time by itself."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _IMPORT_LOCK})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _IMPORT_LOCK})
            connection.commit()


def _import_all(paths: Sequence[Path], engine: Engine, today: date,
                on_progress: Progress | None) -> ImportReport:
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
            db.add(QuarantinedRow(batch_id=batch.id, source=source, kind=refused.kind[:32],
                                  line=refused.line, field=_storable(refused.field, 64),
                                  reason=_storable(refused.reason, RAW_KEPT) or "",
                                  raw=_storable(refused.raw, RAW_KEPT) or ""))
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
        stream = ((kind, r.line, r.values, json.dumps(r.values), r.problem, r.field)
                  for r in csv_files.read_rows(path))
    pending: dict[str, list[Pending]] = {}
    for done, (row_kind, line, values, raw, problem, problem_field) in enumerate(stream, 1):
        counts = report.counts.setdefault(row_kind, KindCounts())
        if problem is None:
            problem, problem_field = _unstorable_value(values)
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
    report.performed.update(loader.performed)
    if on_progress is not None:
        on_progress(str(path), total, total)


def _flush(db: DbSession, loader: Loader, kind: str, chunk: list[Pending],
           report: FileReport) -> None:
    """Write a chunk in one transaction; should the database refuse it, write its rows one by
    one, so only the row the database refuses is quarantined — with the database's reason."""
    if not chunk:
        return
    try:
        counts, refused = loader.load(kind, chunk)
        db.commit()
    except SQLAlchemyError:
        db.rollback()
        loader.forget(chunk)
        counts, refused = KindCounts(), []
        for pending in chunk:
            try:
                one_counts, one_refused = loader.load(kind, [pending])
                db.commit()
            except SQLAlchemyError as error:
                db.rollback()
                loader.forget([pending])
                one_counts, one_refused = KindCounts(quarantined=1), [Refused(
                    kind, pending.line, None,
                    f"the database refused this row: {database_problem(error)}", pending.raw)]
            counts.add(one_counts)
            refused.extend(one_refused)
    report.counts.setdefault(kind, KindCounts()).add(counts)
    report.refused.extend(refused)
    chunk.clear()


def _unstorable_value(values: dict[str, str | None]) -> tuple[str | None, str | None]:
    """A value no column could take whatever its field: a NUL byte, or an enormous length."""
    for name, value in values.items():
        if value is None:
            continue
        if "\x00" in value:
            return (f"{name} holds a NUL byte (\\0), which no database column takes; remove it "
                    "from the export"), name
        if len(value) > LONGEST_VALUE:
            return (f"{name} is {len(value):,} characters long; no field takes more than "
                    f"{LONGEST_VALUE:,}"), name
    return None, None


def _storable(value: str | None, limit: int) -> str | None:
    """Text a quarantine row can hold on every backend: no NUL, not unbounded."""
    if value is None:
        return None
    value = value.replace("\x00", "\\0")
    return value if len(value) <= limit else value[:limit] + f"… ({len(value)} characters)"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()
