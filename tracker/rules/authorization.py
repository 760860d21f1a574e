"""Whether a prior-authorization rule asks for a request for the scheduled session: its place of
service, its state, a trial whose number carries, and the exemptions the practice holds."""

from __future__ import annotations

from tracker.rules.facts import Facts, applies_to
from tracker.rules.findings import Finding
from tracker.rules.policy import Policy, PriorAuthorization


def _trial_carries(rule: PriorAuthorization, facts: Facts) -> bool:
    """A permanent implant after a trial of the same codes at one of the rule's places: only the
    trial needed a request, and its number goes on the permanent implant's claim."""
    scheduled = facts.scheduled
    if not rule.trial_carries or scheduled.intent == "trial":
        return False
    codes = {line.code for line in scheduled.codes} & rule.applies.codes
    return any(
        session.date < scheduled.date and session.intent == "trial"
        and (not rule.places_of_service or session.place_of_service in rule.places_of_service)
        and not codes.isdisjoint(line.code for line in session.codes)
        for session in facts.recorded)


def finding(rule: PriorAuthorization, policy: Policy, facts: Facts) -> Finding | None:
    """PRIOR_AUTH_REQUIRED, PRIOR_AUTH_EXEMPT, SERVICE_STATE_UNKNOWN, or None when the rule does
    not ask for a request for this session."""
    place = facts.scheduled.place_of_service
    if rule.places_of_service and place not in rule.places_of_service:
        return None
    procedures = [p for p in facts.procedures if applies_to(rule.applies, p)]
    if not procedures or _trial_carries(rule, facts):
        return None
    program = policy.programs.get(rule.program)
    named = program.name if program else policy.name
    if rule.states:
        if facts.service_state is None:
            return Finding("SERVICE_STATE_UNKNOWN",
                           f"{named} requires prior authorization for this procedure when it is "
                           f"performed in {', '.join(sorted(rule.states))}; give the service "
                           "state to know whether it applies", rule.id, rule.cited_source)
        if facts.service_state not in rule.states:
            return None
    codes = frozenset().union(*(p.codes for p in procedures))
    families = frozenset(p.family for p in procedures)
    for exemption in facts.exemptions:
        if rule.program and exemption.covers(rule.program, facts.date,
                                             facts.scheduled.provider_npi, codes, families):
            holder = (f"provider {exemption.provider_npi}" if exemption.provider_npi
                      else "the practice")
            letter = f" (letter {exemption.reference})" if exemption.reference else ""
            return Finding("PRIOR_AUTH_EXEMPT",
                           f"{holder} is exempt from {named} for this procedure from "
                           f"{exemption.start.isoformat()} to {exemption.end.isoformat()}{letter}; "
                           "no request is needed", rule.id, rule.cited_source)
    where = f"place of service {place}"
    if rule.states:
        where += f" in {facts.service_state}"
    return Finding("PRIOR_AUTH_REQUIRED",
                   f"{named} requires prior authorization for this procedure at {where}",
                   rule.id, rule.cited_source)
