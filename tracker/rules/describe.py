"""A payer rule in a billing lead's words: what it speaks of, what it says, when it holds.
Shared by `painauth policies show` and the packet a reviewer reads."""

from __future__ import annotations

from tracker.rules.policy import (
    BEGINNING,
    FOREVER,
    FrequencyLimit,
    LevelsLimit,
    MinimumInterval,
    NotCovered,
    Prerequisite,
    PriorAuthorization,
    PsychClearance,
    RepeatResponse,
    Rule,
    Selector,
    StepTherapy,
    WasteModifiers,
)
from tracker.rules.program_words import describe_authorization


def applies_text(selector: Selector) -> str:
    """What a rule speaks of: `esi (62321, 62323) therapeutic`."""
    text = selector.label
    if selector.codes:
        text += " (" + ", ".join(sorted(selector.codes)) + ")"
    if selector.intents:
        text += " " + "/".join(sorted(selector.intents))
    return text


def describe_rule(rule: Rule) -> str:
    """The rule's numbers in a billing lead's words."""
    if isinstance(rule, FrequencyLimit):
        return f"at most {rule.limit} sessions per region, {rule.window.describe()}"
    if isinstance(rule, MinimumInterval):
        gap = f"{rule.days} days" if rule.days is not None else f"{rule.months} calendar months"
        return f"at least {gap} between sessions in the region"
    if isinstance(rule, LevelsLimit):
        return f"at most {rule.max_levels} level(s) per session"
    if isinstance(rule, NotCovered):
        return "not covered" + (f": {rule.reason}" if rule.reason else "")
    if isinstance(rule, PriorAuthorization):
        return describe_authorization(rule)
    if isinstance(rule, StepTherapy):
        kinds = " and ".join("(" + " or ".join(sorted(k.replace("_", " ") for k in alternatives))
                             + ")" for alternatives in rule.require_kinds)
        first = " before the first in the region" if rule.first_in_region else ""
        return f"≥ {rule.min_days} days of conservative care{first}" + (
            f" including {kinds}" if kinds else "")
    if isinstance(rule, RepeatResponse):
        text = f"a repeat needs the prior one ≥ {rule.min_relief_percent:g} % relief"
        if rule.min_duration_days:
            text += f" for ≥ {rule.min_duration_days} days"
        if rule.failed_first_retry_days:
            text += (f"; one retry with the other approach ≥ {rule.failed_first_retry_days} days "
                     "after a failed first")
        return text
    if isinstance(rule, Prerequisite):
        return "requires " + (rule.description or f"{rule.count} × {applies_text(rule.requires)}") + (
            " (first in the region)" if rule.first_in_region else "")
    if isinstance(rule, PsychClearance):
        window = f" within {rule.within_months} months" if rule.within_months else ""
        return f"a cleared psychological evaluation{window}"
    if isinstance(rule, WasteModifiers):
        return "a single-dose drug carries JW for the amount discarded, or JZ when none was"
    return type(rule).__name__


def effective_text(rule: Rule) -> str:
    """`from 2023-07-01`, `from 2021-07-01 to 2031-12-31`, or `in force`."""
    start = "" if rule.effective_from == BEGINNING else f"from {rule.effective_from}"
    end = "" if rule.effective_to == FOREVER else f"to {rule.effective_to}"
    return " ".join(p for p in (start, end) if p) or "in force"
