"""A payer's programs in words, for `painauth policies show PAYER`: each program's channel,
decision clocks (with the dates they hold), approval validity and exemption threshold, and the
prior-authorization rules that belong to it (places of service and states)."""

from __future__ import annotations

from tracker.rules.policy import Policy, PriorAuthorization
from tracker.rules.programs import BEGINNING, CMS_0057F, CMS_0057F_PLAN_TYPES, FOREVER


def describe_authorization(rule: PriorAuthorization) -> str:
    """One prior_auth rule: where and for whom it asks for a request."""
    where = ", ".join(sorted(rule.places_of_service)) or "every place of service"
    text = f"prior authorization required at {where}"
    if rule.states:
        text += f" when performed in {', '.join(sorted(rule.states))}"
    if rule.program:
        text += f" ({rule.program})"
    if rule.trial_carries:
        text += "; after a trial at those places only the trial needs a request"
    return text


def describe_programs(policy: Policy) -> str:
    """The payer's programs with their clocks and validity, and the rules naming each."""
    lines = [f"{policy.name} ({policy.payer})"
             + (f", {policy.plan_type.replace('_', ' ')} plans" if policy.plan_type else "")]
    if not policy.programs:
        lines.append("  no programs: the payer file's decision clock "
                     f"({policy.decision_clock.standard_days} days standard, "
                     f"{policy.decision_clock.expedited_hours} hours expedited) applies")
    for program in sorted(policy.programs.values(), key=lambda p: p.id):
        lines.append(program.describe())
        if not program.clocks:
            lines.append(f"  clock: the payer file's, {policy.decision_clock.standard_days} days "
                         f"standard, {policy.decision_clock.expedited_hours} hours expedited")
        for rule in policy.rules:
            if isinstance(rule, PriorAuthorization) and rule.program == program.id:
                since = "" if rule.effective_from == BEGINNING else f" from {rule.effective_from}"
                until = "" if rule.effective_to == FOREVER else f" to {rule.effective_to}"
                codes = ", ".join(sorted(rule.applies.codes)) or rule.applies.label
                lines.append(f"  {rule.id}: {codes}{since}{until}: {describe_authorization(rule)}")
    bound = ", ".join(sorted(CMS_0057F_PLAN_TYPES))
    lines.append(f"Medicare Advantage and Medicaid/CHIP coverages ({bound}) run on at most "
                 f"{CMS_0057F.describe()} from {CMS_0057F.effective_from} (CMS-0057-F).")
    if policy.exemptions:
        lines.append("Exemptions held (policy files):")
        for exemption in policy.exemptions:
            holder = exemption.provider_npi or "whole practice"
            lines.append(f"  {exemption.program} {exemption.start}–{exemption.end}, {holder}"
                         + (f", letter {exemption.reference}" if exemption.reference else ""))
    return "\n".join(lines)
