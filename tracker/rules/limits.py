"""Frequency limits, minimum intervals, and the next date on which neither stands in the way."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from datetime import date, timedelta

from tracker.dates import add_months
from tracker.rules.facts import Facts
from tracker.rules.findings import REGION_WORDS, Counter, Finding
from tracker.rules.policy import FrequencyLimit, MinimumInterval, Rule, Window

SEARCH_DAYS = 730
LIMIT_CODES = frozenset({"FREQUENCY_LIMIT_REACHED", "INTERVAL_TOO_SHORT"})


def window_start(window: Window, day: date) -> date:
    """The first day a window ending on `day` holds.

    Rolling N months: the day after day - N months. Calendar year: 1 January of day's year.
    """
    if window.kind == "calendar_year":
        return date(day.year, 1, 1)
    assert window.months is not None
    return add_months(day, -window.months) + timedelta(days=1)


def in_window(window: Window, session_day: date, day: date) -> bool:
    """Rolling N months: day - N months < session_day <= day. Calendar year: same year, <= day."""
    return window_start(window, day) <= session_day <= day


def _where(region: str | None) -> str:
    return f" in the {REGION_WORDS[region]} region" if region else ""


def frequency(rule: FrequencyLimit, facts: Facts, day: date) -> list[tuple[Counter, Finding | None]]:
    """One counter per region the scheduled procedures hold, with its finding if any.

    Sessions on `day` itself are the scheduled session and are not counted.
    """
    results = []
    start = window_start(rule.window, day)
    for region in facts.regions_of(rule.applies):
        dates = facts.other_dates(rule.applies, region)
        used = bisect_left(dates, day) - bisect_left(dates, start)
        intent = "/".join(sorted(rule.applies.intents)) or None
        counter = Counter(family=rule.applies.label, region=region, window=rule.window,
                          used=used, limit=rule.limit, policy=rule.id, intent=intent)
        finding = None
        if used + 1 >= rule.limit:
            what = f"{(intent + ' ') if intent else ''}{rule.applies.label} sessions{_where(region)}"
            if used >= rule.limit:
                finding = Finding("FREQUENCY_LIMIT_REACHED",
                                  f"{used} of {rule.limit} {what} in the {rule.window.describe()} "
                                  "are already used", rule.id, rule.cited_source)
            else:
                finding = Finding("FREQUENCY_LIMIT_APPROACHING",
                                  f"this session takes the last of {rule.limit} {what} allowed in "
                                  f"the {rule.window.describe()}", rule.id, rule.cited_source)
        results.append((counter, finding))
    return results


def _too_close(rule: MinimumInterval, other: date, day: date) -> bool:
    if rule.days is not None:
        return abs((day - other).days) < rule.days
    assert rule.months is not None
    try:
        if other < day:
            return day < add_months(other, rule.months)
        return day > add_months(other, -rule.months)
    except ValueError:  # the interval ends past 9999-12-31 (or before year 1): always too close
        return True


def interval(rule: MinimumInterval, facts: Facts, day: date) -> list[Finding]:
    """The nearest session on either side decides: the gap only grows further out."""
    findings = []
    minimum = f"{rule.days} days" if rule.days is not None else f"{rule.months} calendar months"
    for region in facts.regions_of(rule.applies):
        dates = facts.other_dates(rule.applies, region)
        before, after = bisect_left(dates, day), bisect_right(dates, day)
        neighbours = ([dates[before - 1]] if before else []) + (
            [dates[after]] if after < len(dates) else [])
        close = [d for d in neighbours if _too_close(rule, d, day)]
        if close:
            nearest: date = min(close, key=lambda d: (abs((day - d).days), d))
            findings.append(Finding(
                "INTERVAL_TOO_SHORT",
                f"another {rule.applies.label} session{_where(region)} on {nearest.isoformat()} is "
                f"closer than the minimum of {minimum}", rule.id, rule.cited_source))
    return findings


def limit_findings(rules: Sequence[Rule], facts: Facts,
                   day: date) -> tuple[list[Counter], list[Finding]]:
    """Counters and findings of the frequency and interval rules in force on `day`."""
    counters: list[Counter] = []
    findings: list[Finding] = []
    for rule in rules:
        if not rule.in_force(day):
            continue
        if isinstance(rule, FrequencyLimit):
            for counter, finding in frequency(rule, facts, day):
                counters.append(counter)
                if finding:
                    findings.append(finding)
        elif isinstance(rule, MinimumInterval):
            findings.extend(interval(rule, facts, day))
    return counters, findings


def _leaves_window(window: Window, session_day: date) -> date:
    """The first day whose window no longer holds a session on `session_day`."""
    if window.kind == "calendar_year":
        return date(session_day.year + 1, 1, 1)
    assert window.months is not None
    day = add_months(session_day, window.months)
    while add_months(day, -window.months) < session_day:
        day += timedelta(days=1)
    return day


def _ends(facts: Facts, rules: Sequence[Rule]) -> Iterator[date]:
    """The days on which a frequency or interval finding can stop standing in the way; those
    past 9999-12-31 are left out. Only the sessions a rule counts (its procedures, in a region
    the scheduled procedures hold) can stop it standing in the way."""
    for rule in rules:
        yield rule.effective_from
        if rule.effective_to < date.max:
            yield rule.effective_to + timedelta(days=1)
    for rule in rules:
        for region in facts.regions_of(rule.applies):
            for day in facts.other_dates(rule.applies, region):
                try:
                    if isinstance(rule, FrequencyLimit):
                        yield _leaves_window(rule.window, day)
                    elif isinstance(rule, MinimumInterval):
                        yield (day + timedelta(days=rule.days) if rule.days is not None
                               else add_months(day, rule.months or 0))
                except (OverflowError, ValueError):
                    continue


def _candidates(facts: Facts, rules: Sequence[Rule], taken: frozenset[date]) -> Iterator[date]:
    """Every day that can be the next eligible one: the scheduled date, each day a finding can
    end, and the day after a taken date (a moved session cannot land on one)."""
    yield facts.date
    for day in _ends(facts, rules):
        yield day
    for day in taken:
        if day < date.max:
            yield day + timedelta(days=1)


class _FrequencySweep:
    """Whether a frequency limit stands in the way on ascending days, one rule and region: the
    window's two ends only move forward, so the count is kept by two pointers, not bisected."""

    def __init__(self, rule: FrequencyLimit, dates: list[date]) -> None:
        self.rule, self.dates = rule, dates
        self.first = self.before = 0  # dates[first:before] are in the window and before the day

    def blocks(self, day: date) -> bool:
        if not self.rule.in_force(day):
            return False
        start, dates = window_start(self.rule.window, day), self.dates
        while self.first < len(dates) and dates[self.first] < start:
            self.first += 1
        while self.before < len(dates) and dates[self.before] < day:
            self.before += 1
        return self.before - self.first >= self.rule.limit


