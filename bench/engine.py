"""Throughput of the evaluation engine, in process, on synthetic patients.

Each patient has 20 prior sessions (epidural, facet, RFA and SI codes in both spinal regions,
with outcomes) over the two years before the scheduled date, conservative care and a psychological
evaluation; the scheduled session is drawn from the same mix, under one of the four payers.

    .venv/bin/python bench/engine.py [--patients 5000] [--seed 7]
    .venv/bin/python bench/engine.py --density [--patients 1000] [--repeat 3]

Target (issue 2): ≥ 20,000 evaluations per second on one core.
`--density` times the same mix with 320 prior sessions per patient against 20, in interleaved
passes, and states the cost per evaluation of 320 as a ratio to 20 (issue 15: ≤ 12×).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter
from datetime import date, timedelta

from tracker.codes import Catalog, load_catalog
from tracker.rules import (
    CheckRequest,
    CodeLine,
    ConservativeCare,
    Outcome,
    Policy,
    PsychEvaluation,
    Session,
    evaluate,
    load_policies,
)

PAYERS = ["medicare", "aetna", "cigna", "unitedhealthcare"]
PROCEDURES: list[tuple[tuple[CodeLine, ...], str | None]] = [
    ((CodeLine("62323"),), None),
    ((CodeLine("62321"),), None),
    ((CodeLine("64483"),), None),
    ((CodeLine("64483"), CodeLine("64484")), None),
    ((CodeLine("64479"),), None),
    ((CodeLine("64493"), CodeLine("64494")), "diagnostic"),
    ((CodeLine("64490"),), "diagnostic"),
    ((CodeLine("64493", modifiers=("50",)),), "therapeutic"),
    ((CodeLine("64635"), CodeLine("64636")), None),
    ((CodeLine("27096"),), "therapeutic"),
    ((CodeLine("20553"),), None),
]
AS_OF = date(2026, 12, 1)


def synthetic_request(rng: random.Random, prior: int = 20) -> CheckRequest:
    history = []
    for _ in range(prior):
        codes, intent = rng.choice(PROCEDURES)
        history.append(Session(
            date=AS_OF - timedelta(days=rng.randint(1, 730)), codes=codes, intent=intent,  # type: ignore[arg-type]
            outcome=Outcome(relief_percent=rng.choice([30, 55, 70, 85, 90]),
                            duration_days=rng.choice([10, 60, 100, 200]))))
    codes, intent = rng.choice(PROCEDURES)
    scheduled = Session(date=AS_OF + timedelta(days=rng.randint(0, 21)),
                        codes=codes + (CodeLine("J1010", units=40),), intent=intent,  # type: ignore[arg-type]
                        place_of_service=rng.choice(["11", "22", "24"]))
    def ago(days: int) -> date:
        return AS_OF - timedelta(days=days)
    care = (ConservativeCare("physical_therapy", ago(200), ago(150)),
            ConservativeCare("medication", ago(180), ago(100)))
    return CheckRequest(as_of=AS_OF, payer=rng.choice(PAYERS), scheduled=scheduled,
                        history=tuple(history), conservative_care=care,
                        psych_evaluations=(PsychEvaluation(AS_OF - timedelta(days=90), "cleared"),))


def _timed(requests: list[CheckRequest], policies: dict[str, Policy], catalog: Catalog) -> float:
    started = time.perf_counter()
    for request in requests:
        evaluate(request, policies[request.payer], catalog)
    return time.perf_counter() - started


def density(patients: int, seed: int, repeat: int) -> None:
    """Cost per evaluation with 320 prior sessions as a ratio to 20, in interleaved passes."""
    policies, catalog = load_policies(), load_catalog()
    sparse = [synthetic_request(random.Random(seed + n), 20) for n in range(patients)]
    dense = [synthetic_request(random.Random(seed + n), 320) for n in range(patients)]
    searched = sum(1 for r in dense
                   if evaluate(r, policies[r.payer], catalog).next_eligible_date
                   not in (None, r.scheduled.date))
    _timed(sparse[:200], policies, catalog)  # warm up
    ratios, sparse_times, dense_times = [], [], []
    for _ in range(max(3, repeat)):
        sparse_times.append(_timed(sparse, policies, catalog) / patients)
        dense_times.append(_timed(dense, policies, catalog) / patients)
        ratios.append(dense_times[-1] / sparse_times[-1])
    ratios.sort()
    print(f"{patients} evaluations each with 20 and 320 prior sessions, {len(ratios)} "
          f"interleaved passes; {searched} of the dense ones moved by the next-eligible search")
    print(f"  20 prior:  median {1e6 * statistics.median(sparse_times):.0f} µs/evaluation")
    print(f"  320 prior: median {1e6 * statistics.median(dense_times):.0f} µs/evaluation")
    print(f"  320 / 20 cost per evaluation: min {ratios[0]:.2f}x, median "
          f"{statistics.median(ratios):.2f}x, max {ratios[-1]:.2f}x (target <= 12x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the best is reported")
    parser.add_argument("--density", action="store_true",
                        help="320 prior sessions against 20: the cost ratio per evaluation")
    args = parser.parse_args()
    if args.density:
        density(args.patients or 1000, args.seed, args.repeat)
        return
    args.patients = args.patients or 5000
    rng = random.Random(args.seed)
    policies, catalog = load_policies(), load_catalog()
    requests = [synthetic_request(rng) for _ in range(args.patients)]
    for request in requests[:200]:  # warm up
        evaluate(request, policies[request.payer], catalog)
    best = float("inf")
    verdicts: Counter[str] = Counter()
    for _ in range(args.repeat):
        verdicts.clear()
        started = time.perf_counter()
        for request in requests:
            verdicts[evaluate(request, policies[request.payer], catalog).verdict] += 1
        best = min(best, time.perf_counter() - started)
    rate = len(requests) / best
    print(f"{len(requests)} evaluations (20 prior sessions each) in {best:.3f} s "
          f"= {rate:,.0f} evaluations/s on one core")
    print("verdicts:", dict(sorted(verdicts.items())))


if __name__ == "__main__":
    main()
