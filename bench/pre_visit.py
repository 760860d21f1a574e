"""The pre-visit check end to end (reads, evaluation, writes) on a synthetic practice network.

For each backend (a SQLite file, and a fresh PostgreSQL database `painauth_bench_<pid>_<n>` on
127.0.0.1:5432, dropped afterwards) and each history size, it seeds the network with
`tracker.practice.synthetic` (100,000 patients, 1,000,000 performed sessions and 20,000 scheduled
in the 21-day horizon by default), then, each in its own child process so that the peak RSS is the
stage's own:

- `check_upcoming_visits` (one worker, fresh state: no stored results) and its lower bound, in
  interleaved runs: the same rows read and written with plain SQL (see `lower_bound`);
- with `--flow`, the shipped `pre_visit_check` flow against the bare call, interleaved.

Each pair is stated as ratios, min / median / max over the runs, with the load average.

    .venv/bin/python bench/pre_visit.py                       # both backends, 1M and 100k history
    .venv/bin/python bench/pre_visit.py --backend sqlite --patients 10000 --sessions 100000 \\
        --scheduled 2000 --no-growth --flow                   # a quick run

Targets (issue 15): the check within 4x of the bound on one worker, peak memory <= 500 MB, and
the flow within 1.3x of the bare call.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
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
    engine.dispose()
    return {"seconds": seconds, "patients": report.patients, "performed": report.performed,
            "scheduled": report.scheduled_in_horizon, "rows": report.counts,
            "peak_rss_mb": _peak_rss_mb()}


WRITTEN = ("evaluation_results", "authorizations", "authorization_lines", "authorization_events")


def _written_rows(engine: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row a check wrote (results, authorizations, their lines and events), as dicts."""
    from sqlalchemy import MetaData, select

    tables = MetaData()
    tables.reflect(engine, only=list(WRITTEN))
    with engine.connect() as connection:
        return {name: [dict(row._mapping) for row in connection.execute(select(tables.tables[name]))]
                for name in WRITTEN}


def lower_bound(engine: Any, written: dict[str, list[dict[str, Any]]]) -> float:
    """Seconds to read the rows the check reads and write the rows it wrote, with plain SQL.

    Reads: for the patients with a session in the horizon, 900 at a time as the check does, their
    sessions in the history the policies reach (12 months, older ones only with a lasting code)
    with every code line, their coverage, conservative care and psychological evaluations — each
    row fetched as a tuple and dropped. Writes: the same result, authorization, line and event
    rows the check stored, by executemany in one transaction (the rows as the check wrote them,
    ids included). No evaluation, no objects: what any implementation must at least do."""
    from sqlalchemy import MetaData, bindparam, insert

    from tracker.codes import load_catalog
    from tracker.rules import policies_in_force
    from tracker.visits.history_reach import history_reach
    from tracker.visits.pre_visit import patients_with_visits

    reach = history_reach(policies_in_force().values(), load_catalog())
    lasting = sorted(reach.lasting_codes) or ["-"]
    postgres = engine.dialect.name == "postgresql"
    lines = ("LEFT JOIN LATERAL (SELECT * FROM session_codes c WHERE c.session_id = s.id "
             "OFFSET 0) c ON true" if postgres else "LEFT JOIN session_codes c ON c.session_id = s.id")
    sessions = text(f"""
        SELECT s.id, s.patient_id, s.status, s.date, s.place_of_service, s.intent, s.muscles,
               s.relief_percent, s.duration_days, s.medication_reduction_percent,
               s.service_state, s.location_id, s.provider_id, c.code, c.units,
               CAST(c.modifiers AS TEXT), c.dose_mg, c.wasted_mg, c.container, c.ndc
        FROM sessions s {lines}
        WHERE s.patient_id IN :ids AND (s.date >= :since OR EXISTS (
            SELECT 1 FROM session_codes l WHERE l.session_id = s.id AND l.code IN :lasting))
        ORDER BY s.patient_id, s.date, c.position""").bindparams(
        bindparam("ids", expanding=True), bindparam("lasting", expanding=True))
    others = [text(sql).bindparams(bindparam("ids", expanding=True)) for sql in (
        "SELECT id, mrn FROM patients WHERE id IN :ids",
        "SELECT patient_id, payer, rank, effective_start, effective_end, plan_type FROM coverages "
        "WHERE patient_id IN :ids ORDER BY effective_start",
        "SELECT patient_id, kind, start, \"end\" FROM conservative_care WHERE patient_id IN :ids "
        "ORDER BY start",
        "SELECT patient_id, date, result FROM psych_evaluations WHERE patient_id IN :ids "
        "ORDER BY date")]
    tables = MetaData()
    tables.reflect(engine, only=list(WRITTEN))
    started = time.perf_counter()
    patients = patients_with_visits(engine, AS_OF, 21)
    with engine.begin() as connection:
        connection.execute(text("SELECT id, npi FROM providers")).all()
        for first in range(0, len(patients), 900):
            ids = patients[first:first + 900]
            connection.execute(sessions, {"ids": ids, "since": reach.since(AS_OF),
                                          "lasting": lasting}).all()
            for query in others:
                connection.execute(query, {"ids": ids}).all()
        for name in WRITTEN:
            if written[name]:
                connection.execute(insert(tables.tables[name]), written[name])
    return time.perf_counter() - started


