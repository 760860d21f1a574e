"""The Practice page and the monthly report on the 100,000-patient benchmark practice.

It seeds the practice with `bench/pre_visit.py`'s builder (`tracker.practice.synthetic`:
100,000 patients, 1,000,000 performed sessions by default), adds a decided authorization
history to it (120,000 requests over the 18 months by default, ~6,700 decided a month: approved,
partial, denied with the payer's reason and code, a few pended; peer-to-peers and appeals on
two denials in five), then times, each at least three times:

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
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pre_visit import AS_OF, _Database, stage_seed  # noqa: E402  (the builder beside this file)

PROGRAMS = [("medicare", "medicare-opd"), ("aetna", "aetna-precertification"),
            ("cigna", "cigna-precertification"), ("unitedhealthcare", "uhc-prior-authorization")]
REASONS = [("CO-50", "not medically necessary"), ("N386", "criteria not met (NCD/LCD)"),
           ("CO-197", "precertification absent"), (None, "conservative care not documented"),
           ("CO-16", "missing information"), (None, "frequency limit reached")]
PASSWORD = "bench-password-1"


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def add_authorization_history(url: str, count: int, months: int, seed: int) -> dict[str, int]:
    """`count` decided (and a few pended) requests on performed sessions of the last `months`."""
    from sqlalchemy import insert, select
    from sqlmodel import col

    from tracker.store import connect
    from tracker.store.tables import AuthorizationRow, DenialStepRow, SessionRow

    engine = connect(url)
    rng = random.Random(seed)
    since = AS_OF - timedelta(days=30 * months)
    with engine.begin() as connection:
        sessions = connection.execute(
            select(col(SessionRow.id), col(SessionRow.date))
            .where(col(SessionRow.status) == "performed", col(SessionRow.date) >= since)
            .order_by(col(SessionRow.id))).all()
        step = max(1, len(sessions) // count)
        chosen = sessions[::step][:count]
        rows, denied = [], []
        for session_id, day in chosen:
            payer, program = PROGRAMS[rng.randrange(len(PROGRAMS))]
            submitted = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) - timedelta(
                days=rng.randint(3, 20), minutes=rng.randint(0, 600))
            roll = rng.random()
            status = ("approved" if roll < 0.78 else "partial" if roll < 0.85 else
                      "denied" if roll < 0.97 else "pended")
            hours = rng.expovariate(1 / 60) + 1
            code, reason = REASONS[rng.randrange(len(REASONS))] if status == "denied" \
                else (None, None)
            rows.append({
                "session_id": session_id, "payer": payer, "program": program, "status": status,
                "missing_items": [], "flags": [], "priority": "standard", "checks": 0,
                "submitted_at": submitted, "decision_due_at": submitted + timedelta(days=7),
                "decided_at": None if status == "pended" else submitted + timedelta(hours=hours),
                "denial_code": code, "decision_reason": reason,
                "created_at": submitted, "updated_at": submitted})
        for start in range(0, len(rows), 5000):
            connection.execute(insert(AuthorizationRow), rows[start:start + 5000])
        denied = connection.execute(
            select(col(AuthorizationRow.id), col(AuthorizationRow.decided_at))
            .where(col(AuthorizationRow.status) == "denied")).all()
        steps = []
        for auth_id, decided in denied:
            if rng.random() < 0.4:
                day = decided.date()
                kind = "peer_to_peer" if rng.random() < 0.5 else "first_level"
                outcome = rng.choice(["overturned", "upheld", "withdrawn", None])
                steps.append({"authorization_id": auth_id, "kind": kind, "denied_on": day,
                              "deadline": day + timedelta(days=14), "opened_by": "bench",
                              "outcome": outcome, "created_at": decided, "updated_at": decided})
        if steps:
            connection.execute(insert(DenialStepRow), steps)
    engine.dispose()
    return {"authorizations": len(rows), "denial_steps": len(steps)}


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
