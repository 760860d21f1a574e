"""The money figures at practice-network scale: revenue at risk over the 21-day horizon, what was
protected, and a month of charges to capture, on a synthetic practice in a fresh SQLite file.

    .venv/bin/python bench/money.py --patients 100000 --performed 1000000

The practice is seeded with `tracker.practice.synthetic`, checked once with the pre-visit check
(so readiness reads stored results, as on the board) and its readiness recorded twice; each
figure is then timed, best of `--passes`.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

AS_OF = date(2026, 12, 1)


def _best(passes: int, work: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(passes):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--performed", type=int, default=1_000_000)
    parser.add_argument("--passes", type=int, default=2)
    args = parser.parse_args()

    from tracker.money.at_risk import protected, revenue_at_risk
    from tracker.money.capture import missed_charges
    from tracker.money.headline import previous_month
    from tracker.practice.synthetic import PracticeShape, seed_practice
    from tracker.store import connect, upgrade
    from tracker.visits.pre_visit import check_upcoming_visits
    from tracker.visits.readiness_history import record_readiness
    from tracker.visits.upcoming import upcoming_visits

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'money.sqlite'}"
        upgrade(url)
        engine = connect(url)
        started = time.perf_counter()
        report = seed_practice(engine, as_of=AS_OF, shape=PracticeShape(
            patients=args.patients, performed=args.performed))
        print(f"seeded {report.patients:,} patients, {report.performed:,} performed, "
              f"{report.scheduled_in_horizon:,} booked in the horizon "
              f"in {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        check_upcoming_visits(engine, AS_OF)
        print(f"pre-visit check {time.perf_counter() - started:.0f} s")
        visits = upcoming_visits(engine, AS_OF, 21)
        record_readiness(engine, visits)
        seconds, written = _best(1, lambda: record_readiness(engine, visits))
        print(f"record_readiness again ({len(visits):,} visits, {written} rows): {seconds:.2f} s")
        seconds, board = _best(args.passes, lambda: upcoming_visits(engine, AS_OF, 21))
        print(f"upcoming_visits (every visit's readiness computed, what revenue_at_risk read "
              f"before it read the stored readiness): {seconds:.2f} s")
        seconds, risk = _best(args.passes, lambda: revenue_at_risk(engine, AS_OF, 21))
        print(f"revenue_at_risk, 21 days: {seconds:.2f} s — {len(risk.visits):,} visits at risk, "
              f"${risk.total_cents / 100:,.2f}")
        same = revenue_at_risk(engine, AS_OF, 21, visits=board) == risk
        print(f"  the same figures as pricing upcoming_visits' own readiness: {same}")
        seconds, saved = _best(args.passes, lambda: protected(
            engine, AS_OF - timedelta(days=6), AS_OF))
        print(f"protected, 7 days: {seconds:.2f} s — {len(saved.visits):,} visits")
        since, until = previous_month(AS_OF)
        seconds, missed = _best(args.passes, lambda: missed_charges(engine, since, until))
        print(f"missed_charges, {since:%B %Y}: {seconds:.2f} s — {len(missed.charges):,} misses, "
              f"${missed.total_cents / 100:,.2f}")
        engine.dispose()


if __name__ == "__main__":
    main()
