"""Following up pended authorizations against the payer sandbox, versus a bare httpx loop.

Starts the payer sandbox (`painauth sandbox`, its own process, on a free 127.0.0.1 port) with a rule
that pends every line for good, and a fresh SQLite database (or --database-url). Builds the samples'
Aetna RFA package once (its PDF packet rendered once), then seeds N authorizations, each on its own
synthetic patient and visit, with the request bundle of its first attempt, submits every bundle to
the sandbox with the PAS gateway and records the pended answer — as the submit service would.

Then, best of --passes:

- painauth: `follow_up_authorizations` with every authorization due (notifications, one `$inquire`
  per authorization through `PasGateway`, the answers recorded, the flags checked);
- bare: the same `$inquire` bodies (built beforehand) posted by a plain `httpx.Client` from a pool
  of the same number of threads, each answer parsed as JSON.

    .venv/bin/python bench/follow_up.py [--authorizations 2000] [--concurrency 4] [--passes 3]

Target (issue 15): painauth ≤ 1.5× the bare loop, as the ratio of each interleaved pass.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, update
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.decisions import decision_deadline
from tracker.authorizations.follow_up import follow_up_authorizations
from tracker.authorizations.gateways import PayerGateways
from tracker.authorizations.submission import bundle_identifier
from tracker.importers.service import import_practice_files
from tracker.packages.assembly import assemble_package
from tracker.packages.packet import render_packet
from tracker.packages.pas_bundle import pas_request_bundle
from tracker.packages.preparation import prepare_open_authorizations
from tracker.payers.endpoints import PayerEndpoint
from tracker.payers.inquiry import inquiry_for
from tracker.payers.pas_gateway import PasGateway
from tracker.settings import load_settings
from tracker.store import connect, upgrade
from tracker.store.tables import (
    AuthorizationRow,
    PatientRow,
    SessionCodeRow,
    SessionRow,
    SubmissionAttemptRow,
    utc_now,
)
from tracker.visits.pre_visit import check_upcoming_visits

REPO = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 12, 1)
PEND_FOREVER = "lines:\n  - decision: pend\n    pend_seconds: 1000000000\n"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def sandbox(folder: Path) -> Iterator[str]:
    """`painauth sandbox` in its own process, pending every line; yields its base URL."""
    rules = folder / "pend-forever.yaml"
    rules.write_text(PEND_FOREVER, encoding="utf-8")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "tracker.cli", "sandbox", "--port", str(port),
                                "--rules", str(rules)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/_admin/rules", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the sandbox did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


# As the submit service does by default (PAINAUTH_ATTACH_PACKET): the packet stays on disk.
ATTACH_PACKET = load_settings().attach_packet


def seed(engine: Engine, count: int) -> tuple[list[int], dict[str, Any]]:
    """`count` ready authorizations on synthetic patients, and the package they are copies of."""
    import_practice_files(sorted((REPO / "samples").glob("*.csv")), engine)
    check_upcoming_visits(engine, AS_OF)
    ready = prepare_open_authorizations(engine, "bench", AS_OF).ready
    with DbSession(engine) as db:
        template = assemble_package(db, ready[0], AS_OF).package
        auth = db.get(AuthorizationRow, ready[0])
        assert auth is not None
        session = db.get(SessionRow, auth.session_id)
        assert session is not None
        lines = db.exec(select(SessionCodeRow).where(SessionCodeRow.session_id == session.id)).all()
        patients = [PatientRow(mrn=f"BENCH-{i:05d}", family_name="Benchmark", given_name=f"P{i}",
                               birth_date=date(1960, 1, 1) + timedelta(days=i)) for i in range(count)]
        db.add_all(patients)
        db.flush()
        visits = [SessionRow(patient_id=p.id or 0, provider_id=session.provider_id, date=session.date,
                             status="scheduled", place_of_service=session.place_of_service,
                             diagnoses=session.diagnoses) for p in patients]
        db.add_all(visits)
        db.flush()
        db.add_all(SessionCodeRow(session_id=v.id or 0, position=line.position, code=line.code,
                                  units=line.units, modifiers=line.modifiers)
                   for v in visits for line in lines)
        authorizations = [AuthorizationRow(session_id=v.id or 0, payer="aetna", status="ready")
                          for v in visits]
        db.add_all(authorizations)
        db.commit()
        ids = [a.id for a in authorizations if a.id is not None]
    return ids, {"package": template, "pdf": render_packet(template, today=AS_OF)}


def submit_all(engine: Engine, ids: list[int], template: dict[str, Any], url: str,
               concurrency: int) -> None:
    """Send each authorization's first bundle to the sandbox and record the pended answer."""
    bundles = {i: pas_request_bundle(replace(template["package"], authorization_id=i),
                                     bundle_identifier(i, 1),
                                     packet_pdf=template["pdf"] if ATTACH_PACKET else None)
               for i in ids}
    with PasGateway(PayerEndpoint(payer="aetna", base_url=url, max_concurrent=concurrency)) as gateway, \
            ThreadPoolExecutor(concurrency) as pool:
        replies = dict(zip(ids, pool.map(lambda i: gateway.submit(bundles[i]), ids), strict=True))
    now = utc_now()
    with DbSession(engine) as db:
        for auth in db.exec(select(AuthorizationRow).where(col(AuthorizationRow.id).in_(ids))):
            assert auth.id is not None
            reply = replies[auth.id]
            assert reply.decision == "pended", reply.decision
            db.add(SubmissionAttemptRow(
                authorization_id=auth.id, bundle_identifier=bundle_identifier(auth.id, 1), attempt=1,
                state="sent", request=bundles[auth.id], inquiry=inquiry_for(bundles[auth.id]),
                response=reply.response, finished_at=now))
            auth.status, auth.submitted_at = "pended", now
            auth.submission_id = bundle_identifier(auth.id, 1)
            auth.decision_due_at = decision_deadline(auth.payer, now, auth.priority)
            db.add(auth)
        db.commit()


