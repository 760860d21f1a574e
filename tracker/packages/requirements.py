"""What the payer's policy asks of one request, each item beside the rule that asks it and the
rule's published source, with what the record holds for it: the clinical summary a utilization
reviewer reads ("LCD L39240: ≥ 4 weeks of conservative care — physical therapy 2026-01-05 to
2026-02-16 ..."). Pure: the policy, the engine's result and the package in, requirements out."""

from __future__ import annotations

from tracker.packages.package import AuthorizationPackage, PriorTreatment, Requirement
from tracker.rules.describe import describe_rule
from tracker.rules.facts import applies_to
from tracker.rules.findings import Result
from tracker.rules.policy import (
    FrequencyLimit,
    LevelsLimit,
    Policy,
    Prerequisite,
    PriorAuthorization,
    PsychClearance,
    RepeatResponse,
    Rule,
    StepTherapy,
)
from tracker.rules.procedures import Procedure

# The rule types a reviewer checks a request against, in the order the summary reads them.
_ASKED = (PriorAuthorization, FrequencyLimit, LevelsLimit, StepTherapy, RepeatResponse,
          Prerequisite, PsychClearance)


def policy_requirements(policy: Policy, result: Result, package: AuthorizationPackage,
                        procedures: tuple[Procedure, ...]) -> tuple[Requirement, ...]:
    day = package.requested_date
    unmet = {f.policy for f in result.findings if f.severity in ("block", "documentation")}
    rules = [rule for rule in policy.rules
             if isinstance(rule, _ASKED) and rule.in_force(day)
             and any(applies_to(rule.applies, p) for p in procedures)]
    rules.sort(key=lambda rule: _ASKED.index(type(rule)))
    return tuple(Requirement(rule_id=rule.id, asks=describe_rule(rule), source=rule.cited_source,
                             on_file=_on_file(rule, result, package), met=rule.id not in unmet)
                 for rule in rules)


def _on_file(rule: Rule, result: Result, package: AuthorizationPackage) -> tuple[str, ...]:
    if isinstance(rule, PriorAuthorization):
        return ("this request, before the date of service",)
    if isinstance(rule, FrequencyLimit):
        return tuple(f"{c.used} of {c.limit} {c.family} sessions in the {c.window.describe()} "
                     "before this one" for c in result.counters if c.policy == rule.id)
    if isinstance(rule, LevelsLimit):
        return tuple(f"{p.levels} level{'s' if p.levels != 1 else ''} requested ({p.name})"
                     for p in package.procedures if p.levels)
    if isinstance(rule, StepTherapy):
        return tuple(c.summary[:1].upper() + c.summary[1:]
                     for c in package.conservative_care) or ("none on file",)
    if isinstance(rule, RepeatResponse):
        return _treatments(package.prior_treatments)
    if isinstance(rule, Prerequisite):
        return _treatments(package.diagnostic_blocks + package.scs_trials)
    if isinstance(rule, PsychClearance):
        return tuple(f"Psychological evaluation {e.summary}" for e in package.psych_evaluations
                     ) or ("none on file",)
    return ()


def _treatments(treatments: tuple[PriorTreatment, ...]) -> tuple[str, ...]:
    return tuple(f"{t.name.capitalize()} {t.date.isoformat()} ({', '.join(t.codes)}): "
                 f"{t.response}" for t in treatments) or ("none on file",)
