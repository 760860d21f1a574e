"""`painauth seed`: upgrade the database, then write a synthetic practice into it."""

from __future__ import annotations

import time
from datetime import date

import click

from tracker.cli.options import as_of_option


@click.command()
@click.option("--patients", type=click.IntRange(min=1), default=300, show_default=True,
              help="how many patients")
@click.option("--seed", "seed_number", type=int, default=7, show_default=True, help="random seed")
@as_of_option("the day the history ends and the three-week schedule starts")
def seed(patients: int, seed_number: int, as_of: date | None) -> int:
    """Upgrade the database, then write a synthetic practice into it, for trying things out."""
    from tracker.cli import CommandFailed
    from tracker.cli.database import database
    from tracker.practice.synthetic import AlreadySeeded, PracticeShape, seed_practice
    from tracker.settings import load_settings

    settings = load_settings()
    started = time.perf_counter()
    with database(settings, upgrade_first=True) as engine:
        try:
            report = seed_practice(engine, seed=seed_number, as_of=as_of or date.today(),
                                   shape=PracticeShape(patients=patients))
        except AlreadySeeded as err:
            raise CommandFailed(str(err)) from None
    click.echo(f"seeded a synthetic practice into {settings.database_url_for_display()} in "
               f"{time.perf_counter() - started:.1f} s (seed {report.seed}, as of {report.as_of}): "
               f"{report.providers} providers, {report.patients} patients "
               f"({report.scenario_patients} scenario patients), {report.performed} performed "
               f"sessions, {report.scheduled_in_horizon} scheduled in the next 21 days and "
               f"{report.scheduled_later} later")
    return 0
