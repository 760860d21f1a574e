"""UnitedHealthcare's shipped rules (policies.md § unitedhealthcare), one behaviour per test."""

import pytest
from check_requests import care, check, codes, counter, finding, session

P = "2026-12-10"
PT_AND_MEDICATION = [care("physical_therapy", "2026-08-01", "2026-08-28"),
                     care("medication", "2026-08-01", "2026-08-28")]
INJECTIONS = [("64483", None), ("62321", None), ("64493", "diagnostic"), ("64635", None),
              ("27096", None)]


@pytest.mark.parametrize(("code", "intent"), INJECTIONS)
def test_injection_after_28_days_of_pt_and_medication_needs_only_auth_for_uhc(code, intent):
    blocks = [session(d, "64493", intent="diagnostic", relief=90) for d in ("2026-05-04",)]
    result = check("unitedhealthcare", session(P, code, intent=intent), history=blocks,
                   conservative_care=PT_AND_MEDICATION)
    assert "STEP_THERAPY_INSUFFICIENT" not in codes(result)
    assert finding(result, "PRIOR_AUTH_REQUIRED") == ["uhc-prior-auth"]


@pytest.mark.parametrize(("code", "intent"), INJECTIONS)
def test_injection_after_pt_without_medication_needs_documentation_for_uhc(code, intent):
    result = check("unitedhealthcare", session(P, code, intent=intent),
                   conservative_care=[care("physical_therapy", "2026-08-01", "2026-09-30")])
    assert finding(result, "STEP_THERAPY_INSUFFICIENT") == ["uhc-injection-conservative-care"]
    assert result.verdict == "needs_documentation"


def test_esi_after_medication_without_pt_or_home_exercise_needs_documentation_for_uhc():
    result = check("unitedhealthcare", session(P, "64483"),
                   conservative_care=[care("medication", "2026-08-01", "2026-09-30"),
                                      care("chiropractic", "2026-08-01", "2026-09-30")])
    assert "STEP_THERAPY_INSUFFICIENT" in codes(result)


def test_home_exercise_stands_in_for_physical_therapy_for_uhc():
    result = check("unitedhealthcare", session(P, "64483"),
                   conservative_care=[care("home_exercise", "2026-08-01", "2026-08-28"),
                                      care("medication", "2026-08-10", "2026-08-20")])
    assert "STEP_THERAPY_INSUFFICIENT" not in codes(result)
    assert result.verdict == "needs_auth"


def test_esi_with_both_kinds_over_only_27_days_needs_documentation_for_uhc():
    result = check("unitedhealthcare", session(P, "64483"),
                   conservative_care=[care("physical_therapy", "2026-08-01", "2026-08-27"),
                                      care("medication", "2026-08-01", "2026-08-27")])
    assert "STEP_THERAPY_INSUFFICIENT" in codes(result)


def test_scs_trial_needs_no_conservative_care_for_uhc():
    result = check("unitedhealthcare", session(P, "63650", intent="trial"))
    assert result.verdict == "needs_auth"


@pytest.mark.parametrize("intent", ["therapeutic", None])
def test_therapeutic_facet_injection_is_not_covered_by_uhc(intent):
    result = check("unitedhealthcare", session(P, "64493", intent=intent),
                   conservative_care=PT_AND_MEDICATION)
    assert finding(result, "NOT_COVERED") == ["uhc-facet-therapeutic"]
    assert result.verdict == "blocked"


def test_second_diagnostic_facet_block_in_a_year_takes_the_last_uhc_slot():
    result = check("unitedhealthcare", session(P, "64493", intent="diagnostic"),
                   conservative_care=PT_AND_MEDICATION,
                   history=[session("2026-09-07", "64493", intent="diagnostic", relief=90)])
    assert finding(result, "FREQUENCY_LIMIT_APPROACHING") == ["uhc-facet-diagnostic-frequency"]


def test_third_diagnostic_facet_block_in_a_year_is_blocked_for_uhc():
    history = [session(d, "64493", intent="diagnostic", relief=90)
               for d in ("2026-03-02", "2026-09-07")]
    result = check("unitedhealthcare", session(P, "64493", intent="diagnostic"),
                   conservative_care=PT_AND_MEDICATION, history=history)
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["uhc-facet-diagnostic-frequency"]
    c = counter(result, "uhc-facet-diagnostic-frequency")
    assert (c.used, c.limit) == (2, 2)


def test_cervical_diagnostic_blocks_do_not_count_against_the_lumbar_uhc_limit():
    history = [session(d, "64490", intent="diagnostic", relief=90)
               for d in ("2026-03-02", "2026-09-07")]
    result = check("unitedhealthcare", session(P, "64493", intent="diagnostic"),
                   conservative_care=PT_AND_MEDICATION, history=history)
    assert counter(result, "uhc-facet-diagnostic-frequency").used == 0


def test_sacroiliac_rfa_is_not_covered_by_uhc():
    result = check("unitedhealthcare", session(P, "64625"))
    assert finding(result, "NOT_COVERED") == ["uhc-si-rfa"]
    assert result.verdict == "blocked"


@pytest.mark.parametrize("place", ["11", "19", "22", "24"])
def test_uhc_requires_prior_auth_for_an_esi_at_every_place_of_service(place):
    result = check("unitedhealthcare", session(P, "64483", place=place),
                   conservative_care=PT_AND_MEDICATION)
    assert result.verdict == "needs_auth"