def _forget_results(url: str) -> None:
    """Back to a fresh state: no stored results, authorizations or their events."""
    from tracker.store import connect

    engine = connect(url)
    with engine.begin() as connection:
        for table in reversed(WRITTEN):
            connection.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


def stage_compare(url: str, runs: int, profile: str | None) -> dict[str, Any]:
    """`check_upcoming_visits` (one worker, fresh state) and the lower bound, interleaved."""
    from tracker.store import connect, upgrade
    from tracker.visits.pre_visit import check_upcoming_visits

    upgrade(url)  # the schema may have moved on since the network was seeded
    engine = connect(url)
    check_upcoming_visits(engine, AS_OF, horizon_days=-1)  # warm imports and policies: no visits
    checks, bounds = [], []
    first = None
    for attempt in range(runs):
        _forget_results(url)
        profiler = None
        if profile and attempt == 0:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        first = check_upcoming_visits(engine, AS_OF)
        checks.append(time.perf_counter() - started)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(str(profile))
        written = _written_rows(engine)
        _forget_results(url)
        bounds.append(lower_bound(engine, written))
    assert first is not None
    _forget_results(url)
    check_upcoming_visits(engine, AS_OF)
    started = time.perf_counter()
    again = check_upcoming_visits(engine, AS_OF)
    rerun = time.perf_counter() - started
    engine.dispose()
    return {"checks": checks, "bounds": bounds, "evaluated": first.evaluated,
            "no_coverage": first.no_coverage, "verdicts": dict(first.verdicts),
            "authorizations_opened": first.authorizations_opened,
            "rows_written": {name: len(rows) for name, rows in written.items()},
            "rerun_seconds": rerun, "rerun_changed": again.changed,
            "peak_rss_mb": _peak_rss_mb()}


def stage_flow(url: str, runs: int) -> dict[str, Any]:
    """The shipped `pre_visit_check` flow against the bare `check_upcoming_visits` call, each
    from a fresh state, interleaved, on a temporary Prefect server (as the tests run it)."""
    from tracker.scheduling.embedded_prefect import STARTUP_TIMEOUT_SECONDS, use_embedded_prefect

    use_embedded_prefect()
    from prefect.testing.utilities import prefect_test_harness

    from flows.pre_visit_check import pre_visit_check
    from tracker.store import connect, upgrade
    from tracker.visits.pre_visit import check_upcoming_visits

    upgrade(url)
    os.environ["PAINAUTH_DATABASE_URL"] = url
    engine = connect(url)
    flows, bares = [], []
    with prefect_test_harness(server_startup_timeout=STARTUP_TIMEOUT_SECONDS):
        pre_visit_check(as_of=AS_OF, horizon_days=-1)  # warm: the server, imports, policies
        for _ in range(runs):
            _forget_results(url)
            started = time.perf_counter()
            bare = check_upcoming_visits(engine, AS_OF)
            bares.append(time.perf_counter() - started)
            _forget_results(url)
            started = time.perf_counter()
            summary = pre_visit_check(as_of=AS_OF)
            flows.append(time.perf_counter() - started)
            assert summary["evaluated"] == bare.evaluated, (summary, bare)
    engine.dispose()
    return {"flows": flows, "bares": bares, "evaluated": bare.evaluated}


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


