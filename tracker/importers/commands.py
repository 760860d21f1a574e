"""`painauth import PATH...` and `painauth import --errors`."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.importers.service import ImportReport, import_practice_files
from tracker.importers.service import Progress as ProgressCallback
from tracker.settings import load_settings
from tracker.store.database import connect, database_problem
from tracker.store.migrating import SchemaNotCurrent, require_current_schema
from tracker.store.tables import QuarantinedRow

# A file this many rows long or longer gets a progress bar.
PROGRESS_FROM_ROWS = 2000


def import_command(args: argparse.Namespace) -> int:
    out, err = Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)
    if not args.errors and not args.paths:
        err.print("painauth import: name at least one file or folder, or use --errors")
        return 2
    settings = load_settings()
    engine = connect(settings.resolved_database_url())
    try:
        if args.errors:
            return _list_quarantine(engine, out)
        with _progress_bar(err) as on_progress:
            report = import_practice_files(args.paths, engine, on_progress=on_progress)
    except SchemaNotCurrent as error:
        err.print(f"painauth import: {error}")
        return 1
    except SQLAlchemyError as error:
        reason = database_problem(error)
        err.print(f"painauth import: cannot use the database at "
                  f"{settings.database_url_for_display()}: {reason}")
        return 1
    finally:
        engine.dispose()
    print_report(report, out, err)
    return 0 if report.clean else 1


@contextmanager
def _progress_bar(console: Console) -> Iterator[ProgressCallback]:
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeRemainingColumn(), console=console, transient=True,
                        disable=not console.is_terminal)
    tasks: dict[str, int] = {}

    def on_progress(path: str, done: int, total: int) -> None:
        if total < PROGRESS_FROM_ROWS:
            return
        if path not in tasks:
            tasks[path] = progress.add_task(Path(path).name, total=total)
        progress.update(tasks[path], completed=done)  # type: ignore[arg-type]

    with progress:
        yield on_progress


def print_report(report: ImportReport, out: Console, err: Console) -> None:
    for file in report.files:
        if file.error:
            err.print("[bold red]not imported[/] ", end="")
            err.print(f"{file.path}: {file.error}", markup=False, highlight=False)
        for refused in file.refused[:20]:
            where = f"{file.path}, line {refused.line}"
            column = f", field {refused.field}" if refused.field else ""
            err.print(f"[yellow]quarantined[/] {where}{column}: ", end="")
            err.print(refused.reason, markup=False, highlight=False)
        if len(file.refused) > 20:
            err.print(f"... and {len(file.refused) - 20} more in {file.path}; "
                      "see `painauth import --errors`")
    table = Table(title="import summary")
    for heading in ("kind", "loaded", "updated", "unchanged", "quarantined", "skipped"):
        table.add_column(heading, justify="left" if heading == "kind" else "right")
    for kind, counts in report.totals().items():
        table.add_row(kind, *(str(v) for v in counts.as_dict().values()))
    out.print(table)


def _list_quarantine(engine: Engine, out: Console) -> int:
    require_current_schema(engine)
    with DbSession(engine) as db:
        rows = list(db.exec(select(QuarantinedRow).order_by(
            col(QuarantinedRow.source), col(QuarantinedRow.line))))
    if not rows:
        out.print("no quarantined rows")
        return 0
    out.print(f"{len(rows)} quarantined rows (file:line, kind, field: reason)")
    for row in rows:
        field = f", {row.field}" if row.field else ""
        out.print(f"{row.source}:{row.line}  {row.kind}{field}: {row.reason}", markup=False,
                  highlight=False)
    return 0