class _IntervalSweep:
    """Whether a minimum interval stands in the way on ascending days: the nearest session on
    either side, found by two pointers that only move forward."""

    def __init__(self, rule: MinimumInterval, dates: list[date]) -> None:
        self.rule, self.dates = rule, dates
        self.before = self.after = 0  # dates[:before] < day < dates[after:]

    def blocks(self, day: date) -> bool:
        if not self.rule.in_force(day):
            return False
        dates = self.dates
        while self.before < len(dates) and dates[self.before] < day:
            self.before += 1
        self.after = max(self.after, self.before)
        while self.after < len(dates) and dates[self.after] <= day:
            self.after += 1
        return ((self.before > 0 and _too_close(self.rule, dates[self.before - 1], day))
                or (self.after < len(dates) and _too_close(self.rule, dates[self.after], day)))


def next_eligible_date(candidate_rules: tuple[Rule, ...], facts: Facts,
                       taken: frozenset[date] = frozenset()) -> date | None:
    """The earliest day >= the scheduled date (within SEARCH_DAYS, never past 9999-12-31) free
    of frequency and interval findings for the same session and not in `taken` (the dates of
    other sessions of its family groups and regions); None when there is none.
    `candidate_rules` are the policy's rules that apply to the scheduled procedures, whatever
    their dates.

    One sweep over the sorted candidate days: each rule and region keeps its place in the other
    sessions' dates, so a dense history costs its length once, not once per candidate; the same
    days stand in the way as `limit_findings` would say (no findings are built to find out)."""
    rules = [r for r in candidate_rules if isinstance(r, FrequencyLimit | MinimumInterval)]
    start = facts.date
    last = date.max if (date.max - start).days < SEARCH_DAYS else start + timedelta(SEARCH_DAYS)
    sweeps: list[_FrequencySweep | _IntervalSweep] = [
        _FrequencySweep(rule, facts.other_dates(rule.applies, region))
        if isinstance(rule, FrequencyLimit)
        else _IntervalSweep(rule, facts.other_dates(rule.applies, region))
        for rule in rules for region in facts.regions_of(rule.applies)]
    for day in sorted({d for d in _candidates(facts, rules, taken) if start <= d <= last}):
        if day in taken:
            continue
        if not any(sweep.blocks(day) for sweep in sweeps):
            return day
    return None
