"""`painauth status --days N`: the upcoming-visits board as a terminal table."""

from __future__ import annotations

import argparse
from datetime import date

from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from tracker.settings import load_settings
from tracker.store.database import connect, database_problem
from tracker.store.migrating import SchemaNotCurrent, require_current_schema
from tracker.visits.upcoming import UpcomingVisit, upcoming_visits

VERDICT_STYLE = {"blocked": "bold red", "needs_documentation": "yellow", "needs_auth": "cyan",
                 "ok": "green"}


def visits_table(visits: list[UpcomingVisit], title: str) -> Table:
    table = Table(title=title)
    for column in ("date", "MRN", "patient", "provider", "codes", "payer", "verdict", "auth",
                   "counters", "next eligible"):
        table.add_column(column, overflow="fold")
    for v in visits:
        style = VERDICT_STYLE.get(v.verdict, "magenta")
        table.add_row(v.date.isoformat(), v.mrn, v.patient_name, v.provider, v.codes, v.payer,
                      f"[{style}]{v.verdict}[/]", v.auth_status, "\n".join(v.counters),
                      v.next_eligible_date or "")
    return table


def status_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    engine = connect(settings.resolved_database_url())
    start = date.fromisoformat(args.start) if args.start else date.today()
    try:
        require_current_schema(engine)
        visits = upcoming_visits(engine, start, args.days, verdict=args.verdict)
    except SchemaNotCurrent as err:
        Console(stderr=True).print(f"painauth status: {err}")
        return 1
    except SQLAlchemyError as err:
        Console(stderr=True).print(f"painauth status: cannot read the database at "
                                   f"{settings.database_url_for_display()}: "
                                   f"{database_problem(err)}")
        return 1
    finally:
        engine.dispose()
    if args.attention:
        visits = [v for v in visits if v.needs_attention]
    console = Console(width=max(Console().width, 180))
    console.print(visits_table(visits, f"Upcoming visits {start} + {args.days} days "
                                       f"({len(visits)})"))
    return 0
