"""The pre-visit check end to end (reads, evaluation, writes) on a synthetic practice network.

For each backend (a SQLite file, and a fresh PostgreSQL database `painauth_bench_<pid>_<n>` on
127.0.0.1:5432, dropped afterwards) and each history size, it seeds the network with
`tracker.practice.synthetic` (100,000 patients, 1,000,000 performed sessions and 20,000 scheduled
in the 21-day horizon by default), then, each in its own child process so that the peak RSS is the
stage's own:

- the lower bound: one SQL query that only counts performed sessions per patient and spinal
  region in the rolling 12 months, for the patients of the scheduled sessions;
- `check_upcoming_visits` on a fresh state (no stored results), then once more unchanged.

    .venv/bin/python bench/pre_visit.py                       # both backends, 1M and 100k history
    .venv/bin/python bench/pre_visit.py --growth years        # 1M over 180 months vs 100k over 18
    .venv/bin/python bench/pre_visit.py --backend sqlite --patients 10000 --sessions 100000 \\
        --scheduled 2000                                      # a quick run

Targets (issue 3): >= 5,000 scheduled sessions/s, peak memory <= 500 MB, and cost per scheduled
session growing <= 1.3x when the history grows tenfold.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

AS_OF = date(2026, 12, 1)
POSTGRES_ADMIN = os.environ.get("PAINAUTH_BENCH_POSTGRES_URL",
                                "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


# --- stages, each run in a child process --------------------------------------------------------

def stage_seed(url: str, patients: int, sessions: int, scheduled: int, history_months: int,
               seed: int) -> dict[str, Any]:
    from tracker.practice.synthetic import PracticeShape, seed_practice
    from tracker.store import connect, upgrade

    upgrade(url)
    engine = connect(url)
    started = time.perf_counter()
    report = seed_practice(engine, seed=seed, as_of=AS_OF, shape=PracticeShape(
        patients=patients, performed=sessions, scheduled=scheduled,
        history_months=history_months))
    seconds = time.perf_counter() - started
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    engine.dispose()
    return {"seconds": seconds, "patients": report.patients, "performed": report.performed,
            "scheduled": report.scheduled_in_horizon, "rows": report.counts,
            "peak_rss_mb": _peak_rss_mb()}


def _region_case() -> str:
    from tracker.codes import load_catalog

    catalog = load_catalog()
    by_region: dict[str, list[str]] = {}
    for code in ("62320", "62321", "62322", "62323", "64479", "64480", "64483", "64484", "64490",
                 "64491", "64492", "64493", "64494", "64495", "64633", "64634", "64635", "64636",
                 "27096", "G0260", "64451", "64625"):
        entry = catalog.get(code)
        if entry is not None and entry.region:
            by_region.setdefault(entry.region, []).append(code)
    whens = " ".join(f"WHEN c.code IN ({', '.join(repr(c) for c in codes)}) THEN '{region}'"
                     for region, codes in sorted(by_region.items()))
    return f"CASE {whens} END"


def stage_lower_bound(url: str) -> dict[str, Any]:
    """One query: performed sessions per patient and region in the rolling 12 months, for the
    patients with a session scheduled in the horizon."""
    from tracker.store import connect, upgrade

    upgrade(url)  # the schema may have moved on since the network was seeded
    engine = connect(url)
    query = text(f"""
        SELECT b.patient_id, {_region_case()} AS region, COUNT(DISTINCT h.id)
        FROM sessions b
        JOIN sessions h ON h.patient_id = b.patient_id AND h.status = 'performed'
             AND h.date > :since AND h.date <= :as_of
        JOIN session_codes c ON c.session_id = h.id
        WHERE b.status = 'scheduled' AND b.date >= :as_of AND b.date <= :until
        GROUP BY b.patient_id, region""")
    started = time.perf_counter()
    with engine.connect() as connection:
        rows = connection.execute(query, {"since": AS_OF.replace(year=AS_OF.year - 1),
                                          "as_of": AS_OF,
                                          "until": AS_OF + timedelta(days=21)}).all()
        scheduled = connection.execute(text(
            "SELECT COUNT(*) FROM sessions WHERE status = 'scheduled' AND date >= :a AND date <= :u"),
            {"a": AS_OF, "u": AS_OF + timedelta(days=21)}).scalar_one()
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "groups": len(rows), "scheduled": scheduled,
            "peak_rss_mb": _peak_rss_mb()}


def _forget_results(url: str) -> None:
    """Back to a fresh state: no stored results, authorizations or their events."""
    from tracker.store import connect

    engine = connect(url)
    with engine.begin() as connection:
        for table in ("authorization_events", "authorizations", "evaluation_results"):
            connection.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


def stage_check(url: str, profile: str | None, workers: int, repeat: int) -> dict[str, Any]:
    from tracker.store import connect, upgrade
    from tracker.visits.pre_visit import check_upcoming_visits

    if workers != 1:
        raise SystemExit("check_upcoming_visits runs in one process; bench/scale_out.py times "
                         "the flow's batches on 1 and 2 Dask workers")
    upgrade(url)  # the schema may have moved on since the network was seeded
    engine = connect(url)
    check_upcoming_visits(engine, AS_OF, horizon_days=-1)  # warm imports and policies: no visits
    best, first = float("inf"), None
    for attempt in range(repeat):
        _forget_results(url)
        profiler = None
        if profile and attempt == 0:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        first = check_upcoming_visits(engine, AS_OF)
        best = min(best, time.perf_counter() - started)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
    assert first is not None
    # peak RSS of this process, plus each worker process at the largest worker's peak
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    peak = _peak_rss_mb() + (workers * children if workers > 1 else 0)
    started = time.perf_counter()
    again = check_upcoming_visits(engine, AS_OF)
    rerun = time.perf_counter() - started
    engine.dispose()
    return {"seconds": best, "evaluated": first.evaluated, "no_coverage": first.no_coverage,
            "verdicts": dict(first.verdicts), "authorizations_opened": first.authorizations_opened,
            "rerun_seconds": rerun, "rerun_changed": again.changed, "peak_rss_mb": peak}


# --- orchestration ------------------------------------------------------------------------------

def _child(stage: str, **kwargs: Any) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--stage", stage, "--stage-args",
                           json.dumps(kwargs)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"stage {stage} failed")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


class _Database:
    """A fresh database for one run: a SQLite file, or a PostgreSQL database dropped afterwards."""

    def __init__(self, backend: str, label: str, folder: Path) -> None:
        self.backend = backend
        if backend == "sqlite":
            self.url = f"sqlite:///{folder / f'bench-{label}.sqlite'}"
            self.name = None
        else:
            self.name = f"painauth_bench_{os.getpid()}_{label}"
            self.url = make_url(POSTGRES_ADMIN).set(database=self.name).render_as_string(
                hide_password=False)

    def __enter__(self) -> str:
        if self.name:
            self._admin(f'CREATE DATABASE "{self.name}"')
        return self.url

    def __exit__(self, *exc: object) -> None:
        if self.name:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    @staticmethod
    def _admin(statement: str) -> None:
        admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(statement))
        admin.dispose()


def run(backend: str, patients: int, sessions: int, scheduled: int, history_months: int,
        seed: int, folder: Path, profile: str | None, workers: list[int],
        repeat: int) -> list[dict[str, Any]]:
    label = f"{sessions}"
    rows = []
    with _Database(backend, label, folder) as url:
        seeded = _child("seed", url=url, patients=patients, sessions=sessions,
                        scheduled=scheduled, history_months=history_months, seed=seed)
        print(f"  {backend:10} seeded {seeded['patients']:,} patients, {seeded['performed']:,} "
              f"performed over {history_months} months and {seeded['scheduled']:,} scheduled "
              f"sessions in "
              f"{seeded['seconds']:.1f} s", flush=True)
        bound = _child("lower_bound", url=url)
        for count in workers:
            checked = _child("check", url=url, profile=profile, workers=count, repeat=repeat)
            rate = checked["evaluated"] / checked["seconds"]
            row = {"backend": backend, "workers": count, "patients": patients,
                   "performed": seeded["performed"], "scheduled": seeded["scheduled"],
                   "seed_seconds": seeded["seconds"], "check_seconds": checked["seconds"],
                   "rate": rate,
                   "us_per_session": 1e6 * checked["seconds"] / max(1, checked["evaluated"]),
                   "peak_rss_mb": checked["peak_rss_mb"], "rerun_seconds": checked["rerun_seconds"],
                   "rerun_changed": checked["rerun_changed"],
                   "lower_bound_seconds": bound["seconds"],
                   "lower_bound_rate": bound["scheduled"] / bound["seconds"],
                   "evaluated": checked["evaluated"], "verdicts": checked["verdicts"],
                   "authorizations_opened": checked["authorizations_opened"]}
            print(f"  {backend:10} history {row['performed']:>9,}, {count} worker(s): check "
                  f"{row['evaluated']:,} sessions in {row['check_seconds']:.2f} s = {rate:,.0f}/s "
                  f"({row['us_per_session']:.0f} µs each), peak RSS {row['peak_rss_mb']:.0f} MB; "
                  f"re-run {row['rerun_seconds']:.2f} s ({row['rerun_changed']} changed); lower "
                  f"bound {row['lower_bound_seconds']:.2f} s = {row['lower_bound_rate']:,.0f}/s",
                  flush=True)
            rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000,
                        help="performed sessions in the network (default 1,000,000)")
    parser.add_argument("--scheduled", type=int, default=20_000,
                        help="scheduled sessions in the 21-day horizon (default 20,000)")
    parser.add_argument("--history-months", type=int, default=18)
    parser.add_argument("--no-growth", action="store_true",
                        help="skip the run with a tenth of the history")
    parser.add_argument("--growth", choices=["density", "years"], default="density",
                        help="how the tenth of the history differs: density = a tenth of the "
                             "sessions over the same months (default); years = the full run's "
                             "sessions spread over ten times the months")
    parser.add_argument("--workers", default="1",
                        help="worker processes: 1 (the service call runs in one process; "
                             "bench/scale_out.py times 1 and 2 Dask workers)")
    parser.add_argument("--repeat", type=int, default=2,
                        help="timed checks from a fresh state per figure; the best is kept")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", metavar="FILE",
                        help="write a cProfile of the first check to FILE (.prof)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--stage-args", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        stages = {"seed": stage_seed, "lower_bound": stage_lower_bound, "check": stage_check}
        print(json.dumps(stages[args.stage](**json.loads(args.stage_args))))
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    sizes = [args.sessions] + ([] if args.no_growth else [args.sessions // 10])
    workers = [int(n) for n in args.workers.split(",")]
    rows = []
    with tempfile.TemporaryDirectory(prefix="painauth-bench-") as folder:
        for backend in backends:
            for sessions in sizes:
                months = args.history_months
                if args.growth == "years" and sessions == args.sessions and len(sizes) == 2:
                    months *= 10
                rows += run(backend, args.patients, sessions, args.scheduled, months, args.seed,
                            Path(folder), args.profile, workers, args.repeat)
    for backend in backends:
        for count in workers:
            mine = [r for r in rows if r["backend"] == backend and r["workers"] == count]
            if len(mine) == 2:
                growth = mine[0]["us_per_session"] / mine[1]["us_per_session"]
                print(f"{backend}, {count} worker(s): cost per scheduled session grows "
                      f"{growth:.2f}x when the history grows from {mine[1]['performed']:,} to "
                      f"{mine[0]['performed']:,} sessions (target <= 1.3x)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
