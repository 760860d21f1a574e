"""Frequency limits, minimum intervals, and the next date on which neither stands in the way."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta

from tracker.dates import add_months
from tracker.rules.facts import Facts, applies_to, holds
from tracker.rules.findings import REGION_WORDS, Counter, Finding
from tracker.rules.policy import FrequencyLimit, MinimumInterval, Policy, Rule, Window
from tracker.rules.procedures import DatedSession

SEARCH_DAYS = 730


def in_window(window: Window, session_day: date, day: date) -> bool:
    """Rolling N months: day - N months < session_day <= day. Calendar year: same year, <= day."""
    if session_day > day:
        return False
    if window.kind == "calendar_year":
        return session_day.year == day.year
    assert window.months is not None
    return add_months(day, -window.months) < session_day


def _where(region: str | None) -> str:
    return f" in the {REGION_WORDS[region]} region" if region else ""


def frequency(rule: FrequencyLimit, facts: Facts, day: date,
              others: Iterable[DatedSession]) -> list[tuple[Counter, Finding | None]]:
    """One counter per region the scheduled procedures hold, with its finding if any."""
    results = []
    regions = sorted({p.region or "" for p in facts.procedures if applies_to(rule.applies, p)})
    for region_key in regions:
        region = region_key or None
        used = sum(1 for s in others
                   if s.date != day and in_window(rule.window, s.date, day)
                   and holds(s, rule.applies, region))
        intent = "/".join(sorted(rule.applies.intents)) or None
        counter = Counter(family=rule.applies.label, region=region, window=rule.window,
                          used=used, limit=rule.limit, policy=rule.id, intent=intent)
        what = f"{(intent + ' ') if intent else ''}{rule.applies.label} sessions{_where(region)}"
        finding = None
        if used >= rule.limit:
            finding = Finding("FREQUENCY_LIMIT_REACHED",
                              f"{used} of {rule.limit} {what} in the {rule.window.describe()} "
                              "are already used", rule.id, rule.cited_source)
        elif used + 1 == rule.limit:
            finding = Finding("FREQUENCY_LIMIT_APPROACHING",
                              f"this session takes the last of {rule.limit} {what} allowed in the "
                              f"{rule.window.describe()}", rule.id, rule.cited_source)
        results.append((counter, finding))
    return results


def _too_close(rule: MinimumInterval, other: date, day: date) -> bool:
    if rule.days is not None:
        return abs((day - other).days) < rule.days
    assert rule.months is not None
    if other < day:
        return day < add_months(other, rule.months)
    return day > add_months(other, -rule.months)


def interval(rule: MinimumInterval, facts: Facts, day: date,
             others: Iterable[DatedSession]) -> list[Finding]:
    findings = []
    minimum = f"{rule.days} days" if rule.days is not None else f"{rule.months} calendar months"
    regions = sorted({p.region or "" for p in facts.procedures if applies_to(rule.applies, p)})
    for region_key in regions:
        region = region_key or None
        close = [s.date for s in others
                 if s.date != day and holds(s, rule.applies, region) and _too_close(rule, s.date, day)]
        if close:
            nearest = min(close, key=lambda d: (abs((day - d).days), d))
            findings.append(Finding(
                "INTERVAL_TOO_SHORT",
                f"another {rule.applies.label} session{_where(region)} on {nearest.isoformat()} is "
                f"closer than the minimum of {minimum}", rule.id, rule.cited_source))
    return findings


def limit_findings(policy: Policy, facts: Facts, day: date,
                   others: tuple[DatedSession, ...]) -> tuple[list[Counter], list[Finding]]:
    counters: list[Counter] = []
    findings: list[Finding] = []
    for rule in policy.rules:
        if not rule.in_force(day):
            continue
        if isinstance(rule, FrequencyLimit):
            for counter, finding in frequency(rule, facts, day, others):
                counters.append(counter)
                if finding:
                    findings.append(finding)
        elif isinstance(rule, MinimumInterval):
            findings.extend(interval(rule, facts, day, others))
    return counters, findings


def _limits_clear(policy: Policy, facts: Facts, day: date) -> bool:
    _, findings = limit_findings(policy, facts, day, facts.others)
    return not any(f.code in ("FREQUENCY_LIMIT_REACHED", "INTERVAL_TOO_SHORT") for f in findings)


def _leaves_window(window: Window, session_day: date) -> date:
    """The first day whose window no longer holds a session on `session_day`."""
    if window.kind == "calendar_year":
        return date(session_day.year + 1, 1, 1)
    assert window.months is not None
    day = add_months(session_day, window.months)
    while add_months(day, -window.months) < session_day:
        day += timedelta(days=1)
    return day


def _candidates(policy: Policy, facts: Facts, rules: list[Rule]) -> Iterator[date]:
    """Every day on which a frequency or interval finding can stop standing in the way."""
    yield facts.date
    for rule in rules:
        yield rule.effective_from
        if rule.effective_to < date.max:
            yield rule.effective_to + timedelta(days=1)
    for session in facts.others:
        yield session.date  # moved onto another session's date, the two are one session
        for rule in rules:
            if isinstance(rule, FrequencyLimit):
                yield _leaves_window(rule.window, session.date)
            elif isinstance(rule, MinimumInterval):
                yield (session.date + timedelta(days=rule.days) if rule.days is not None
                       else add_months(session.date, rule.months or 0))


def next_eligible_date(policy: Policy, facts: Facts) -> date | None:
    """The earliest day >= the scheduled date (within SEARCH_DAYS) free of frequency and interval
    findings for the same session; None when there is none."""
    rules = [r for r in policy.rules if isinstance(r, FrequencyLimit | MinimumInterval)
             and any(applies_to(r.applies, p) for p in facts.procedures)]
    start, last = facts.date, facts.date + timedelta(days=SEARCH_DAYS)
    for day in sorted({d for d in _candidates(policy, facts, rules) if start <= d <= last}):
        if _limits_clear(policy, facts, day):
            return day
    return None
