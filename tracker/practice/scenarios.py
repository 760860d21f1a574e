"""The deliberate patients of a synthetic practice: one per finding code of the check contract.

Each scenario is a patient whose history, care and evaluations are arranged so that its one
scheduled session raises the named finding under the named payer (see `shared/spec/check.md` and
`shared/domain/policies.md`). Everything is dated relative to the scheduled date `day`, so the
scenarios hold whatever `as_of` the practice is seeded for. The patients are obviously synthetic:
family name "Scenario", given name the finding they demonstrate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

CodeSpec = tuple[str, int, tuple[str, ...]]  # code, units, modifiers
# The practice's two locations: the main clinic (New Mexico, outside Medicare's WISeR states) and
# the Texas location, where Medicare ESIs need WISeR authorization from 2026-01-15.
MAIN_STATE = "NM"
TEXAS = "TX"
# The exemption the Texas location's first provider holds (WISeR, every ESI).
EXEMPT_PROVIDER_INDEX = 0


@dataclass
class PlannedSession:
    date: date
    status: str
    codes: tuple[CodeSpec, ...]
    place_of_service: str = "11"
    intent: str | None = None
    muscles: int | None = None
    relief_percent: float | None = None
    duration_days: int | None = None
    service_state: str | None = MAIN_STATE  # None: the location was not recorded
    # a decided authorization on file for it: (payer, program, status, decided on)
    authorization: tuple[str, str, str, dt.date] | None = None
    # what was given of a drug line, by code: dose_mg, wasted_mg, container, ndc
    drugs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # what the procedure note documents of a performed session (charge capture)
    guidance: str | None = None
    drugs_given: list[dict[str, Any]] | None = None


@dataclass
class PlannedCoverage:
    payer: str
    start: date
    end: date | None = None
    rank: str = "primary"
    plan_type: str | None = None


@dataclass
class PlannedPatient:
    """One synthetic patient, before it gets ids in the store."""

    given_name: str
    payer: str
    sessions: list[PlannedSession] = field(default_factory=list)
    care: list[tuple[str, date, date]] = field(default_factory=list)  # kind, start, end
    psych: list[tuple[date, str]] = field(default_factory=list)  # date, result
    coverages: list[PlannedCoverage] = field(default_factory=list)
    family_name: str = "Scenario"
    provider_index: int | None = None  # which of the practice's providers; None: by patient id


def line(code: str, units: int = 1, *modifiers: str) -> CodeSpec:
    return (code, units, tuple(modifiers))


def _days(day: date, n: int) -> date:
    return day - timedelta(days=n)


def enough_care(day: date, days: int = 300) -> list[tuple[str, date, date]]:
    """Physical therapy and medication ending a month before `day`, `days` distinct days in all."""
    return [("physical_therapy", _days(day, days + 30), _days(day, 150)),
            ("medication", _days(day, 300), _days(day, 30))]


def _performed(day: date, codes: tuple[CodeSpec, ...], *, intent: str | None = None,
               relief: float | None = 75, duration: int | None = 120,
               muscles: int | None = None) -> PlannedSession:
    return PlannedSession(date=day, status="performed", codes=codes, intent=intent,
                          relief_percent=relief, duration_days=duration, muscles=muscles)


def _booked(day: date, codes: tuple[CodeSpec, ...], *, intent: str | None = None,
            place: str = "11", muscles: int | None = None,
            state: str | None = MAIN_STATE) -> PlannedSession:
    return PlannedSession(date=day, status="scheduled", codes=codes, intent=intent,
                          place_of_service=place, muscles=muscles, service_state=state)


TFESI_L = (line("64483"), line("J1010", 40))
ILESI_L = (line("62323"), line("J1010", 40))


def frequency_limit_reached(day: date) -> PlannedPatient:
    """Medicare: four lumbar ESIs in the rolling 12 months, all with good relief: the fifth is over."""
    p = PlannedPatient("FrequencyLimitReached", "medicare", care=enough_care(day))
    p.sessions = [_performed(_days(day, n), TFESI_L) for n in (330, 240, 150, 60)]
    p.sessions.append(_booked(day, TFESI_L))
    return p


def frequency_limit_approaching(day: date) -> PlannedPatient:
    """Aetna: two interlaminar ESIs in 12 months; the third takes the last slot."""
    p = PlannedPatient("FrequencyLimitApproaching", "aetna", care=enough_care(day))
    p.sessions = [_performed(_days(day, n), ILESI_L) for n in (200, 100)]
    p.sessions.append(_booked(day, ILESI_L))
    return p


def interval_too_short(as_of: date) -> PlannedPatient:
    """Aetna: trigger points five days after the last ones; seven are required."""
    p = PlannedPatient("IntervalTooShort", "aetna", care=enough_care(as_of))
    p.sessions = [_performed(_days(as_of, 2), (line("20552"),), muscles=2),
                  _booked(as_of + timedelta(days=3), (line("20552"),), muscles=2)]
    return p


def levels_exceeded(day: date) -> PlannedPatient:
    """Medicare: a three-level transforaminal ESI; two are allowed."""
    p = PlannedPatient("LevelsExceeded", "medicare", care=enough_care(day))
    p.sessions = [_booked(day, (line("64483"), line("64484", 2)))]
    return p


def not_covered(day: date) -> PlannedPatient:
    """Medicare: sacroiliac radiofrequency ablation (64625) is not covered."""
    p = PlannedPatient("NotCovered", "medicare", care=enough_care(day))
    p.sessions = [_booked(day, (line("64625"),))]
    return p


def prerequisite_not_met(day: date) -> PlannedPatient:
    """Medicare: a first lumbar RFA after only one diagnostic block with ≥ 80 % relief."""
    p = PlannedPatient("PrerequisiteNotMet", "medicare", care=enough_care(day))
    blocks = (line("64493"), line("64494"))
    p.sessions = [_performed(_days(day, 60), blocks, intent="diagnostic", relief=85, duration=1),
                  _performed(_days(day, 40), blocks, intent="diagnostic", relief=60, duration=1),
                  _booked(day, (line("64635"), line("64636")))]
    return p


def prior_response_insufficient(day: date) -> PlannedPatient:
    """Medicare: the last lumbar ESI gave 30 % relief; a repeat needs ≥ 50 % for 90 days."""
    p = PlannedPatient("PriorResponseInsufficient", "medicare", care=enough_care(day))
    p.sessions = [_performed(_days(day, 200), TFESI_L, relief=60, duration=100),
                  _performed(_days(day, 120), TFESI_L, relief=30, duration=20),
                  _booked(day, TFESI_L)]
    return p


def prior_response_missing(day: date) -> PlannedPatient:
    """Medicare: a repeat lumbar ESI while the previous one's outcome was never recorded."""
    p = PlannedPatient("PriorResponseMissing", "medicare", care=enough_care(day))
    p.sessions = [_performed(_days(day, 90), ILESI_L, relief=None, duration=None),
                  _booked(day, ILESI_L)]
    return p


