"""The synthetic practice's money: its fee schedule, and the patients whose performed sessions
last month documented more than they billed — one for each kind of charge to capture
(docs/money.md). Patients are obviously synthetic: family name "Scenario"."""

from __future__ import annotations

from datetime import date, timedelta

from tracker.practice.scenarios import PlannedPatient, PlannedSession, enough_care, line

# The seed's average reimbursements, for every payer (`*`), in cents. Every other code reads
# "no fee on file".
FEE_SCHEDULE: dict[str, int] = {
    "64483": 28500, "64490": 24500, "20552": 6200, "20553": 7800, "77003": 7200,
    "64625": 48000, "62322": 21500, "63650": 185000,
}
FEES_FROM = date(2020, 1, 1)


def last_month(as_of: date, day: int = 10) -> date:
    """A day of the calendar month before `as_of`'s."""
    return (as_of.replace(day=1) - timedelta(days=1)).replace(day=day)


def _done(day: date, codes: tuple[tuple[str, int, tuple[str, ...]], ...], *,
          guidance: str | None = None, drugs_given: list[dict[str, object]] | None = None,
          muscles: int | None = None, intent: str | None = None) -> PlannedSession:
    return PlannedSession(date=day, status="performed", codes=codes, intent=intent,
                          relief_percent=70, duration_days=90, muscles=muscles,
                          guidance=guidance, drugs_given=drugs_given)


def guidance_not_billed(day: date) -> PlannedPatient:
    """Cigna: a stimulator trial under fluoroscopy, no 77003 line ($72)."""
    p = PlannedPatient("GuidanceNotBilled", "cigna", care=enough_care(day))
    p.sessions = [_done(day, (line("63650"),), guidance="fluoroscopy", intent="trial")]
    return p


def trigger_point_guidance(day: date) -> PlannedPatient:
    """Aetna: trigger points under ultrasound, no 76942 line (no fee on file)."""
    p = PlannedPatient("UltrasoundNotBilled", "aetna", care=enough_care(day))
    p.sessions = [_done(day + timedelta(days=1), (line("20552"),), guidance="ultrasound",
                        muscles=2)]
    return p


def trigger_point_muscles(day: date) -> PlannedPatient:
    """Aetna: four muscles injected, billed as 20552 (1-2 muscles): 20553 is $16 more."""
    p = PlannedPatient("TriggerPointUndercoded", "aetna", care=enough_care(day))
    p.sessions = [_done(day + timedelta(days=2), (line("20552"),), muscles=4)]
    return p


def drug_not_billed(day: date) -> PlannedPatient:
    """UnitedHealthcare: 80 mg methylprednisolone given, no J1010 line (no fee on file)."""
    p = PlannedPatient("DrugNotBilled", "unitedhealthcare", care=enough_care(day))
    p.sessions = [_done(day + timedelta(days=3), (line("64483"),), guidance="fluoroscopy",
                        drugs_given=[{"code": "J1010", "dose_mg": 80.0, "wasted_mg": 0.0}])]
    return p


def waste_not_billed(day: date) -> PlannedPatient:
    """Medicare: 40 mg of an 80 mg single-dose vial discarded, no J1010-JW line."""
    p = PlannedPatient("WasteNotBilled", "medicare", care=enough_care(day))
    done = _done(day + timedelta(days=4), (line("64483"), line("J1010", 40)),
                 guidance="fluoroscopy",
                 drugs_given=[{"code": "J1010", "dose_mg": 40.0, "wasted_mg": 40.0}])
    done.drugs = {"J1010": {"dose_mg": 40.0, "container": "single_dose"}}
    p.sessions = [done]
    return p


def capture_patients(as_of: date) -> list[PlannedPatient]:
    """One patient per kind of charge to capture, performed last month."""
    day = last_month(as_of)
    return [build(day) for build in (guidance_not_billed, trigger_point_guidance,
                                     trigger_point_muscles, drug_not_billed, waste_not_billed)]
