"""`painauth money`: the revenue headline and the charges to capture, in the terminal."""

from __future__ import annotations

from datetime import date, timedelta

import click

from tracker.cli.options import DATE, as_of_option


@click.command()
@as_of_option("the day the figures are for")
@click.option("--since", type=DATE, default=None, metavar="YYYY-MM-DD",
              help="list the charges to capture performed from this day (default: a week back)")
def money(as_of: date | None, since: date | None) -> int:
    """At risk this week, protected, not captured last month; then each charge to capture."""
    from rich.console import Console
    from rich.table import Table

    from tracker.cli.database import database
    from tracker.money.capture import KIND_WORDS, missed_charges
    from tracker.money.fee_schedule import dollars
    from tracker.money.headline import WEEK_DAYS, headline

    day = as_of or date.today()
    first = since or day - timedelta(days=WEEK_DAYS)
    if first > day:
        raise click.BadParameter(f"--since {first} is after --as-of {day}; give an earlier day",
                                 param_hint="--since")
    with database() as engine:
        top = headline(engine, day)
        recent = missed_charges(engine, first, day)
    console = Console(width=max(Console().width, 160))
    for line in top.lines():
        console.print(line)
    table = Table(title=f"Charges to capture, performed {first} to {day} "
                        f"({dollars(recent.total_cents)})")
    for column in ("date", "MRN", "payer", "kind", "add", "amount", "why"):
        table.add_column(column)
    for c in recent.charges:
        table.add_row(c.date.isoformat(), c.mrn, c.payer or "—", KIND_WORDS[c.kind],
                      c.code + (f"×{c.units}" if c.units != 1 else ""),
                      dollars(c.amount_cents) if c.amount_cents is not None else "no fee on file",
                      c.message)
    console.print(table)
    return 0
