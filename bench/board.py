"""The status board at practice-network scale: does `/visits` answer quickly, under concurrent
clients, and in memory that does not grow with the visits in range?

For each backend (a SQLite file, and a PostgreSQL database `painauth_bench_board_<size>` on
127.0.0.1:5432) it builds the benchmark practice once with `tracker.practice.synthetic`
(100,000 patients, 1,000,000 performed sessions and 20,000 scheduled in the 21-day horizon by
default), runs the pre-visit check over it, and keeps it under `--folder` (default
`$TMPDIR/painauth-bench-board`; PostgreSQL databases stay until `--drop`), so later runs reuse it.
Then, in `--runs` rounds that alternate the backends, it starts the board (uvicorn, one process,
as `painauth serve` runs it) over the practice and measures, signed in as a scheduler:

- first byte of `GET /visits` (default filters: 21 days, the first page of 100), p95 over
  `--requests` sequential requests — target < 200 ms — and, as its peer under the same load,
  the p95 of `GET /healthz` (one `SELECT 1`) interleaved with them; and, signed in as billing,
  the first byte p95 of billing's lists (`/authorizations`, `/queue`, `/alerts`) over 20 each;
- p99 of the same request with `--clients` concurrent clients — target < 1 s;
- the board process's peak RSS (VmHWM, reset before each range) while it serves the first page,
  the next page and the CSV export of a range growing from 1 to 21 days: the ratio of the
  widest range's peak to the narrowest's — target about 1 (memory does not grow with visits).

Figures are ratios to their target, min / median / max over the runs, with the 1-minute load.

    .venv/bin/python bench/board.py                                     # 100k patients, both
    .venv/bin/python bench/board.py --patients 20000 --sessions 200000 --scheduled 4000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

AS_OF = date(2026, 12, 1)
POSTGRES_ADMIN = os.environ.get("PAINAUTH_BENCH_POSTGRES_URL",
                                "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-board-session-key-" + "x" * 40
USER, PASSWORD = "bench.scheduler", "bench-password-1"
BILLING = "bench.billing"
LISTS = ("/authorizations", "/queue", "/alerts")  # billing's lists, beside the scheduler's
RANGES = (1, 3, 7, 21)
FIRST_BYTE_TARGET = 0.2
CONCURRENT_TARGET = 1.0
TOKEN = re.compile(r'name="token" value="([^"]+)"')


# --- the practice, built once per size and backend -----------------------------------------------

def practice_url(backend: str, folder: Path, label: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / f'board-{label}.sqlite'}"
    return make_url(POSTGRES_ADMIN).set(database=f"painauth_bench_board_{label}").render_as_string(
        hide_password=False)


def _admin(statement: str) -> Any:
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return connection.execute(text(statement)).all() if statement.startswith("SELECT") \
                else connection.execute(text(statement))
    finally:
        admin.dispose()


def build(url: str, patients: int, sessions: int, scheduled: int) -> None:
    """Seed the practice, check it, add the scheduler; a practice marked built is reused."""
    from tracker.practice.synthetic import PracticeShape, seed_practice
    from tracker.store import connect, upgrade
    from tracker.store.database import analyze
    from tracker.store.users import add_user
    from tracker.visits.pre_visit import check_upcoming_visits

    upgrade(url)
    engine = connect(url)
    with engine.connect() as connection:
        users = set(connection.execute(text("SELECT name FROM users")).scalars())
    if BILLING not in users:
        add_user(engine, BILLING, "billing", PASSWORD)
    if USER in users:
        engine.dispose()
        return
    started = time.perf_counter()
    seed_practice(engine, seed=7, as_of=AS_OF, shape=PracticeShape(
        patients=patients, performed=sessions, scheduled=scheduled))
    seeded = time.perf_counter()
    check_upcoming_visits(engine, AS_OF)
    checked = time.perf_counter()
    analyze(engine)  # again: the check wrote the stored readiness the board reads
    add_user(engine, USER, "scheduler", PASSWORD)
    engine.dispose()
    print(f"  built in {seeded - started:.0f} s seeding + {checked - seeded:.0f} s pre-visit "
          f"check", flush=True)


def ensure_practice(backend: str, folder: Path, patients: int, sessions: int,
                    scheduled: int) -> str:
    label = f"{patients}_{sessions}_{scheduled}"
    if backend == "postgresql" and not _admin(
            f"SELECT 1 FROM pg_database WHERE datname = 'painauth_bench_board_{label}'"):
        _admin(f'CREATE DATABASE "painauth_bench_board_{label}"')
    url = practice_url(backend, folder, label)
    print(f"{backend}: practice {label} ({url.split('@')[-1]})", flush=True)
    done = subprocess.run([sys.executable, __file__, "--stage", "build", "--stage-args",
                           json.dumps({"url": url, "patients": patients, "sessions": sessions,
                                       "scheduled": scheduled})], check=False)
    if done.returncode != 0:
        raise SystemExit(f"building the {backend} practice failed")
    return url


# --- the board, in a process of its own --------------------------------------------------------

def bench_app() -> Any:
    """The board over the practice in BENCH_BOARD_URL on the benchmark's day: uvicorn's app
    factory in each worker process, as `painauth serve --workers N` builds the board."""
    from tracker.store import connect
    from tracker.web.app import create_app

    return create_app(connect(os.environ["BENCH_BOARD_URL"]), SECRET, today=lambda: AS_OF,
                      https_only=False)


def serve(url: str, port: int, workers: int = 1) -> None:
    import uvicorn

    os.environ["BENCH_BOARD_URL"] = url
    if workers == 1:
        uvicorn.run(bench_app(), host="127.0.0.1", port=port, log_level="warning")
    else:  # as `painauth serve --workers N` (this folder is on the spawned workers' path)
        from tracker.web.workers import serve_workers

        serve_workers("board:bench_app", host="127.0.0.1", port=port, workers=workers,
                      log_level="warning")


class Board:
    """The board serving `url` in a child process, stopped when the block ends."""

    def __init__(self, url: str, workers: int = 1) -> None:
        from tracker.web.local_server import free_port

        self.port = free_port()
        self.workers = workers
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([sys.executable, __file__, "--stage", "serve",
                                         "--stage-args", json.dumps({"url": url,
                                                                     "port": self.port,
                                                                     "workers": workers})])

    def __enter__(self) -> Board:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("the board exited before it answered")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=5).status_code == 200 and \
                        self.worker_count() >= self.workers:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise SystemExit("the board did not answer /healthz within 120 s")

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def signed_in(self, name: str = USER) -> httpx.Client:
        client = httpx.Client(base_url=self.base, timeout=120)
        found = TOKEN.search(client.get("/login").text)
        assert found, "no form token on /login"
        answer = client.post("/login", data={"name": name, "password": PASSWORD,
                                             "token": found.group(1)})
        assert answer.status_code == 303, answer.text
        return client

    def worker_count(self) -> int:
        if self.workers == 1:
            return 1
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return len(children.read_text().split())

    def _status(self, field: str) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(field)

    def reset_peak(self) -> None:
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def peak_mb(self) -> float:
        return self._status("VmHWM")


def first_byte(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    with client.stream("GET", path) as answer:
        pieces = answer.iter_raw()
        next(pieces)
        elapsed = time.perf_counter() - started
        assert answer.status_code == 200, answer.status_code
        for _ in pieces:
            pass
    return elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(board: Board, requests: int, clients: int, per_client: int) -> dict[str, Any]:
    """First byte, sequential and concurrent; memory over the ranges with one worker only (the
    peak RSS read is the serving process's)."""
    client = board.signed_in()
    first_byte(client, "/visits")  # warm: imports, templates, the stored readiness
    sequential, floor = [], []
    for _ in range(requests):  # interleaved with the board's cheapest answer, under the same load
        sequential.append(first_byte(client, "/visits"))
        floor.append(first_byte(client, "/healthz"))
    billing = board.signed_in(BILLING)
    lists: dict[str, float] = {}
    for path in LISTS:  # billing's lists: first page, p95 of 20 after a warm-up
        first_byte(billing, path)
        lists[path] = percentile([first_byte(billing, path) for _ in range(20)], 0.95)
    billing.close()
    latencies: list[float] = []
    lock = threading.Lock()

    def one_client() -> None:
        own = httpx.Client(base_url=board.base, timeout=120, cookies=client.cookies)
        mine = [first_byte(own, "/visits") for _ in range(per_client)]
        own.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=one_client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    peaks: list[float] = []
    sizes: list[dict[str, Any]] = []
    for days in RANGES if board.workers == 1 else ():
        end = (AS_OF + timedelta(days=days)).isoformat()
        query = f"start={AS_OF.isoformat()}&end={end}"
        board.reset_peak()
        body = client.get(f"/api/visits?{query}&size=1").json()
        page = client.get(f"/visits?{query}")
        assert page.status_code == 200
        if body["next"]:
            assert client.get(body["next"].replace("size=1", "size=100")).status_code == 200
        csv_bytes = 0
        with client.stream("GET", f"/visits.csv?{query}") as answer:
            for piece in answer.iter_raw():
                csv_bytes += len(piece)
        peaks.append(board.peak_mb())
        sizes.append({"days": days, "visits": body["count"], "csv_mb": csv_bytes / 2**20})
    client.close()
    return {"first_byte_p95": percentile(sequential, 0.95),
            "healthz_p95": percentile(floor, 0.95),
            "first_byte_median": statistics.median(sequential),
            "concurrent_p99": percentile(latencies, 0.99),
            "concurrent_median": statistics.median(latencies),
            "peak_mb": peaks, "ranges": sizes,
            "memory_ratio": peaks[-1] / peaks[0] if peaks else None,
            "lists_p95": lists, "workers": board.workers, "load": os.getloadavg()[0]}


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--scheduled", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--per-client", type=int, default=5)
    parser.add_argument("--workers", default="1,2",
                        help="board worker processes to compare, e.g. 1,2 (`painauth serve "
                             "--workers N`)")
    parser.add_argument("--folder", type=Path,
                        default=Path(tempfile.gettempdir()) / "painauth-bench-board")
    parser.add_argument("--drop", action="store_true",
                        help="drop the kept PostgreSQL practice of this size and exit")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--stage-args", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        stage: Any = {"build": build, "serve": serve}[args.stage]
        stage(**json.loads(args.stage_args))
        return
    label = f"{args.patients}_{args.sessions}_{args.scheduled}"
    if args.drop:
        _admin(f'DROP DATABASE IF EXISTS "painauth_bench_board_{label}" WITH (FORCE)')
        return
    args.folder.mkdir(parents=True, exist_ok=True)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    urls = {b: ensure_practice(b, args.folder, args.patients, args.sessions, args.scheduled)
            for b in backends}
    counts = [int(n) for n in args.workers.split(",")]
    setups = [(backend, workers) for backend in backends for workers in counts]
    rows: dict[str, list[dict[str, Any]]] = {f"{b} x{w}": [] for b, w in setups}
    for run in range(args.runs):
        for backend, workers in setups:  # interleaved: each round measures every setup once
            with Board(urls[backend], workers) as board:
                got = measure(board, args.requests, args.clients, args.per_client)
            rows[f"{backend} x{workers}"].append(got)
            held = (f", peak RSS {' / '.join(f'{p:.0f}' for p in got['peak_mb'])} MB over "
                      f"{' / '.join(str(r['visits']) for r in got['ranges'])} visits"
                      if got["peak_mb"] else "")
            print(f"  run {run + 1} {backend:10} {workers} worker(s): first byte p95 "
                  f"{got['first_byte_p95'] * 1000:.0f} ms (median "
                  f"{got['first_byte_median'] * 1000:.0f}), {args.clients} clients p99 "
                  f"{got['concurrent_p99'] * 1000:.0f} ms (median "
                  f"{got['concurrent_median'] * 1000:.0f}){held}; billing's lists p95 "
                  + ", ".join(f"{path} {seconds * 1000:.0f} ms"
                              for path, seconds in got["lists_p95"].items())
                  + f" (load {got['load']:.1f})", flush=True)
    print(f"\n{args.patients:,} patients, {args.sessions:,} performed, {args.scheduled:,} "
          f"scheduled; ratios min / median / max over {args.runs} runs")
    for setup, mine in rows.items():
        memory = [r["memory_ratio"] for r in mine if r["memory_ratio"] is not None]
        print(f"{setup:13} first byte p95 / 200 ms target: "
              f"{spread([r['first_byte_p95'] / FIRST_BYTE_TARGET for r in mine])}; "
              f"{args.clients} clients p99 / 1 s target: "
              f"{spread([r['concurrent_p99'] / CONCURRENT_TARGET for r in mine])}; "
              f"first byte p95 / /healthz p95 (same run): "
              f"{spread([r['first_byte_p95'] / r['healthz_p95'] for r in mine])}; "
              + (f"peak RSS {RANGES[-1]} days / {RANGES[0]} day: {spread(memory)}; "
                 if memory else "")
              + "".join(f"{path} first byte p95 / 200 ms: "
                        f"{spread([r['lists_p95'][path] / FIRST_BYTE_TARGET for r in mine])}; "
                        for path in LISTS)
              + f"load {spread([r['load'] for r in mine])}")
    for backend in backends:
        for workers in counts[1:]:
            ratio = [many["concurrent_p99"] / one["concurrent_p99"] for many, one in
                     zip(rows[f"{backend} x{workers}"], rows[f"{backend} x{counts[0]}"],
                         strict=True)]
            print(f"{backend}: {args.clients} clients p99, {workers} workers / {counts[0]}: "
                  f"{spread(ratio)}")
    if len(backends) == 2:
        ratio = [a["first_byte_p95"] / b["first_byte_p95"] for a, b in
                 zip(rows[f"postgresql x{counts[0]}"], rows[f"sqlite x{counts[0]}"],
                     strict=True)]
        print(f"postgresql / sqlite first byte p95: {spread(ratio)}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
