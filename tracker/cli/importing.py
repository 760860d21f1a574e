"""`painauth import PATH...` and `painauth import --errors`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.billing_review import review_imported
from tracker.cli.database import database
from tracker.importers.service import ImportReport, import_practice_files
from tracker.importers.service import Progress as ProgressCallback
from tracker.store.tables import QuarantinedRow

# A file this many rows long or longer gets a progress bar.
PROGRESS_FROM_ROWS = 2000


@click.command("import")
@click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path(path_type=Path))
@click.option("--errors", is_flag=True, help="list the rows still quarantined instead of importing")
def import_files(paths: tuple[Path, ...], errors: bool) -> int:
    """Import practice data: CSV files and FHIR R4 bundles (see docs/import.md).

    PATH is a CSV file, a FHIR bundle (.json) or a folder of them. Bad rows are quarantined with
    their file, line, field and reason; the good ones are loaded.
    """
    out, err = Console(soft_wrap=True), Console(stderr=True, soft_wrap=True)
    if not errors and not paths:
        raise click.UsageError("name at least one file or folder, or use --errors")
    with database() as engine:
        if errors:
            return _list_quarantine(engine, out)
        with _progress_bar(err) as on_progress:
            report = import_practice_files(list(paths), engine, on_progress=on_progress)
        flagged = review_imported(engine, report)
    print_report(report, out, err)
    if flagged:
        out.print(f"{len(flagged)} authorization(s) flagged for billing review (what was "
                  f"performed differs from what was authorized): {', '.join(map(str, flagged))}")
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
