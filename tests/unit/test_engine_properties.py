"""Invariants of the engine over random histories (hypothesis, derandomized for CI)."""

import shutil
import tempfile
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from check_requests import PAYERS, shipped
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.codes import load_catalog
from tracker.rules import (
    CheckRequest,
    CodeLine,
    ConservativeCare,
    Outcome,
    PsychEvaluation,
    Result,
    Session,
    evaluate,
    load_policies,
)
from tracker.rules.policy import Policy

LIMIT_CODES = {"FREQUENCY_LIMIT_REACHED", "INTERVAL_TOO_SHORT"}
SEARCH_DAYS = 730
# ESI, facet injection and RFA sessions in both spinal regions, plus SI and trigger points
PROCEDURES = [
    ("62321",), ("62323",), ("64479",), ("64479", "64480"), ("64483",), ("64483", "64484"),
    ("64490",), ("64493",), ("64493", "64494"), ("64633",), ("64635",), ("64635", "64636"),
    ("27096",), ("20552",),
]
FIRST_DAY = date(2026, 1, 1)
DEFAULTS = dict(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


# The window and interval kinds no shipped policy uses: a calendar year, a 1-month rolling
# window (month-end clamping at every turn) and intervals in calendar months.
UNSHIPPED_RULES = """
payer: unshipped
rules:
  - {id: u-esi-year, type: frequency, group: esi, window: {calendar_year: true}, limit: 2,
     source: test, confidence: C}
  - {id: u-rfa-month, type: frequency, group: facet_rfa, window: {rolling_months: 1}, limit: 1,
     source: test, confidence: C}
  - {id: u-facet-months, type: interval, group: facet_injection, min_months: 3, source: test,
     confidence: C}
  - {id: u-si-days, type: interval, group: si_injection, min_days: 30, source: test,
     confidence: C}
"""


def _unshipped_policy() -> Policy:
    folder = Path(tempfile.mkdtemp())
    try:
        (folder / "unshipped.yaml").write_text(UNSHIPPED_RULES, encoding="utf-8")
        return load_policies([folder])["unshipped"]
    finally:
        shutil.rmtree(folder)


POLICIES = {**{payer: shipped(payer) for payer in PAYERS}, "unshipped": _unshipped_policy()}


def on(base: date, offset: int) -> date:
    return base + timedelta(days=offset)


@st.composite
def sessions(draw, scheduled: date, low: int, high: int, performed: bool,
             focus: tuple[tuple[str, ...], str | None] | None = None) -> Session:
    """A session dated `low`..`high` days from the scheduled date (never on it); three times in
    four the patient's usual procedure (`focus`), so that limits are often reached."""
    offset = draw(st.integers(low, high).filter(lambda d: d != 0))
    if focus is not None and draw(st.integers(0, 3)) < 3:
        codes, intent = focus
    else:
        codes = draw(st.sampled_from(PROCEDURES))
        intent = draw(st.sampled_from([None, "diagnostic", "therapeutic"]))
    outcome = None
    if performed and draw(st.integers(0, 3)) > 0:
        outcome = Outcome(relief_percent=draw(st.sampled_from([None, 0, 30, 49, 50, 80, 95])),
                          duration_days=draw(st.sampled_from([None, 10, 89, 90, 180, 365])))
    return Session(date=on(scheduled, offset), codes=tuple(CodeLine(c) for c in codes),
                   intent=intent, outcome=outcome)  # type: ignore[arg-type]


@st.composite
def check_requests(draw) -> CheckRequest:
    """A random patient: up to 10 performed sessions in the 2 years before the scheduled date,
    up to 3 other bookings around it, some care and psych evaluations, one of the four shipped
    payers or the unshipped rule kinds.

    No other record falls on the scheduled date itself: check.md merges same-date records into
    the scheduled session, so "moved to E with everything else unchanged" is ambiguous for them.
    """
    scheduled_day = on(FIRST_DAY, draw(st.integers(0, 364)))
    focus = (draw(st.sampled_from(PROCEDURES)),
             draw(st.sampled_from([None, "diagnostic", "therapeutic"])))
    scheduled = replace(draw(sessions(scheduled_day, 1, 1, False, focus)), date=scheduled_day)
    history = draw(st.lists(sessions(scheduled_day, -730, -1, True, focus), max_size=10))
    booked = draw(st.lists(sessions(scheduled_day, -60, 400, False, focus), max_size=3))
    care_starts = draw(st.lists(st.integers(-400, 0), max_size=3))
    care = tuple(ConservativeCare(kind=draw(st.sampled_from(["physical_therapy", "medication",
                                                             "home_exercise", "other"])),
                                  start=on(scheduled_day, start),
                                  end=on(scheduled_day, start + draw(st.integers(0, 60))))
                 for start in care_starts)
    psych = tuple(PsychEvaluation(date=on(scheduled_day, -draw(st.integers(0, 500))),
                                  result=draw(st.sampled_from(["cleared", "not_cleared"])))
                  for _ in range(draw(st.integers(0, 2))))
    return CheckRequest(as_of=scheduled_day, payer=draw(st.sampled_from(sorted(POLICIES))),
                        scheduled=scheduled, history=tuple(history), other_scheduled=tuple(booked),
                        conservative_care=care, psych_evaluations=psych)


def moved(request: CheckRequest, day: date) -> CheckRequest:
    return replace(request, scheduled=replace(request.scheduled, date=day))


def run(request: CheckRequest) -> Result:
    return evaluate(request, POLICIES[request.payer])


def held_back(request: CheckRequest) -> bool:
    return bool(run(request).finding_codes & LIMIT_CODES)


def taken(request: CheckRequest) -> set[date]:
    """Dates of other sessions of the scheduled procedures' family group (ESI approaches, facet
    injection and RFA count together) and region: the next eligible date is never one of them."""
    catalog = load_catalog()

    def kinds(session: Session) -> set[tuple[str, str | None]]:
        found = set()
        for line in session.codes:
            entry = catalog.get(line.code)
            if entry is not None and entry.family not in ("imaging", "drug"):
                group = next((g for g in catalog.groups.values() if entry.family in g),
                             (entry.family,))
                found |= {(family, entry.region) for family in group}
        return found

    wanted = kinds(request.scheduled)
    return {s.date for s in request.history + request.other_scheduled
            if s.date != request.scheduled.date and kinds(s) & wanted}


def answer(result: Result) -> tuple:
    return (result.verdict, result.prior_auth_required, result.coding_ok, result.findings,
            result.counters, result.next_eligible_date, result.procedures)


@settings(max_examples=150, **DEFAULTS)
@given(check_requests())
def test_the_next_eligible_date_is_free_and_the_day_before_it_is_not(request):
    next_day = run(request).next_eligible_date
    if next_day is None or next_day == request.scheduled.date:
        return
    assert next_day > request.scheduled.date
    assert not held_back(moved(request, next_day))
    assert next_day not in taken(request)
    day_before = next_day - timedelta(days=1)
    assert held_back(moved(request, day_before)) or day_before in taken(request)


@settings(max_examples=60, **DEFAULTS)
@given(check_requests())
def test_the_next_eligible_date_is_the_first_free_day_found_by_trying_every_day(request):
    scheduled_day = request.scheduled.date
    busy = taken(request)
    first_free = next((on(scheduled_day, offset) for offset in range(SEARCH_DAYS + 1)
                       if not held_back(moved(request, on(scheduled_day, offset)))
                       and (offset == 0 or on(scheduled_day, offset) not in busy)), None)
    assert run(request).next_eligible_date == first_free


@settings(max_examples=150, **DEFAULTS)
@given(check_requests(), st.data())
def test_adding_a_session_inside_a_window_never_lowers_a_counter(request, data):
    extra = data.draw(sessions(request.scheduled.date, -400, -1, performed=True))
    before = run(request)
    after = run(replace(request, history=request.history + (extra,)))
    used_after = {(c.policy, c.region): c.used for c in after.counters}
    for c in before.counters:
        assert used_after[(c.policy, c.region)] >= c.used, (c, extra)


@settings(max_examples=150, **DEFAULTS)
@given(check_requests(), st.randoms(use_true_random=False))
def test_the_answer_does_not_depend_on_the_order_of_the_input_lists(request, random):
    def shuffled(items: tuple) -> tuple:
        items = list(items)
        random.shuffle(items)
        return tuple(items)

    def with_codes_shuffled(s: Session) -> Session:
        return replace(s, codes=shuffled(s.codes))

    reordered = replace(
        request,
        scheduled=with_codes_shuffled(request.scheduled),
        history=shuffled(tuple(with_codes_shuffled(s) for s in request.history)),
        other_scheduled=shuffled(tuple(with_codes_shuffled(s) for s in request.other_scheduled)),
        conservative_care=shuffled(request.conservative_care),
        psych_evaluations=shuffled(request.psych_evaluations))
    assert answer(run(reordered)) == answer(run(request))
