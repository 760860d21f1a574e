"""Each authorization figure on a small practice worked out by hand, on SQLite and PostgreSQL.

November 2026 decided six requests (the pended one is not decided, the rejected one was not a
decision on the merits, the October one is October's): approved 1, 2, 5; partial 4; denied 3, 6.
- Approved in full: 3 of 6 = 50 %; medicare 2 of 3, aetna 1 of 3; ESI (64483, 62323) 3 of 5,
  facet (64635) 0 of 1; Dr. Lumbar 3 of 3, Dr. Facet 0 of 3.
- Hours to the decision: 24, 48, 120, 72, 200, 12 -> sorted 12 24 48 72 120 200: median
  (48 + 72) / 2 = 60; 90th percentile by nearest rank: ceil(0.9 x 6) = 6th = 200.
  Medicare OPD 24, 48, 120: median 48, p90 the 3rd = 120; its clock is 7 calendar days (168 h,
  the first request's from the program file, the others stored). Aetna 12, 72, 200 against 120 h.
- Within the clock: all but the 200 h one, 5 of 6. Share of the clock: 24/168, 12/120 within a
  quarter; 48/168 a quarter to half; 120/168, 72/120 half to all; 200/120 over.
- Denials: CO-50 'not medically necessary' 1, 'no conservative care' (no code) 1. Steps: the
  peer-to-peer upheld, first-level appeals: one overturned, one open -> 1 overturned.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from tracker.authorizations.exemptions import approval_rates
from tracker.figures.approvals import approval_figures, payer_rates_by_month
from tracker.figures.denials import denial_figures
from tracker.figures.exemption_progress import exemption_progress
from tracker.figures.months import months_before, parse_month
from tracker.figures.turnaround import turnaround_figures
from tracker.practice.synthetic import PracticeShape, seed_practice

from .practice import load_hand_worked_practice

NOVEMBER = parse_month("2026-11")


def _rates(rates: tuple) -> dict[str, tuple[int, int, int]]:  # type: ignore[type-arg]
    return {r.label: (r.approved, r.partial, r.denied) for r in rates}


def test_each_authorization_figure_matches_the_hand_worked_practice(engine: Engine) -> None:
    load_hand_worked_practice(engine)

    approvals = approval_figures(engine, NOVEMBER)
    assert (approvals.overall.decided, approvals.overall.rate_percent) == (6, 50.0)
    assert _rates(approvals.by_payer) == {"medicare": (2, 0, 1), "aetna": (1, 1, 1)}
    assert _rates(approvals.by_program) == {"medicare medicare-opd": (2, 0, 1),
                                            "aetna aetna-precertification": (1, 1, 1)}
    assert _rates(approvals.by_service) == {"esi": (3, 1, 1), "facet": (0, 0, 1)}
    assert _rates(approvals.by_provider) == {"Dr. Ada Lumbar": (3, 0, 0),
                                             "Dr. Ben Facet": (0, 1, 2)}

    turnaround = turnaround_figures(engine, NOVEMBER)
    overall = turnaround.overall
    assert (overall.decisions, overall.median_hours, overall.p90_hours) == (6, 60.0, 200.0)
    assert (overall.within_clock, round(overall.within_clock_percent or 0, 1)) == (5, 83.3)
    by_program = {t.program: (t.median_hours, t.p90_hours, t.median_clock_hours, t.within_clock)
                  for t in turnaround.by_program}
    assert by_program == {"medicare medicare-opd": (48.0, 120.0, 168.0, 3),
                          "aetna aetna-precertification": (72.0, 200.0, 120.0, 2)}
    assert [count for _, count in turnaround.distribution] == [2, 1, 2, 1]

    denials = denial_figures(engine, NOVEMBER)
    assert denials.denials == 2
    assert {(r.code, r.reason, r.denials) for r in denials.by_reason} == {
        ("CO-50", "not medically necessary", 1), (None, "no conservative care", 1)}
    appeals = {a.kind: (a.opened, a.overturned, a.upheld, a.still_open, a.overturned_percent)
               for a in denials.appeals}
    assert appeals == {"peer_to_peer": (1, 0, 1, 0, 0.0), "first_level": (2, 1, 0, 1, 100.0)}
    assert denials.overturned == 1

    over_time = payer_rates_by_month(engine, months_before(NOVEMBER, 2))
    assert {payer: [(r.label, r.decided, r.rate_percent) for r in months]
            for payer, months in over_time.items()} == {
        "aetna": [("2026-10", 0, None), ("2026-11", 3, 100 / 3)],
        "medicare": [("2026-10", 1, 100.0), ("2026-11", 3, 200 / 3)]}


def test_exemption_progress_counted_in_sql_equals_the_exemptions_pages(engine: Engine) -> None:
    seed_practice(engine, seed=5, as_of=date(2026, 12, 1), shape=PracticeShape(patients=60))
    progress = exemption_progress(engine, 2026)
    assert progress == approval_rates(engine, 2026)
    [opd] = [r for r in progress if r.program == "medicare-opd"]
    assert (opd.requests, opd.approved, opd.standing) == (12, 11, "qualifies")