def _spread(values: list[float]) -> str:
    ordered = sorted(values)
    return (f"min {ordered[0]:.2f}x, median {statistics.median(ordered):.2f}x, "
            f"max {ordered[-1]:.2f}x")


def run(backend: str, patients: int, sessions: int, scheduled: int, history_months: int,
        seed: int, folder: Path, profile: str | None, runs: int, flow: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"backend": backend, "patients": patients, "load": _load()}
    with _Database(backend, f"{sessions}", folder) as url:
        seeded = _child("seed", url=url, patients=patients, sessions=sessions,
                        scheduled=scheduled, history_months=history_months, seed=seed)
        print(f"  {backend:10} seeded {seeded['patients']:,} patients, {seeded['performed']:,} "
              f"performed over {history_months} months and {seeded['scheduled']:,} scheduled "
              f"sessions in {seeded['seconds']:.1f} s", flush=True)
        row.update(performed=seeded["performed"], scheduled=seeded["scheduled"])
        compared = _child("compare", url=url, runs=runs, profile=profile)
        ratios = [c / b for c, b in zip(compared["checks"], compared["bounds"], strict=True)]
        best = min(compared["checks"])
        row.update(compared, ratios=ratios)
        print(f"  {backend:10} history {seeded['performed']:>9,}: check / lower bound "
              f"{_spread(ratios)} over {runs} interleaved runs (target <= 4x); check "
              f"{compared['evaluated']:,} sessions, best {best:.2f} s = "
              f"{compared['evaluated'] / best:,.0f}/s, bound best {min(compared['bounds']):.2f} s; "
              f"peak RSS {compared['peak_rss_mb']:.0f} MB; re-run {compared['rerun_seconds']:.2f} s "
              f"({compared['rerun_changed']} changed); load {row['load']}", flush=True)
        if flow:
            flowed = _child("flow", url=url, runs=runs)
            row["flow_ratios"] = [f / b for f, b in zip(flowed["flows"], flowed["bares"],
                                                        strict=True)]
            print(f"  {backend:10} history {seeded['performed']:>9,}: pre_visit_check flow / bare "
                  f"check_upcoming_visits {_spread(row['flow_ratios'])} over {runs} interleaved "
                  f"runs (target <= 1.3x); bare best {min(flowed['bares']):.2f} s, flow best "
                  f"{min(flowed['flows']):.2f} s for {flowed['evaluated']:,} sessions; load "
                  f"{_load()}", flush=True)
    return row


def _load() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


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
    parser.add_argument("--runs", type=int, default=3,
                        help="interleaved runs of each pair (check and bound, flow and bare)")
    parser.add_argument("--flow", action="store_true",
                        help="also time the pre_visit_check flow against the bare call")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", metavar="FILE",
                        help="write a cProfile of the first check to FILE (.prof)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--stage-args", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        stages: dict[str, Any] = {"seed": stage_seed, "compare": stage_compare,
                                  "flow": stage_flow}
        print(json.dumps(stages[args.stage](**json.loads(args.stage_args))))
        return
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    sizes = [args.sessions] + ([] if args.no_growth else [args.sessions // 10])
    rows = []
    with tempfile.TemporaryDirectory(prefix="painauth-bench-") as folder:
        for backend in backends:
            for sessions in sizes:
                rows.append(run(backend, args.patients, sessions, args.scheduled,
                                args.history_months, args.seed, Path(folder), args.profile,
                                max(3, args.runs), args.flow))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=str))


if __name__ == "__main__":
    main()
