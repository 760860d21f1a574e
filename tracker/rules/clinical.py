"""The clinical evidence payers ask for: conservative care, prior response, prerequisite
sessions, and psychological clearance."""

from __future__ import annotations

from datetime import date, timedelta

from tracker.dates import add_months
from tracker.rules.facts import Facts, applies_to, holds
from tracker.rules.findings import REGION_WORDS, Finding
from tracker.rules.policy import Prerequisite, PsychClearance, RepeatResponse, StepTherapy
from tracker.rules.procedures import DatedSession, Procedure

CARE_LOOKBACK_MONTHS = 12


def _performed_in_region(facts: Facts, rule: StepTherapy | RepeatResponse | Prerequisite,
                         region: str | None,
                         lookback_months: int | None) -> list[DatedSession]:
    """Performed sessions of the rule's group in the region before the scheduled date."""
    since = add_months(facts.date, -lookback_months) if lookback_months else None
    return [s for s in facts.performed
            if (since is None or s.date > since) and holds(s, rule.applies, region)]


def care_days(facts: Facts) -> tuple[int, set[str]]:
    """Distinct days of conservative care in the 12 months up to the scheduled date, and the
    kinds of care given in them."""
    low = add_months(facts.date, -CARE_LOOKBACK_MONTHS) + timedelta(days=1)
    high = facts.date
    spans = sorted((max(c.start, low), min(c.end, high), c.kind)
                   for c in facts.conservative_care if c.start <= high and c.end >= low)
    days, kinds = 0, set[str]()
    cursor = low - timedelta(days=1)  # last day already counted
    for start, end, kind in spans:
        if end < start:
            continue
        kinds.add(kind)
        if end > cursor:
            days += (end - max(start, cursor + timedelta(days=1))).days + 1
            cursor = end
    return days, kinds


def step_therapy(rule: StepTherapy, facts: Facts, procedure: Procedure) -> Finding | None:
    if rule.first_in_region and _performed_in_region(facts, rule, procedure.region,
                                                     rule.lookback_months):
        return None  # not the first in the region: the repeat rules speak instead
    days, kinds = care_days(facts)
    missing = [alternatives for alternatives in rule.require_kinds if alternatives.isdisjoint(kinds)]
    if days >= rule.min_days and not missing:
        return None
    problems = []
    if days < rule.min_days:
        problems.append(f"{days} days of conservative care on file in the last 12 months, "
                        f"{rule.min_days} required")
    for alternatives in missing:
        problems.append("no " + " or ".join(sorted(k.replace("_", " ") for k in alternatives))
                        + " on file")
    return Finding("STEP_THERAPY_INSUFFICIENT", "; ".join(problems), rule.id, rule.cited_source)


def repeat_response(rule: RepeatResponse, facts: Facts, procedure: Procedure) -> Finding | None:
    priors = _performed_in_region(facts, rule, procedure.region, rule.lookback_months)
    if not priors:
        return None  # not a repeat
    latest = priors[-1]
    outcome = latest.outcome
    label = rule.applies.label
    where = REGION_WORDS[procedure.region]
    if outcome is None or outcome.relief_percent is None or (
            rule.min_duration_days is not None and outcome.duration_days is None):
        return Finding("PRIOR_RESPONSE_MISSING",
                       f"this repeats the {label} of {latest.date.isoformat()}"
                       f"{' (' + where + ')' if where else ''}; record its relief"
                       f"{' and how long it lasted' if rule.min_duration_days else ''}",
                       rule.id, rule.cited_source)
    relief_ok = outcome.relief_percent >= rule.min_relief_percent
    duration_ok = rule.min_duration_days is None or (
        outcome.duration_days is not None and outcome.duration_days >= rule.min_duration_days)
    if relief_ok and duration_ok:
        return None
    if _retry_after_failed_first(rule, procedure, priors, facts.date):
        return None
    wanted = f"≥ {rule.min_relief_percent:g} % relief"
    if rule.min_duration_days:
        wanted += f" lasting ≥ {rule.min_duration_days} days"
    got = f"{outcome.relief_percent:g} %"
    if outcome.duration_days is not None:
        got += f" for {outcome.duration_days} days"
    return Finding("PRIOR_RESPONSE_INSUFFICIENT",
                   f"the {label} of {latest.date.isoformat()} gave {got}; a repeat needs {wanted}",
                   rule.id, rule.cited_source)


def _retry_after_failed_first(rule: RepeatResponse, procedure: Procedure,
                              priors: list[DatedSession], day: date) -> bool:
    """One retry after a single failed session, with the other approach, late enough."""
    if rule.failed_first_retry_days is None or len(priors) != 1:
        return False
    prior = priors[0]
    assert prior.outcome is not None and prior.outcome.relief_percent is not None
    if prior.outcome.relief_percent >= rule.min_relief_percent:
        return False  # it did not fail: the duration fell short, which no retry excuses
    prior_families = {p.family for p in prior.procedures
                      if p.region == procedure.region and applies_to(rule.applies, p)}
    other_approach = procedure.family not in prior_families
    return other_approach and (day - prior.date).days >= rule.failed_first_retry_days


def prerequisite(rule: Prerequisite, facts: Facts, procedure: Procedure) -> Finding | None:
    if rule.first_in_region and _performed_in_region(facts, rule, procedure.region, None):
        return None
    qualifying = [
        s for s in facts.performed
        if holds(s, rule.requires, procedure.region, rule.same_region)
        and _responded(rule, s)
    ]
    if len(qualifying) >= rule.count:
        return None
    need = rule.description or f"{rule.count} earlier {rule.requires.label} session(s)"
    return Finding("PREREQUISITE_NOT_MET",
                   f"needs {need}; {len(qualifying)} on file", rule.id, rule.cited_source)


def _responded(rule: Prerequisite, session: DatedSession) -> bool:
    """Relief at the rule's threshold, or (where the rule accepts it) the medication reduction."""
    outcome = session.outcome
    if outcome is None:
        return False
    if outcome.relief_percent is not None and outcome.relief_percent >= rule.min_relief_percent:
        return True
    wanted = rule.or_medication_reduction_percent
    reduction = outcome.medication_reduction_percent
    return wanted is not None and reduction is not None and reduction >= wanted


def psych_clearance(rule: PsychClearance, facts: Facts) -> Finding | None:
    evaluations = [e for e in facts.psych_evaluations if e.date <= facts.date]
    if not evaluations:
        return Finding("PSYCH_CLEARANCE_MISSING",
                       "no psychological evaluation on file; one with result 'cleared' is required",
                       rule.id, rule.cited_source)
    latest = evaluations[-1]  # sorted by (date, result): on a tie, not_cleared wins
    if latest.result == "not_cleared":
        return Finding("PSYCH_NOT_CLEARED",
                       f"the psychological evaluation of {latest.date.isoformat()} did not clear "
                       "the patient", rule.id, rule.cited_source)
    if rule.within_months and latest.date <= add_months(facts.date, -rule.within_months):
        return Finding("PSYCH_CLEARANCE_EXPIRED",
                       f"the latest clearance ({latest.date.isoformat()}) is older than "
                       f"{rule.within_months} months; a new evaluation is needed",
                       rule.id, rule.cited_source)
    return None
