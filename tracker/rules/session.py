"""What the engine is asked about: sessions, the care before them, and one scheduled session.

Plain frozen dataclasses: the CLI builds them from JSON, the store builds them from rows, the
benchmark builds them directly. Nothing here knows about payers or rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, NamedTuple

Intent = Literal["diagnostic", "therapeutic", "trial", "permanent"]
CareKind = Literal[
    "physical_therapy", "home_exercise", "medication", "chiropractic",
    "activity_modification", "other",
]
CARE_KINDS: tuple[str, ...] = (
    "physical_therapy", "home_exercise", "medication", "chiropractic",
    "activity_modification", "other",
)
INTENTS: tuple[str, ...] = ("diagnostic", "therapeutic", "trial", "permanent")
PSYCH_RESULTS: tuple[str, ...] = ("cleared", "not_cleared")
CONTAINERS: tuple[str, ...] = ("single_dose", "multi_dose")


class CodeLine(NamedTuple):
    """One billed line: a CPT/HCPCS code with its units and modifiers (e.g. 50 = bilateral).

    A drug line (a HCPCS J-code) may also say what was given: `dose_mg` administered,
    `wasted_mg` discarded (billed on its own line of the same code with modifier JW), the
    `container` it came from (`single_dose` or `multi_dose`) and its 11-digit `ndc`.
    A named tuple rather than a dataclass: the engine hashes code lines constantly.
    """

    code: str
    units: int = 1
    modifiers: tuple[str, ...] = ()
    dose_mg: float | None = None
    wasted_mg: float | None = None
    container: str | None = None
    ndc: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the patient responded to a performed session."""

    relief_percent: float | None = None
    duration_days: int | None = None
    # the fall in analgesic use, which Medicare's contractors accept instead of pain relief for a
    # stimulator trial
    medication_reduction_percent: float | None = None


@dataclass(frozen=True, slots=True)
class Session:
    """Everything done (or booked) for one patient on one date of service."""

    date: date
    codes: tuple[CodeLine, ...]
    place_of_service: str = "11"
    intent: Intent | None = None
    muscles: int | None = None
    outcome: Outcome | None = None
    provider_npi: str | None = None  # the rendering provider


@dataclass(frozen=True, slots=True)
class ConservativeCare:
    kind: CareKind
    start: date
    end: date


@dataclass(frozen=True, slots=True)
class PsychEvaluation:
    date: date
    result: Literal["cleared", "not_cleared"]


@dataclass(frozen=True, slots=True)
class Exemption:
    """A prior-authorization exemption the practice holds ("gold card") for a program.

    Empty `codes` and `families`: every service of the program. No `provider_npi`: the whole
    practice. `start` and `end` are both in force.
    """

    program: str
    start: date
    end: date
    codes: frozenset[str] = frozenset()
    families: frozenset[str] = frozenset()
    provider_npi: str | None = None
    reference: str = ""

    def covers(self, program: str, day: date, provider_npi: str | None,
               codes: frozenset[str], families: frozenset[str]) -> bool:
        if self.program.lower() != program.lower() or not self.start <= day <= self.end:
            return False
        if self.provider_npi is not None and self.provider_npi != provider_npi:
            return False
        if not self.codes and not self.families:
            return True
        return not self.codes.isdisjoint(codes) or not self.families.isdisjoint(families)


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """A self-contained eligibility question: the `painauth check` input, parsed."""

    as_of: date
    payer: str
    scheduled: Session
    patient_id: str | None = None
    history: tuple[Session, ...] = ()
    other_scheduled: tuple[Session, ...] = ()
    conservative_care: tuple[ConservativeCare, ...] = ()
    psych_evaluations: tuple[PsychEvaluation, ...] = field(default=())
    service_state: str | None = None  # USPS code of the state where the session is performed
    exemptions: tuple[Exemption, ...] = ()
