"""`painauth status`: the upcoming-visits board as a terminal table, or as JSON for scripts."""

from __future__ import annotations

from datetime import date

import click

from tracker.cli.options import DATE

VERDICTS = ("blocked", "needs_documentation", "needs_auth", "ok")
READINESSES = ("stop", "act", "waiting", "clear")


@click.command()
@click.option("--days", type=click.IntRange(min=1, max=366), default=21, show_default=True,
              help="how many days ahead")
@click.option("--start", type=DATE, default=None, metavar="YYYY-MM-DD",
              help="first day (default today)")
@click.option("--verdict", type=click.Choice(VERDICTS), default=None,
              help="only visits with this verdict")
@click.option("--readiness", type=click.Choice(READINESSES), default=None,
              help="only visits with this readiness")
@click.option("--attention", is_flag=True, help="only visits needing attention (not clear)")
@click.option("--json", "as_json", is_flag=True,
              help="print the board's rows as JSON (the same rows as GET /api/visits)")
def status(days: int, start: date | None, verdict: str | None, readiness: str | None,
           attention: bool, as_json: bool) -> int:
    """The upcoming visits, worst readiness first: why, what to do, the authorization."""
    import json

    from rich.console import Console

    from tracker.cli.database import database
    from tracker.visits.status_rows import status_document, status_visits
    from tracker.visits.table import visits_table

    first = start or date.today()
    with database() as engine:
        if as_json:
            document = status_document(engine, first, days, verdict=verdict, readiness=readiness,
                                       attention=attention)
            click.echo(json.dumps(document, indent=2))
            return 0
        visits = status_visits(engine, first, days, verdict=verdict, readiness=readiness,
                               attention=attention)
    console = Console(width=max(Console().width, 180))
    console.print(visits_table(visits, f"Upcoming visits {first} + {days} days ({len(visits)})"))
    return 0