def step_therapy_insufficient(day: date) -> PlannedPatient:
    """UnitedHealthcare: physical therapy on file but no medication trial."""
    p = PlannedPatient("StepTherapyInsufficient", "unitedhealthcare",
                       care=[("physical_therapy", _days(day, 200), _days(day, 100))])
    p.sessions = [_booked(day, TFESI_L)]
    return p


def psych_clearance_missing(day: date) -> PlannedPatient:
    """Medicare: a stimulator trial in a hospital outpatient department, no psych evaluation."""
    p = PlannedPatient("PsychClearanceMissing", "medicare", care=enough_care(day))
    p.sessions = [_booked(day, (line("63650"),), intent="trial", place="22")]
    return p


def psych_clearance_expired(day: date) -> PlannedPatient:
    """Cigna: the clearance is 15 months old; eviCore wants one within 12 months."""
    p = PlannedPatient("PsychClearanceExpired", "cigna", care=enough_care(day),
                       psych=[(_days(day, 450), "cleared")])
    p.sessions = [_booked(day, (line("63650"),), intent="trial")]
    return p


def psych_not_cleared(day: date) -> PlannedPatient:
    """Aetna: the latest psychological evaluation did not clear the patient."""
    p = PlannedPatient("PsychNotCleared", "aetna", care=enough_care(day),
                       psych=[(_days(day, 300), "cleared"), (_days(day, 30), "not_cleared")])
    p.sessions = [_booked(day, (line("63650"),), intent="trial")]
    return p


def prior_auth_required(day: date) -> PlannedPatient:
    """Medicare: a diagnostic facet block in a hospital outpatient department."""
    p = PlannedPatient("PriorAuthRequired", "medicare", care=enough_care(day))
    p.sessions = [_booked(day, (line("64493"),), intent="diagnostic", place="22")]
    return p


