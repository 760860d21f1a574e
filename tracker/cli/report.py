"""`painauth report …`: the practice's figures for its owner — the monthly PDF report (headline
numbers, the charts and the tables the board's Practice page shows)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from tracker.cli.options import MONTH


@click.group()
def report() -> None:
    """Reports on the practice's authorizations for its owner."""


@report.command()
@click.option("--month", type=MONTH, default=None, metavar="YYYY-MM",
              help="the month to report (default: the last full month)")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              required=True, help="where to write the PDF")
def monthly(month: str | None, out: Path) -> int:
    """Write one month's report as a PDF: approval rates, turnaround against the decision clock,
    denials by reason, appeals and exemption progress, with their charts."""
    from tracker.cli.database import database
    from tracker.figures.monthly_pdf import render_monthly_report
    from tracker.figures.report import money_report, month_asked, practice_report

    if not out.parent.is_dir():
        raise click.BadParameter(f"the folder {out.parent} does not exist", param_hint="'--out'")
    with database() as engine:
        asked = month_asked(month, date.today())
        found = practice_report(engine, asked)
        money = money_report(engine, asked, date.today())
    out.write_bytes(render_monthly_report(found, money))
    headline = dict(found.headline())
    click.echo(f"wrote {out} (the report for {found.month.label}: "
               f"{headline['Requests decided']} requests decided, "
               f"{headline['Approved in full']} approved in full)")
    return 0
