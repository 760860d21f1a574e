"""Import practice data dropped into a folder: the same service as `painauth import`.

Files in the drop folder (default `$PAINAUTH_HOME/drop`) are imported together, then moved to
`done/` — or to `failed/` when the file could not be read at all. Rows refused inside a file are in
quarantine (`painauth import --errors`); the rest of that file is loaded and it goes to `done/`.
A name already taken in the target folder gets a timestamp.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow

from flows.run_names import dated
from tracker.authorizations.billing_review import review_imported
from tracker.importers.service import SUFFIXES, ImportReport, import_practice_files
from tracker.settings import load_settings
from tracker.store.database import connect


@flow(name="import-practice-data", flow_run_name=dated("import-practice-data"), log_prints=True)
def import_practice_data(drop_folder: str | None = None) -> dict[str, dict[str, int]]:
    """Import every CSV file and FHIR bundle waiting in the drop folder, then file them away."""
    settings = load_settings()
    drop = Path(drop_folder) if drop_folder else settings.home / "drop"
    files = sorted(p for p in drop.glob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        print(f"nothing to import in {drop}")
        return {}
    engine = connect(settings.resolved_database_url())
    try:
        report = import_practice_files(files, engine)
        flagged = review_imported(engine, report)
    finally:
        engine.dispose()
    file_away(report, drop)
    if flagged:
        print(f"{len(flagged)} authorizations flagged for billing review: what was performed "
              "differs from what was authorized")
    for file in report.files:
        outcome = file.error or {k: c.as_dict() for k, c in file.counts.items()}
        print(f"{file.path}: {outcome}")
    return {kind: counts.as_dict() for kind, counts in report.totals().items()}


def file_away(report: ImportReport, drop: Path) -> None:
    """Move each imported file into done/, or failed/ when it could not be read."""
    for file in report.files:
        source = Path(file.path)
        if not source.exists():
            continue
        target_folder = drop / ("done" if file.error is None else "failed")
        target_folder.mkdir(parents=True, exist_ok=True)
        target = target_folder / source.name
        if target.exists():
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
            target = target_folder / f"{source.stem}.{stamp}{source.suffix}"
        shutil.move(str(source), target)