def imaging_guidance_bundled(day: date) -> PlannedPatient:
    """Cigna: fluoroscopy billed with a transforaminal ESI that already includes it."""
    p = PlannedPatient("ImagingGuidanceBundled", "cigna", care=enough_care(day))
    p.sessions = [_booked(day, (line("64483"), line("77003")))]
    return p


def addon_without_primary(day: date) -> PlannedPatient:
    """Aetna: the add-on level 64484 booked without its primary 64483."""
    p = PlannedPatient("AddonWithoutPrimary", "aetna", care=enough_care(day))
    p.sessions = [_booked(day, (line("64484"),))]
    return p


def trigger_point_code_mismatch(day: date) -> PlannedPatient:
    """UnitedHealthcare: 20552 (1-2 muscles) booked for four muscles."""
    p = PlannedPatient("TriggerPointCodeMismatch", "unitedhealthcare", care=enough_care(day))
    p.sessions = [_booked(day, (line("20552"),), muscles=4)]
    return p


def bilateral_not_allowed(day: date) -> PlannedPatient:
    """Medicare: an interlaminar ESI with modifier 50."""
    p = PlannedPatient("BilateralNotAllowed", "medicare", care=enough_care(day))
    p.sessions = [_booked(day, (line("62323", 1, "50"),))]
    return p


def deleted_code(day: date) -> PlannedPatient:
    """Cigna: J1030, deleted on 2024-04-01, on the drug line."""
    p = PlannedPatient("DeletedCode", "cigna", care=enough_care(day))
    p.sessions = [_booked(day, (line("62323"), line("J1030")))]
    return p


def unknown_code(day: date) -> PlannedPatient:
    """Aetna: a mistyped code, 6448 (a digit dropped)."""
    p = PlannedPatient("UnknownCode", "aetna", care=enough_care(day))
    p.sessions = [_booked(day, (line("64483"), line("6448")))]
    return p


def service_state_unknown(day: date) -> PlannedPatient:
    """Medicare: an office TFESI whose location was not recorded; WISeR may apply."""
    p = PlannedPatient("ServiceStateUnknown", "medicare", care=enough_care(day))
    p.sessions = [_booked(day, TFESI_L, state=None)]
    return p


def prior_auth_exempt(day: date) -> PlannedPatient:
    """Medicare: an office TFESI at the Texas location by the provider holding a WISeR exemption."""
    p = PlannedPatient("PriorAuthExempt", "medicare", care=enough_care(day),
                       provider_index=EXEMPT_PROVIDER_INDEX)
    p.sessions = [_booked(day, TFESI_L, state=TEXAS)]
    return p


def wiser_authorization(day: date) -> PlannedPatient:
    """Medicare: an office TFESI at the Texas location: WISeR asks for authorization."""
    p = PlannedPatient("WiserAuthorization", "medicare", care=enough_care(day),
                       provider_index=EXEMPT_PROVIDER_INDEX + 1)
    p.sessions = [_booked(day, TFESI_L, state=TEXAS)]
    return p


