"""`painauth seed`: upgrade the database, then write a synthetic practice into it."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from sqlalchemy.exc import SQLAlchemyError

from tracker.practice.synthetic import AlreadySeeded, PracticeShape, seed_practice
from tracker.settings import load_settings
from tracker.store.database import connect, database_problem
from tracker.store.migrating import upgrade


def seed_command(args: argparse.Namespace) -> int:
    if args.patients < 1:
        print("painauth seed: --patients must be at least 1", file=sys.stderr)
        return 2
    try:
        as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
    except ValueError:
        print(f"painauth seed: --as-of {args.as_of!r} is not a date YYYY-MM-DD", file=sys.stderr)
        return 2
    settings = load_settings()
    shown = settings.database_url_for_display()
    started = time.perf_counter()
    engine = None
    try:
        upgrade(settings.resolved_database_url())
        engine = connect(settings.resolved_database_url())
        report = seed_practice(engine, seed=args.seed, as_of=as_of,
                               shape=PracticeShape(patients=args.patients))
    except AlreadySeeded as err:
        print(f"painauth seed: {err}", file=sys.stderr)
        return 1
    except SQLAlchemyError as err:
        first = database_problem(err)
        print(f"painauth seed: could not write to the database at {shown}: {first}",
              file=sys.stderr)
        return 1
    finally:
        if engine is not None:
            engine.dispose()
    print(f"seeded a synthetic practice into {shown} in {time.perf_counter() - started:.1f} s "
          f"(seed {report.seed}, as of {report.as_of}): {report.providers} providers, "
          f"{report.patients} patients ({report.scenario_patients} scenario patients), "
          f"{report.performed} performed sessions, {report.scheduled_in_horizon} scheduled in the "
          f"next 21 days and {report.scheduled_later} later")
    return 0
