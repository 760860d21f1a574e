"""`painauth status`: the upcoming-visits board as a terminal table."""

from __future__ import annotations

from datetime import date

import click

from tracker.cli.options import DATE

VERDICTS = ("blocked", "needs_documentation", "needs_auth", "ok")


@click.command()
@click.option("--days", type=click.IntRange(min=1, max=366), default=21, show_default=True,
              help="how many days ahead")
@click.option("--start", type=DATE, default=None, metavar="YYYY-MM-DD",
              help="first day (default today)")
@click.option("--verdict", type=click.Choice(VERDICTS), default=None,
              help="only visits with this verdict")
@click.option("--attention", is_flag=True, help="only visits needing attention")
def status(days: int, start: date | None, verdict: str | None, attention: bool) -> int:
    """The upcoming visits: verdict, authorization, counters, next eligible date."""
    from rich.console import Console

    from tracker.cli.database import database
    from tracker.visits.table import visits_table
    from tracker.visits.upcoming import upcoming_visits

    first = start or date.today()
    with database() as engine:
        visits = upcoming_visits(engine, first, days, verdict=verdict)
    if attention:
        visits = [v for v in visits if v.needs_attention]
    console = Console(width=max(Console().width, 180))
    console.print(visits_table(visits, f"Upcoming visits {first} + {days} days ({len(visits)})"))
    return 0