def opd_decision_history(as_of: date) -> list[PlannedPatient]:
    """Past OPD facet requests of the exempt provider in this year's review period (1 January to
    30 September): 11 of 12 affirmed, 92 %, so the board shows the provider qualifying."""
    low = date(as_of.year, 1, 1)
    high = min(date(as_of.year, 9, 30), as_of - timedelta(days=1))
    span = max(0, (high - low).days - 5)
    patients = []
    for n in range(12):  # each decided 3 days before its session, inside the period
        day = low + timedelta(days=5 + span * n // 12)
        status = "denied" if n == 5 else "approved"
        p = PlannedPatient("OpdDecision", "medicare", provider_index=EXEMPT_PROVIDER_INDEX,
                           family_name=f"History{n + 1:02d}")
        p.sessions = [PlannedSession(
            date=day, status="performed", codes=(line("64493"),), place_of_service="22",
            intent="diagnostic", relief_percent=85, duration_days=1,
            authorization=("medicare", "medicare-opd", status, day - timedelta(days=3)))]
        patients.append(p)
    return patients


def drug_units_mismatch(day: date) -> PlannedPatient:
    """Aetna: 40 mg of triamcinolone billed as 40 units of J3301, whose unit is 10 mg (4 units)."""
    p = PlannedPatient("DrugUnitsMismatch", "aetna", care=enough_care(day))
    booked = _booked(day, (line("64483"), line("J3301", 40)))
    booked.drugs = {"J3301": {"dose_mg": 40.0, "ndc": "00003029320"}}
    p.sessions = [booked]
    return p


def drug_modifier_missing(day: date) -> PlannedPatient:
    """Medicare: methylprednisolone from a single-dose vial, nothing discarded, and no JZ."""
    p = PlannedPatient("DrugModifierMissing", "medicare", care=enough_care(day))
    booked = _booked(day, (line("64483"), line("J1010", 40)))
    booked.drugs = {"J1010": {"dose_mg": 40.0, "container": "single_dose"}}
    p.sessions = [booked]
    return p


def drug_modifier_conflict(day: date) -> PlannedPatient:
    """Cigna: JZ on dexamethasone drawn from a multi-dose vial."""
    p = PlannedPatient("DrugModifierConflict", "cigna", care=enough_care(day))
    booked = _booked(day, (line("64483"), line("J1100", 10, "JZ")))
    booked.drugs = {"J1100": {"dose_mg": 10.0, "container": "multi_dose"}}
    p.sessions = [booked]
    return p


def coverage_lapsed(day: date) -> PlannedPatient:
    """No coverage in force on the visit date: reported by the pre-visit check, not evaluated."""
    p = PlannedPatient("CoverageLapsed", "aetna", care=enough_care(day))
    p.coverages = [PlannedCoverage("aetna", _days(day, 900), _days(day, 40))]
    p.sessions = [_booked(day, ILESI_L)]
    return p


# finding code -> the scenario that raises it (the interval one is dated from as_of, the rest
# from their scheduled day)
SCENARIOS: dict[str, Callable[[date], PlannedPatient]] = {
    "FREQUENCY_LIMIT_REACHED": frequency_limit_reached,
    "FREQUENCY_LIMIT_APPROACHING": frequency_limit_approaching,
    "INTERVAL_TOO_SHORT": interval_too_short,
    "LEVELS_EXCEEDED": levels_exceeded,
    "NOT_COVERED": not_covered,
    "PREREQUISITE_NOT_MET": prerequisite_not_met,
    "PRIOR_RESPONSE_INSUFFICIENT": prior_response_insufficient,
    "PRIOR_RESPONSE_MISSING": prior_response_missing,
    "STEP_THERAPY_INSUFFICIENT": step_therapy_insufficient,
    "PSYCH_CLEARANCE_MISSING": psych_clearance_missing,
    "PSYCH_CLEARANCE_EXPIRED": psych_clearance_expired,
    "PSYCH_NOT_CLEARED": psych_not_cleared,
    "PRIOR_AUTH_REQUIRED": prior_auth_required,
    "IMAGING_GUIDANCE_BUNDLED": imaging_guidance_bundled,
    "ADDON_WITHOUT_PRIMARY": addon_without_primary,
    "TRIGGER_POINT_CODE_MISMATCH": trigger_point_code_mismatch,
    "BILATERAL_NOT_ALLOWED": bilateral_not_allowed,
    "DELETED_CODE": deleted_code,
    "UNKNOWN_CODE": unknown_code,
    "SERVICE_STATE_UNKNOWN": service_state_unknown,
    "PRIOR_AUTH_EXEMPT": prior_auth_exempt,
    "DRUG_UNITS_MISMATCH": drug_units_mismatch,
    "DRUG_MODIFIER_MISSING": drug_modifier_missing,
    "DRUG_MODIFIER_CONFLICT": drug_modifier_conflict,
}
DATED_FROM_AS_OF = frozenset({"INTERVAL_TOO_SHORT"})


def scenario_patients(as_of: date, copies: int = 1) -> list[PlannedPatient]:
    """`copies` of every scenario, their visits spread over the first three weeks, one patient
    whose coverage lapsed, a WISeR visit at the Texas location and the exempt provider's
    decision history."""
    patients = []
    for copy in range(copies):
        for index, (code, build) in enumerate(SCENARIOS.items()):
            day = as_of if code in DATED_FROM_AS_OF else (
                as_of + timedelta(days=1 + (copy * 7 + index) % 20))
            patients.append(build(day))
        patients.append(coverage_lapsed(as_of + timedelta(days=5 + copy % 10)))
        patients.append(wiser_authorization(as_of + timedelta(days=2 + copy % 10)))
    return patients + opd_decision_history(as_of)


def held_exemptions(as_of: date) -> list[dict[str, object]]:
    """The exemption letter the practice holds: WISeR, every ESI, for the exempt provider."""
    return [{"payer": "medicare", "program": "medicare-wiser", "service_group": "esi",
             "starts": date(as_of.year, 1, 1), "ends": date(as_of.year, 12, 31),
             "reference": f"WISeR-GC-{as_of.year}-001"}]
