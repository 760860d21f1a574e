"""The policy model: a payer's rules as effective-dated, sourced data.

Every rule names what it applies to with a `Selector` (a group of families, optionally narrowed to
codes and intents) and carries the numbers of one rule type. The engine reads these; the loader in
`policy_files.py` builds and validates them from YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.rules.programs import BEGINNING, FOREVER, Clock, Program, Span
from tracker.rules.session import Exemption


@dataclass(frozen=True, slots=True)
class Selector:
    """Which procedures a rule speaks of: families (a named group), codes and intents.

    An empty set means "any". `label` is the group name shown in counters (e.g. ``esi``).
    """

    label: str
    families: frozenset[str]
    codes: frozenset[str] = frozenset()
    intents: frozenset[str] = frozenset()

    def matches(self, family: str, intent: str | None, codes: frozenset[str]) -> bool:
        if self.families and family not in self.families:
            return False
        if self.intents and intent not in self.intents:
            return False
        return not self.codes or not self.codes.isdisjoint(codes)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    applies: Selector
    source: str
    confidence: str
    effective_from: date = BEGINNING
    effective_to: date = FOREVER  # last day in force
    note: str = ""

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day <= self.effective_to

    @property
    def cited_source(self) -> str:
        """The source a finding names: the document, or `practice-reported`."""
        if self.confidence == "practice-reported":
            return "practice-reported" + (f" ({self.source})" if self.source else "")
        return f"{self.source} [{self.confidence}]"


@dataclass(frozen=True, slots=True)
class Window:
    kind: str  # rolling_months | calendar_year
    months: int | None = None

    def as_json(self) -> dict[str, object]:
        if self.kind == "rolling_months":
            return {"kind": "rolling_months", "months": self.months}
        return {"kind": "calendar_year"}

    def describe(self) -> str:
        if self.kind == "rolling_months":
            return f"rolling {self.months} months"
        return "calendar year"


@dataclass(frozen=True, slots=True)
class FrequencyLimit(Rule):
    """At most `limit` sessions of the group per region within the window."""

    window: Window = Window("rolling_months", 12)
    limit: int = 0


@dataclass(frozen=True, slots=True)
class MinimumInterval(Rule):
    """At least `days` days, or `months` calendar months, to the nearest session of the group."""

    days: int | None = None
    months: int | None = None


@dataclass(frozen=True, slots=True)
class LevelsLimit(Rule):
    max_levels: int = 0


@dataclass(frozen=True, slots=True)
class NotCovered(Rule):
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PriorAuthorization(Rule):
    """Authorization required for the selected procedures at these places of service (empty: all),
    under a program, in these states (empty: wherever the session is performed).

    With `trial_carries`, a permanent implant needs no request of its own when an earlier trial
    of the same codes was (or is booked) at one of these places: the trial's number carries.
    """

    places_of_service: frozenset[str] = frozenset()
    program: str = ""
    states: frozenset[str] = frozenset()
    trial_carries: bool = False


@dataclass(frozen=True, slots=True)
class StepTherapy(Rule):
    """Conservative care before the procedure: days of care and the kinds it must include.

    `require_kinds` is a list of alternatives sets: every set must be met by at least one kind.
    With `first_in_region`, the rule applies only when no session of the group was performed in
    the region in the `lookback_months` before.
    """

    min_days: int = 0
    require_kinds: tuple[frozenset[str], ...] = ()
    first_in_region: bool = False
    lookback_months: int = 12


@dataclass(frozen=True, slots=True)
class RepeatResponse(Rule):
    """A repeat needs the most recent prior session of the group to have worked well enough.

    A session is a repeat when a session of the group was performed in the region within
    `lookback_months` before (or ever, when None). `failed_first_retry_days`, when set, allows one
    retry after a single failed prior session with the other approach at least that many days later.
    """

    min_relief_percent: float = 0
    min_duration_days: int | None = None
    lookback_months: int | None = None
    failed_first_retry_days: int | None = None


@dataclass(frozen=True, slots=True)
class Prerequisite(Rule):
    """Earlier performed sessions that must exist first, e.g. two diagnostic blocks before RFA."""

    requires: Selector = field(default_factory=lambda: Selector("", frozenset()))
    count: int = 1
    min_relief_percent: float = 0
    # a session also qualifies with at least this fall in medication use (None: relief only)
    or_medication_reduction_percent: float | None = None
    same_region: bool = True
    first_in_region: bool = False
    description: str = ""
    # what the authorization package must also say (see PACKAGE_DOCUMENTS), not a check finding
    package_documents: tuple[str, ...] = ()


# documentation items a rule can ask of the authorization package -> what it must say
PACKAGE_DOCUMENTS: dict[str, str] = {
    "rfa_not_an_option": "why radiofrequency ablation is not an option for this patient",
}


@dataclass(frozen=True, slots=True)
class PsychClearance(Rule):
    """A `cleared` psychological evaluation on file; within `within_months` when set."""

    within_months: int | None = None


@dataclass(frozen=True, slots=True)
class WasteModifiers(Rule):
    """A drug from a single-dose container carries JZ (nothing discarded) or a JW line for the
    amount discarded (Medicare Part B from 2023-07-01)."""


RULE_TYPES: dict[str, type[Rule]] = {
    "frequency": FrequencyLimit,
    "interval": MinimumInterval,
    "levels": LevelsLimit,
    "not_covered": NotCovered,
    "prior_auth": PriorAuthorization,
    "step_therapy": StepTherapy,
    "repeat_response": RepeatResponse,
    "prerequisite": Prerequisite,
    "psych_clearance": PsychClearance,
    "waste_modifiers": WasteModifiers,
}


@dataclass(frozen=True, slots=True)
class DecisionClock:
    """How long the payer has to decide (CMS-0057-F: 72 hours expedited, 7 days standard)."""

    standard_days: int = 7
    expedited_hours: int = 72

    def as_clock(self) -> Clock:
        return Clock(standard=Span(self.standard_days, "calendar_days"),
                     expedited=Span(self.expedited_hours, "hours"), source="the payer file")


@dataclass(frozen=True)
class Policy:
    payer: str
    name: str
    rules: tuple[Rule, ...]
    files: tuple[str, ...] = ()
    decision_clock: DecisionClock = DecisionClock()
    programs: dict[str, Program] = field(default_factory=dict, compare=False)
    plan_type: str | None = None  # the plan type the file's rules are for; None: any
    exemptions: tuple[Exemption, ...] = ()  # held by the practice, listed in its policy files
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def rules_for(self, selectors_match: Any, key: Any) -> Any:
        """The rules `selectors_match(rule)` keeps, memoized under `key`."""
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = tuple(r for r in self.rules if selectors_match(r))
        return found

    def in_force(self, day: date) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.in_force(day))

    def of_type(self, kind: type[Rule], day: date) -> list[Rule]:
        return [r for r in self.rules if type(r) is kind and r.in_force(day)]

    def program_of(self, rule: Rule) -> Program | None:
        return self.programs.get(rule.program) if isinstance(rule, PriorAuthorization) else None
