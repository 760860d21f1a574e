"""The evaluation engine: one pure function from a check request and a payer policy to a result.

It imports nothing from the store, the web, Prefect or the network; `painauth check`, the
pre-visit flow and the board all call `evaluate`.
"""

from __future__ import annotations

from datetime import date

from tracker.codes import Catalog, load_catalog
from tracker.rules import authorization, clinical, limits
from tracker.rules.coding import coding_findings, drug_findings
from tracker.rules.facts import Facts, applies_to, facts_of
from tracker.rules.findings import SEVERITY, Finding, Result, verdict_of
from tracker.rules.policy import (
    LevelsLimit,
    NotCovered,
    Policy,
    Prerequisite,
    PriorAuthorization,
    PsychClearance,
    RepeatResponse,
    Rule,
    StepTherapy,
    WasteModifiers,
)
from tracker.rules.session import CheckRequest

_ORDER = {code: index for index, code in enumerate(SEVERITY)}


def evaluate(request: CheckRequest, policy: Policy, catalog: Catalog | None = None) -> Result:
    """Can this session be paid for on its date under this policy, and what stands in the way?"""
    catalog = catalog or load_catalog()
    facts = facts_of(request, catalog)
    day = facts.date
    rules = _rules_for(policy, facts)
    counters, findings = limits.limit_findings(rules, facts, day)
    prior_auth = False
    for rule in rules:
        if not rule.in_force(day):
            continue
        if isinstance(rule, PriorAuthorization):
            finding = authorization.finding(rule, policy, facts)
            if finding is not None:
                prior_auth = prior_auth or finding.code == "PRIOR_AUTH_REQUIRED"
                findings.append(finding)
        else:
            findings.extend(_clinical_findings(rule, facts))
    findings.extend(coding_findings(facts.scheduled, catalog))
    findings.extend(drug_findings(facts.scheduled, catalog, _waste_rules(policy)))
    findings = _distinct(findings)
    blocked_by_limits = any(f.code in limits.LIMIT_CODES for f in findings)
    next_day = (limits.next_eligible_date(rules, facts, _taken_dates(facts, catalog))
                if blocked_by_limits else day)
    return Result(
        verdict=verdict_of(findings, prior_auth),
        prior_auth_required=prior_auth,
        coding_ok=not any(f.severity == "coding" for f in findings),
        procedures=tuple(p.as_json() for p in facts.procedures),
        counters=tuple(sorted(set(counters), key=lambda c: (c.policy, c.region or ""))),
        next_eligible_date=next_day,
        findings=tuple(findings),
        payer=policy.payer,
        scheduled_date=day,
    )


def _rules_for(policy: Policy, facts: Facts) -> tuple[Rule, ...]:
    """The policy's rules that speak of at least one of the scheduled procedures."""
    procedures = facts.procedures
    return policy.rules_for(
        lambda rule: any(applies_to(rule.applies, p) for p in procedures),
        key=("rules-for", procedures))


def _family_group(family: str, catalog: Catalog) -> frozenset[str]:
    """The families counted together with `family` (its catalog group), itself included."""
    for families in catalog.groups.values():
        if family in families:
            return frozenset(families)
    return frozenset({family})


def _taken_dates(facts: Facts, catalog: Catalog) -> frozenset[date]:
    """Dates of the other sessions (performed or booked) of a scheduled procedure's family
    group and region: moved there, the scheduled session would merge with it (check.md)."""
    wanted = {(family, p.region) for p in facts.procedures
              for family in _family_group(p.family, catalog)}
    return frozenset(s.date for s in facts.others
                     if any((p.family, p.region) in wanted for p in s.procedures))


def _waste_rules(policy: Policy) -> tuple[WasteModifiers, ...]:
    rules: tuple[WasteModifiers, ...] = policy.rules_for(
        lambda rule: isinstance(rule, WasteModifiers), key="waste-modifiers")
    return rules


def _clinical_findings(rule: Rule, facts: Facts) -> list[Finding]:
    """Findings of the rules judged per scheduled procedure (not limits, not authorization)."""
    found: list[Finding | None] = []
    for procedure in facts.procedures:
        if not applies_to(rule.applies, procedure):
            continue
        if isinstance(rule, LevelsLimit):
            if procedure.levels is not None and procedure.levels > rule.max_levels:
                found.append(Finding(
                    "LEVELS_EXCEEDED", f"{procedure.levels} levels in one {procedure.family} "
                    f"session; at most {rule.max_levels} allowed", rule.id, rule.cited_source))
        elif isinstance(rule, NotCovered):
            codes = sorted(procedure.codes & rule.applies.codes) or sorted(procedure.codes)
            reason = rule.reason or "not covered by this payer"
            found.append(Finding("NOT_COVERED", f"{', '.join(codes)}: {reason}", rule.id,
                                 rule.cited_source))
        elif isinstance(rule, StepTherapy):
            found.append(clinical.step_therapy(rule, facts, procedure))
        elif isinstance(rule, RepeatResponse):
            found.append(clinical.repeat_response(rule, facts, procedure))
        elif isinstance(rule, Prerequisite):
            found.append(clinical.prerequisite(rule, facts, procedure))
        elif isinstance(rule, PsychClearance):
            found.append(clinical.psych_clearance(rule, facts))
    return [f for f in found if f is not None]


def _distinct(findings: list[Finding]) -> list[Finding]:
    """One finding per (code, rule, message), most severe kinds first, in a stable order."""
    unique = {(f.code, f.policy, f.message): f for f in findings}
    return sorted(unique.values(), key=lambda f: (_ORDER[f.code], f.policy, f.message))