def make_due(engine: Engine, ids: list[int]) -> None:
    with DbSession(engine) as db:
        db.execute(update(AuthorizationRow).where(col(AuthorizationRow.id).in_(ids))
                   .values(next_check_at=utc_now() - timedelta(minutes=1), checks=0))
        db.commit()


def time_painauth(engine: Engine, ids: list[int], url: str, concurrency: int) -> float:
    make_due(engine, ids)
    gateways = PayerGateways(lambda payer: PasGateway(
        PayerEndpoint(payer=payer, base_url=url, max_concurrent=concurrency)))
    with gateways:
        started = time.perf_counter()
        summary = follow_up_authorizations(engine, gateways)
        elapsed = time.perf_counter() - started
    assert summary.inquiries == len(ids) and not summary.problems, summary.as_json()
    return elapsed


def time_bare(bodies: list[bytes], url: str, concurrency: int) -> float:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Content-Type": "application/fhir+json", "Accept": "application/fhir+json"}
    with httpx.Client(base_url=url, limits=limits, timeout=30) as client, \
            ThreadPoolExecutor(concurrency) as pool:

        def ask(body: bytes) -> Any:
            response = client.post("/Claim/$inquire", content=body, headers=headers)
            response.raise_for_status()
            return response.json()

        started = time.perf_counter()
        answers = list(pool.map(ask, bodies))
        elapsed = time.perf_counter() - started
    assert len(answers) == len(bodies)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--authorizations", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=PayerEndpoint(payer="x").max_concurrent,
                        help="requests in flight to the payer (default: the endpoint default)")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="cProfile of the last painauth pass")
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="painauth-bench-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        os.environ.setdefault("PAINAUTH_HOME", folder)
        upgrade(url)
        engine = connect(url)
        with sandbox(Path(folder)) as payer:
            started = time.perf_counter()
            ids, template = seed(engine, args.authorizations)
            submit_all(engine, ids, template, payer, args.concurrency)
            print(f"seeded and submitted {len(ids):,} pended authorizations in "
                  f"{time.perf_counter() - started:.1f} s")
            with DbSession(engine) as db:
                bodies = [json.dumps(inquiry_for(a.request), ensure_ascii=False).encode("utf-8")
                          for a in db.exec(select(SubmissionAttemptRow)
                                           .where(col(SubmissionAttemptRow.authorization_id).in_(ids)))]
            painauth_times, bare_times = [], []
            for attempt in range(max(3, args.passes)):
                bare_times.append(time_bare(bodies, payer, args.concurrency))
                profiler = None
                if args.profile and attempt == max(3, args.passes) - 1:
                    import cProfile

                    profiler = cProfile.Profile()
                    profiler.enable()
                painauth_times.append(time_painauth(engine, ids, payer, args.concurrency))
                if profiler is not None:
                    profiler.disable()
                    profiler.dump_stats(args.profile)
        engine.dispose()
    ratios = sorted(p / b for p, b in zip(painauth_times, bare_times, strict=True))
    print(f"{engine.dialect.name}, {len(ids):,} inquiries at concurrency {args.concurrency}, "
          f"{args.passes} interleaved passes, load {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    print(f"  bare httpx loop        best {min(bare_times):7.2f} s  "
          f"({len(ids) / min(bare_times):,.0f}/s)")
    print(f"  painauth follow-up     best {min(painauth_times):7.2f} s  "
          f"({len(ids) / min(painauth_times):,.0f}/s)")
    print(f"  painauth / bare        min {ratios[0]:.2f}x, median {statistics.median(ratios):.2f}x, "
          f"max {ratios[-1]:.2f}x  (target <= 1.5x)")

if __name__ == "__main__":
    main()
