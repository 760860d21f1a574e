"""The Practice page and the monthly report on the 100,000-patient benchmark practice.

It seeds the practice with `bench/pre_visit.py`'s builder (`tracker.practice.synthetic`:
100,000 patients, 1,000,000 performed sessions by default), adds a decided authorization
history to it with the demo's builder (`tracker.practice.authorization_history`: 120,000 requests
over the 18 months by default, ~6,700 decided a month on the sessions a payer's program asks a
request for: approved, partial, denied with the payer's reason and code; peer-to-peers and
appeals on about two denials in five), then times, each at least three times:

- `GET /practice` for the last full month, signed in as billing, through the real app
  (FastAPI TestClient in process: the figures' SQL, the five charts, the template);
- one figure's CSV download;
- the money page (`/practice/money`: `tracker.money`'s revenue at risk and charges not billed)
  and the monthly PDF report (`painauth report monthly`'s work: every figure and WeasyPrint),
  once each by default (`--slow-runs`): they count the money, tens of seconds at this size.

    .venv/bin/python bench/practice_page.py                          # SQLite, 100k patients
    .venv/bin/python bench/practice_page.py --backend postgresql
    .venv/bin/python bench/practice_page.py --url sqlite:///seeded.sqlite   # measure only
    .venv/bin/python bench/practice_page.py --patients 10000 --sessions 100000 \\
        --authorizations 12000                                       # a quick run

Target (issue 16): the page answers in under a second.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pre_visit import AS_OF, _Database, stage_seed  # noqa: E402  (the builder beside this file)

PASSWORD = "bench-password-1"


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def add_authorization_history(url: str, count: int, months: int, seed: int) -> dict[str, int]:
    """`count` decided requests on the performed sessions of the last `months`: the demo's
    history builder (`tracker.practice.authorization_history`) at the benchmark's size."""
    from tracker.practice.authorization_history import add_authorization_history as add
    from tracker.store import connect

    engine = connect(url)
    try:
        return asdict(add(engine, as_of=AS_OF, seed=seed, months=months, count=count))
    finally:
        engine.dispose()


def _timed(call: Any, runs: int) -> list[float]:
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        found.append(time.perf_counter() - started)
    return found


def _figures(seconds: list[float], target: float | None) -> dict[str, Any]:
    best, middle, worst = min(seconds), statistics.median(seconds), max(seconds)
    return {"runs": len(seconds), "min": best, "median": middle, "max": worst,
            "median_to_target": middle / target if target else None}


def measure(url: str, runs: int, slow_runs: int) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from tracker.figures.monthly_pdf import render_monthly_report
    from tracker.figures.report import last_full_month, money_report, practice_report
    from tracker.store import connect
    from tracker.store.users import add_user, list_users
    from tracker.web.app import create_app

    engine = connect(url)
    if not any(u.name == "bench.billing" for u in list_users(engine)):  # a re-measured database
        add_user(engine, "bench.billing", "billing", PASSWORD)
    month = last_full_month(AS_OF)
    with TestClient(create_app(engine, "bench-key-" + "x" * 40, today=lambda: AS_OF),
                    follow_redirects=False) as client:
        token = re.search(r'name="token" value="([^"]+)"', client.get("/login").text)
        assert token is not None
        client.post("/login", data={"name": "bench.billing", "password": PASSWORD,
                                    "token": token.group(1)})
        first = client.get(f"/practice?month={month.label}")  # warm: imports, templates
        assert first.status_code == 200, first.text[:500]
        decided = re.search(r'Requests decided</th><td>([^<]+)<', first.text)
        page = _timed(lambda: client.get(f"/practice?month={month.label}").raise_for_status(),
                      runs)
        csv = _timed(lambda: client.get(f"/practice/approval-by-payer.csv?month={month.label}")
                     .raise_for_status(), runs)
        money = _timed(lambda: client.get(f"/practice/money?month={month.label}")
                       .raise_for_status(), slow_runs)
    report = _timed(lambda: render_monthly_report(practice_report(engine, month),
                                                  money_report(engine, month, AS_OF)), slow_runs)
    engine.dispose()
    return {"month": month.label, "decided": decided.group(1) if decided else "?",
            "page": _figures(page, 1.0), "csv": _figures(csv, 1.0),
            "money_page": _figures(money, 1.0), "monthly_report": _figures(report, None)}


def _print(row: dict[str, Any]) -> None:
    for what in ("page", "csv", "money_page", "monthly_report"):
        f = row[what]
        ratio = (f" = {f['median_to_target']:.2f}x the 1 s target"
                 if f["median_to_target"] is not None else "")
        print(f"  {what:15} {row['month']} ({row['decided']} decided): min "
              f"{f['min']:.3f} s, median {f['median']:.3f} s{ratio}, max "
              f"{f['max']:.3f} s over {f['runs']} runs", flush=True)
    print(f"  load after: {row['load_after']}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--scheduled", type=int, default=20_000)
    parser.add_argument("--authorizations", type=int, default=120_000)
    parser.add_argument("--runs", type=int, default=5,
                        help="timed runs of the page and the CSV (at least 3)")
    parser.add_argument("--slow-runs", type=int, default=1,
                        help="timed runs of the money page and the monthly report, which count "
                             "tracker.money's figures (default 1: tens of seconds each at 100k)")
    parser.add_argument("--url", help="measure this already seeded database instead")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    runs = max(3, args.runs)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    found = []
    if args.url:
        print(f"load before: {_uptime()}", flush=True)
        row = {"url": args.url, **measure(args.url, runs, args.slow_runs),
               "load_after": _uptime()}
        _print(row)
        backends, found = [], [row]
    with tempfile.TemporaryDirectory(prefix="painauth-bench-") as folder:
        for backend in backends:
            with _Database(backend, "practice", Path(folder)) as url:
                print(f"{backend}: load before: {_uptime()}", flush=True)
                seeded = stage_seed(url, args.patients, args.sessions, args.scheduled, 18,
                                    args.seed)
                history = add_authorization_history(url, args.authorizations, 18, args.seed)
                print(f"  seeded {seeded['patients']:,} patients, {seeded['performed']:,} "
                      f"performed sessions in {seeded['seconds']:.0f} s; added "
                      f"{history['authorizations']:,} authorizations and "
                      f"{history['denial_steps']:,} denial steps", flush=True)
                row = {"backend": backend, "date": date.today().isoformat(), **history,
                       "patients": seeded["patients"], "performed": seeded["performed"],
                       **measure(url, runs, args.slow_runs), "load_after": _uptime()}
                _print(row)
                found.append(row)
    if args.json:
        Path(args.json).write_text(json.dumps(found, indent=1, default=str))


if __name__ == "__main__":
    main()
