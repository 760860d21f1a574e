"""The pre-visit check scaled out: the shipped flow's batches on 1 and on 2 Dask worker processes.

Seeds a synthetic practice network (bench/pre_visit.py's seed stage: 100,000 patients, 1,000,000
performed sessions, 20,000 scheduled in the 21-day horizon by default) in a fresh SQLite file or
PostgreSQL database, starts a temporary Prefect server, then runs `--rounds` interleaved rounds,
each from a fresh state (no stored results, authorizations or events) and in this order:

- the bare service call `check_upcoming_visits` (one process, no Prefect, no Dask): the peer;
- the shipped `pre_visit_check` flow with PAINAUTH_CHECK_WORKERS=1;
- the same flow with PAINAUTH_CHECK_WORKERS=2.

Each flow run starts its local Dask cluster and stops it, as an hourly run does. For each run it
records the flow's wall time and its batches' phase (the first `check_patients` task run's start
to the last one's end, read back from the Prefect server), and prints min/median/max of each and
the ratios: the speed-up of 2 workers over 1 (1-worker time / 2-worker time, per round) and each
flow over the bare call. `uptime` is read before and after.

    .venv/bin/python bench/scale_out.py --backend postgresql            # the 100k network
    .venv/bin/python bench/scale_out.py --backend sqlite --patients 10000 --sessions 100000 \\
        --scheduled 2000 --rounds 3                                     # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pre_visit import AS_OF, _child, _Database, _forget_results


def _load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def _bare(url: str) -> dict[str, Any]:
    from tracker.store import connect
    from tracker.visits.pre_visit import check_upcoming_visits

    engine = connect(url)
    started = time.perf_counter()
    summary = check_upcoming_visits(engine, AS_OF)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "batches_seconds": seconds, "evaluated": summary.evaluated,
            "opened": summary.authorizations_opened}


def _flow(workers: int) -> Callable[[str], dict[str, Any]]:
    def run(_url: str) -> dict[str, Any]:
        from flows.pre_visit_check import pre_visit_check

        os.environ["PAINAUTH_CHECK_WORKERS"] = str(workers)
        started = time.perf_counter()
        state = pre_visit_check(as_of=AS_OF, return_state=True)
        seconds = time.perf_counter() - started
        if not state.is_completed():
            raise SystemExit(f"the flow on {workers} worker(s) ended {state.type}: {state.message}")
        result = state.result()
        return {"seconds": seconds,
                "batches_seconds": _batches_phase(state.state_details.flow_run_id),
                "evaluated": result["evaluated"], "opened": result["authorizations_opened"]}
    return run


def _batches_phase(flow_run_id: Any) -> float:
    """First `check_patients` start to last end, as the Prefect server recorded them."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    batches = [r for r in runs if r.name.startswith("check_patients")]
    starts = [r.start_time for r in batches if r.start_time]
    ends = [r.end_time for r in batches if r.end_time]
    return (max(ends) - min(starts)).total_seconds()


def _spread(values: list[float]) -> str:
    return (f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--scheduled", type=int, default=20_000)
    parser.add_argument("--history-months", type=int, default=18)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", metavar="FILE", help="also write the runs as JSON")
    args = parser.parse_args()

    from tracker.scheduling.embedded_prefect import STARTUP_TIMEOUT_SECONDS, use_embedded_prefect

    use_embedded_prefect()
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.pop("PAINAUTH_DASK_SCHEDULER", None)  # the flow's own local cluster
    from prefect.testing.utilities import prefect_test_harness

    load_before = _load()
    print(f"load before: {load_before}", flush=True)
    kinds: dict[str, Callable[[str], dict[str, Any]]] = {
        "bare call": _bare, "flow, 1 worker": _flow(1), "flow, 2 workers": _flow(2)}
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    with tempfile.TemporaryDirectory(prefix="painauth-bench-") as folder, \
            _Database(args.backend, "scale", Path(folder)) as url:
        seeded = _child("seed", url=url, patients=args.patients, sessions=args.sessions,
                        scheduled=args.scheduled, history_months=args.history_months,
                        seed=args.seed)
        print(f"{args.backend}: seeded {seeded['patients']:,} patients, {seeded['performed']:,} "
              f"performed and {seeded['scheduled']:,} scheduled sessions in "
              f"{seeded['seconds']:.0f} s", flush=True)
        os.environ["PAINAUTH_DATABASE_URL"] = url
        with prefect_test_harness(server_startup_timeout=STARTUP_TIMEOUT_SECONDS):
            for round_ in range(1, args.rounds + 1):
                for kind, run in kinds.items():
                    _forget_results(url)
                    figures = run(url)
                    runs[kind].append(figures)
                    print(f"  round {round_} {kind:16} {figures['seconds']:7.2f} s "
                          f"(batches {figures['batches_seconds']:.2f} s), "
                          f"{figures['evaluated']:,} evaluated, {figures['opened']:,} "
                          f"authorizations opened", flush=True)
    load_after = _load()
    print(f"load after: {load_after}")
    evaluated = {r["evaluated"] for kind in runs for r in runs[kind]}
    opened = {r["opened"] for kind in runs for r in runs[kind]}
    assert len(evaluated) == 1 and len(opened) == 1, (evaluated, opened)  # same work every run
    print(f"\n{args.backend}, {args.patients:,} patients, {evaluated.pop():,} sessions evaluated, "
          f"{args.rounds} interleaved rounds; seconds min / median / max:")
    for kind, figures in runs.items():
        print(f"  {kind:16} whole {_spread([f['seconds'] for f in figures])}; batches "
              f"{_spread([f['batches_seconds'] for f in figures])}")
    for measure in ("seconds", "batches_seconds"):
        one = [f[measure] for f in runs["flow, 1 worker"]]
        two = [f[measure] for f in runs["flow, 2 workers"]]
        bare = [f[measure] for f in runs["bare call"]]
        name = "whole run" if measure == "seconds" else "batches"
        print(f"  {name}: speed-up of 2 workers over 1 (per round) "
              f"{_spread([a / b for a, b in zip(one, two, strict=True)])}x; "
              f"1-worker flow / bare {_spread([a / b for a, b in zip(one, bare, strict=True)])}x; "
              f"2-worker flow / bare {_spread([a / b for a, b in zip(two, bare, strict=True)])}x")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"load_before": load_before, "load_after": load_after, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
