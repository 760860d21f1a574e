"""Builds check requests for the engine tests: sessions, conservative care, psych evaluations.

Dates are ISO strings so a test reads like the scheduler's screen; codes are "64483",
"64484x2" (2 units) or "64483-50" (modifier 50).
"""

from __future__ import annotations

from datetime import date
from functools import cache

from tracker.rules import (
    CheckRequest,
    CodeLine,
    ConservativeCare,
    Counter,
    Exemption,
    Outcome,
    PsychEvaluation,
    Result,
    Session,
    evaluate,
    load_policies,
)
from tracker.rules.policy import Policy
from tracker.rules.policy_files import shipped_policy_dir

PAYERS = ("medicare", "aetna", "cigna", "unitedhealthcare")


def day(text: str | date) -> date:
    return text if isinstance(text, date) else date.fromisoformat(text)


def line(text: str) -> CodeLine:
    """'64484x2' is two units; '64483-50' carries modifier 50."""
    code, _, modifier = text.partition("-")
    code, _, units = code.partition("x")
    return CodeLine(code=code, units=int(units) if units else 1,
                    modifiers=(modifier,) if modifier else ())


def session(when: str | date, *codes: str, intent: str | None = None,
            relief: float | None = None, lasted: int | None = None,
            place: str = "11", muscles: int | None = None,
            no_outcome: bool = False, medication_reduction: float | None = None,
            provider: str | None = None) -> Session:
    outcome = None
    if not no_outcome and (relief is not None or lasted is not None
                           or medication_reduction is not None):
        outcome = Outcome(relief_percent=relief, duration_days=lasted,
                          medication_reduction_percent=medication_reduction)
    return Session(date=day(when), codes=tuple(line(c) for c in codes), place_of_service=place,
                   intent=intent, muscles=muscles, outcome=outcome,  # type: ignore[arg-type]
                   provider_npi=provider)


def good(when: str | date, *codes: str, intent: str | None = None) -> Session:
    """A performed session that worked: 80 % relief for 200 days."""
    return session(when, *codes, intent=intent, relief=80, lasted=200)


def care(kind: str, start: str, end: str) -> ConservativeCare:
    return ConservativeCare(kind=kind, start=day(start), end=day(end))  # type: ignore[arg-type]


def psych(when: str, result: str = "cleared") -> PsychEvaluation:
    return PsychEvaluation(date=day(when), result=result)  # type: ignore[arg-type]


def request(payer: str, scheduled: Session, history: tuple[Session, ...] | list[Session] = (),
            other_scheduled: tuple[Session, ...] | list[Session] = (),
            conservative_care: tuple[ConservativeCare, ...] | list[ConservativeCare] = (),
            psych_evaluations: tuple[PsychEvaluation, ...] | list[PsychEvaluation] = (),
            as_of: str | date | None = None, service_state: str | None = None,
            exemptions: tuple[Exemption, ...] | list[Exemption] = ()) -> CheckRequest:
    return CheckRequest(
        as_of=day(as_of) if as_of is not None else scheduled.date,
        payer=payer, scheduled=scheduled, history=tuple(history),
        other_scheduled=tuple(other_scheduled), conservative_care=tuple(conservative_care),
        psych_evaluations=tuple(psych_evaluations), service_state=service_state,
        exemptions=tuple(exemptions))


@cache
def shipped(payer: str) -> Policy:
    """The shipped policy alone, whatever PAINAUTH_POLICY_DIRS the environment sets."""
    return load_policies([shipped_policy_dir()])[payer]


def check(payer: str, scheduled: Session, policy: Policy | None = None, **rest: object) -> Result:
    """Evaluate under the shipped policy of `payer` (or the given one)."""
    return evaluate(request(payer, scheduled, **rest),  # type: ignore[arg-type]
                    policy or shipped(payer))


def codes(result: Result) -> set[str]:
    return set(result.finding_codes)


def finding(result: Result, code: str) -> list[str]:
    """The rule ids behind every finding with this code."""
    return sorted(f.policy for f in result.findings if f.code == code)


def counter(result: Result, policy_id: str, region: str | None = None) -> Counter:
    found = [c for c in result.counters if c.policy == policy_id
             and (region is None or c.region == region)]
    assert len(found) == 1, f"expected one counter of {policy_id}, got {result.counters}"
    return found[0]


# Enough conservative care for every shipped step-therapy rule (PT + medication, > 180 days),
# within the 12 months before any scheduled date in 2026-07..2026-12.
AMPLE_CARE = (care("physical_therapy", "2026-01-05", "2026-06-30"),
              care("medication", "2026-01-05", "2026-06-30"))
