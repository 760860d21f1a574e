"""Medicare's shipped rules (policies.md § medicare), one behaviour per test."""

from datetime import date

import pytest
from check_requests import AMPLE_CARE, care, check, codes, counter, finding, good, psych, session

P = "2026-12-10"  # the scheduled date used throughout
THREE_LUMBAR_ESIS = [good("2026-01-10", "64483"), good("2026-04-10", "62323"),
                     good("2026-08-10", "64483")]
TWO_GOOD_LUMBAR_BLOCKS = [session("2026-03-02", "64493", intent="diagnostic", relief=90, lasted=1),
                          session("2026-04-06", "64493", intent="diagnostic", relief=85, lasted=1)]


# --- ESI frequency: 4 per region per rolling 12 months -------------------------------------------

def test_fourth_lumbar_esi_in_a_year_takes_the_last_medicare_slot():
    result = check("medicare", session(P, "64483"), history=THREE_LUMBAR_ESIS)
    assert finding(result, "FREQUENCY_LIMIT_APPROACHING") == ["medicare-esi-frequency"]
    c = counter(result, "medicare-esi-frequency")
    assert (c.family, c.region, c.used, c.limit) == ("esi", "lumbar_sacral", 3, 4)
    assert result.verdict == "ok"


def test_fifth_lumbar_esi_in_a_year_is_blocked_for_medicare():
    history = THREE_LUMBAR_ESIS + [good("2026-10-12", "64483")]
    result = check("medicare", session(P, "64483"), history=history)
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["medicare-esi-frequency"]
    assert counter(result, "medicare-esi-frequency").used == 4
    assert result.verdict == "blocked"
    # the oldest (2026-01-10) leaves the rolling window exactly 12 months later
    assert result.next_eligible_date == date(2027, 1, 10)


def test_cervical_esis_do_not_count_against_the_lumbar_medicare_limit():
    history = [good(d, "62321") for d in ("2026-01-10", "2026-04-10", "2026-07-10", "2026-10-10")]
    result = check("medicare", session(P, "64483"), history=history,
                   conservative_care=AMPLE_CARE)
    assert counter(result, "medicare-esi-frequency", "lumbar_sacral").used == 0
    assert "FREQUENCY_LIMIT_REACHED" not in codes(result)
    assert result.verdict == "ok"


def test_interlaminar_and_transforaminal_share_the_medicare_esi_counter():
    history = [good("2026-01-10", "62323"), good("2026-04-10", "62323"),
               good("2026-07-10", "64483"), good("2026-10-10", "64483")]
    result = check("medicare", session(P, "62323"), history=history)
    assert counter(result, "medicare-esi-frequency").used == 4
    assert "FREQUENCY_LIMIT_REACHED" in codes(result)


def test_an_esi_exactly_12_months_before_is_outside_the_medicare_window():
    history = [good("2025-12-10", "64483")] + THREE_LUMBAR_ESIS
    result = check("medicare", session(P, "64483"), history=history)
    assert counter(result, "medicare-esi-frequency").used == 3
    assert "FREQUENCY_LIMIT_REACHED" not in codes(result)


def test_an_esi_12_months_less_a_day_before_is_inside_the_medicare_window():
    history = [good("2025-12-11", "64483")] + THREE_LUMBAR_ESIS
    result = check("medicare", session(P, "64483"), history=history)
    assert counter(result, "medicare-esi-frequency").used == 4
    assert "FREQUENCY_LIMIT_REACHED" in codes(result)


# --- ESI levels -----------------------------------------------------------------------------------

def test_three_level_transforaminal_esi_exceeds_medicare_levels():
    result = check("medicare", session(P, "64483", "64484x2"), conservative_care=AMPLE_CARE)
    assert finding(result, "LEVELS_EXCEEDED") == ["medicare-tfesi-levels"]
    assert result.verdict == "blocked"


def test_two_level_transforaminal_esi_is_within_medicare_levels():
    result = check("medicare", session(P, "64483", "64484"), conservative_care=AMPLE_CARE)
    assert "LEVELS_EXCEEDED" not in codes(result)
    assert result.procedures[0]["levels"] == 2
    assert result.verdict == "ok"


def test_interlaminar_esi_is_one_level_whatever_its_units_for_medicare():
    result = check("medicare", session(P, "62323x3"), conservative_care=AMPLE_CARE)
    assert result.procedures[0]["levels"] == 1
    assert "LEVELS_EXCEEDED" not in codes(result)


# --- ESI without imaging ----------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["62320", "62322"])
def test_epidural_without_imaging_is_not_covered_by_medicare(code):
    result = check("medicare", session(P, code), conservative_care=AMPLE_CARE)
    assert finding(result, "NOT_COVERED") == ["medicare-esi-without-imaging"]
    assert result.verdict == "blocked"


@pytest.mark.parametrize("code", ["62321", "62323"])
def test_epidural_with_imaging_is_covered_by_medicare(code):
    result = check("medicare", session(P, code), conservative_care=AMPLE_CARE)
    assert "NOT_COVERED" not in codes(result)


# --- ESI step therapy before the first in the region ----------------------------------------------

def test_first_lumbar_esi_with_27_days_of_care_needs_documentation_for_medicare():
    result = check("medicare", session(P, "64483"),
                   conservative_care=[care("physical_therapy", "2026-10-01", "2026-10-27")])
    assert finding(result, "STEP_THERAPY_INSUFFICIENT") == ["medicare-esi-first-conservative-care"]
    assert result.verdict == "needs_documentation"


def test_first_lumbar_esi_with_28_days_of_care_is_ok_for_medicare():
    result = check("medicare", session(P, "64483"),
                   conservative_care=[care("physical_therapy", "2026-10-01", "2026-10-28")])
    assert "STEP_THERAPY_INSUFFICIENT" not in codes(result)
    assert result.verdict == "ok"


def test_lumbar_esi_after_a_lumbar_esi_within_12_months_skips_medicare_step_therapy():
    result = check("medicare", session(P, "64483"), history=[good("2026-06-01", "64483")])
    assert "STEP_THERAPY_INSUFFICIENT" not in codes(result)
    assert result.verdict == "ok"


def test_lumbar_esi_after_only_a_cervical_esi_is_the_first_in_region_for_medicare():
    result = check("medicare", session(P, "64483"), history=[good("2026-06-01", "64479")])
    assert "STEP_THERAPY_INSUFFICIENT" in codes(result)


def test_lumbar_esi_12_months_after_the_last_is_the_first_again_for_medicare():
    result = check("medicare", session(P, "64483"),
                   history=[session("2025-12-10", "64483", relief=10, lasted=5)])
    assert "STEP_THERAPY_INSUFFICIENT" in codes(result)
    assert "PRIOR_RESPONSE_INSUFFICIENT" not in codes(result)


# --- ESI repeat response ------------------------------------------------------------------------------

def test_repeat_lumbar_esi_after_40_percent_relief_is_blocked_for_medicare():
    result = check("medicare", session(P, "64483"),
                   history=[session("2026-09-01", "64483", relief=40, lasted=120)])
    assert finding(result, "PRIOR_RESPONSE_INSUFFICIENT") == ["medicare-esi-repeat-response"]
    assert result.verdict == "blocked"


def test_repeat_lumbar_esi_after_relief_lasting_89_days_is_blocked_for_medicare():
    result = check("medicare", session(P, "64483"),
                   history=[session("2026-06-01", "64483", relief=70, lasted=89)])
    assert finding(result, "PRIOR_RESPONSE_INSUFFICIENT") == ["medicare-esi-repeat-response"]


def test_repeat_lumbar_esi_after_50_percent_for_90_days_is_allowed_for_medicare():
    result = check("medicare", session(P, "64483"),
                   history=[session("2026-06-01", "64483", relief=50, lasted=90)])
    assert not codes(result) & {"PRIOR_RESPONSE_INSUFFICIENT", "PRIOR_RESPONSE_MISSING"}
    assert result.verdict == "ok"


def test_repeat_lumbar_esi_without_a_recorded_outcome_needs_documentation_for_medicare():
    result = check("medicare", session(P, "64483"), history=[session("2026-06-01", "64483")])
    assert finding(result, "PRIOR_RESPONSE_MISSING") == ["medicare-esi-repeat-response"]
    assert "PRIOR_RESPONSE_INSUFFICIENT" not in codes(result)
    assert result.verdict == "needs_documentation"


def test_repeat_lumbar_esi_with_relief_but_no_duration_needs_documentation_for_medicare():
    result = check("medicare", session(P, "64483"),
                   history=[session("2026-06-01", "64483", relief=80)])
    assert finding(result, "PRIOR_RESPONSE_MISSING") == ["medicare-esi-repeat-response"]


def test_repeat_response_judges_the_most_recent_prior_esi_for_medicare():
    worked_last = check("medicare", session(P, "64483"),
                        history=[session("2026-03-01", "64483", relief=20, lasted=10),
                                 good("2026-06-01", "64483")])
    failed_last = check("medicare", session(P, "64483"),
                        history=[good("2026-03-01", "64483"),
                                 session("2026-06-01", "64483", relief=20, lasted=10)])
    assert "PRIOR_RESPONSE_INSUFFICIENT" not in codes(worked_last)
    assert "PRIOR_RESPONSE_INSUFFICIENT" in codes(failed_last)


def test_a_cervical_esi_does_not_make_a_lumbar_esi_a_medicare_repeat():
    result = check("medicare", session(P, "64483"), conservative_care=AMPLE_CARE,
                   history=[session("2026-09-01", "64479", relief=10, lasted=5)])
    assert not codes(result) & {"PRIOR_RESPONSE_INSUFFICIENT", "PRIOR_RESPONSE_MISSING"}


# --- Medicare's failed-first retry exception ------------------------------------------------------

@pytest.mark.parametrize(("failed", "retry"), [("62323", "64483"), ("64483", "62323")])
def test_one_retry_with_the_other_approach_14_days_after_a_failed_first_esi_is_allowed_for_medicare(
        failed, retry):
    result = check("medicare", session(P, retry),
                   history=[session("2026-11-26", failed, relief=30, lasted=20)])
    assert not codes(result) & {"PRIOR_RESPONSE_INSUFFICIENT", "PRIOR_RESPONSE_MISSING"}
    assert result.verdict == "ok"


def test_retry_13_days_after_a_failed_first_esi_is_blocked_for_medicare():
    result = check("medicare", session(P, "64483"),
                   history=[session("2026-11-27", "62323", relief=30, lasted=20)])
    assert "PRIOR_RESPONSE_INSUFFICIENT" in codes(result)


def test_retry_with_the_same_approach_after_a_failed_first_esi_is_blocked_for_medicare():
    result = check("medicare", session(P, "64483"),
                   history=[session("2026-11-01", "64483", relief=30, lasted=20)])
    assert "PRIOR_RESPONSE_INSUFFICIENT" in codes(result)


def test_no_retry_exception_when_two_esis_are_in_the_window_for_medicare():
    result = check("medicare", session(P, "64483"),
                   history=[good("2026-05-01", "62323"),
                            session("2026-11-01", "62323", relief=30, lasted=20)])
    assert "PRIOR_RESPONSE_INSUFFICIENT" in codes(result)


def test_retry_exception_does_not_excuse_relief_that_lasted_too_little_for_medicare():
    result = check("medicare", session(P, "64483"),
                   history=[session("2026-11-01", "62323", relief=60, lasted=30)])
    assert "PRIOR_RESPONSE_INSUFFICIENT" in codes(result)


# --- Facet injections ---------------------------------------------------------------------------------

def test_fifth_diagnostic_lumbar_facet_block_in_a_year_is_blocked_for_medicare():
    history = [session(d, "64493", intent="diagnostic", relief=90, lasted=1)
               for d in ("2026-02-02", "2026-05-04", "2026-08-03", "2026-11-02")]
    result = check("medicare", session(P, "64493", intent="diagnostic"), history=history)
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["medicare-facet-diagnostic-frequency"]
    c = counter(result, "medicare-facet-diagnostic-frequency")
    assert (c.used, c.limit, c.intent) == (4, 4, "diagnostic")


def test_therapeutic_facet_injections_do_not_count_against_the_medicare_diagnostic_limit():
    history = [good(d, "64493", intent="therapeutic")
               for d in ("2026-02-02", "2026-05-04", "2026-08-03", "2026-11-02")]
    result = check("medicare", session(P, "64493", intent="diagnostic"), history=history)
    assert counter(result, "medicare-facet-diagnostic-frequency").used == 0
    assert "FREQUENCY_LIMIT_REACHED" not in codes(result)


def test_fifth_therapeutic_lumbar_facet_injection_in_a_year_is_blocked_for_medicare():
    history = [good(d, "64493", intent="therapeutic")
               for d in ("2026-02-02", "2026-05-04", "2026-08-03", "2026-11-02")]
    result = check("medicare", session(P, "64493", intent="therapeutic"), history=history)
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["medicare-facet-therapeutic-frequency"]


def test_second_diagnostic_block_after_70_percent_relief_is_blocked_for_medicare():
    result = check("medicare", session(P, "64493", intent="diagnostic"),
                   history=[session("2026-11-02", "64493", intent="diagnostic", relief=70)])
    assert finding(result, "PRIOR_RESPONSE_INSUFFICIENT") == [
        "medicare-facet-second-diagnostic-block"]


def test_second_diagnostic_block_after_80_percent_relief_is_allowed_for_medicare():
    result = check("medicare", session(P, "64493", intent="diagnostic"),
                   history=[session("2026-11-02", "64493", intent="diagnostic", relief=80)])
    assert result.verdict == "ok"


def test_repeat_therapeutic_facet_after_relief_lasting_60_days_is_blocked_for_medicare():
    result = check("medicare", session(P, "64493", intent="therapeutic"),
                   history=[session("2026-08-03", "64493", intent="therapeutic", relief=80,
                                    lasted=60)])
    assert finding(result, "PRIOR_RESPONSE_INSUFFICIENT") == [
        "medicare-facet-therapeutic-repeat-response"]


def test_three_level_lumbar_facet_injection_is_blocked_for_medicare():
    result = check("medicare", session(P, "64493", "64494", "64495", intent="diagnostic"))
    assert finding(result, "LEVELS_EXCEEDED") == ["medicare-facet-levels"]
    assert finding(result, "NOT_COVERED") == ["medicare-facet-third-level"]
    assert result.verdict == "blocked"


def test_cervical_third_level_facet_addon_is_not_covered_by_medicare():
    result = check("medicare", session(P, "64490", "64491", "64492", intent="diagnostic"))
    assert finding(result, "NOT_COVERED") == ["medicare-facet-third-level"]


def test_two_level_bilateral_facet_injection_is_within_medicare_levels():
    result = check("medicare", session(P, "64493-50", "64494-50", intent="diagnostic"))
    assert result.procedures[0]["levels"] == 2
    assert result.verdict == "ok"


# --- Facet RFA -----------------------------------------------------------------------------------

def test_first_lumbar_rfa_after_two_80_percent_diagnostic_blocks_is_allowed_for_medicare():
    result = check("medicare", session(P, "64635", "64636"), history=TWO_GOOD_LUMBAR_BLOCKS)
    assert "PREREQUISITE_NOT_MET" not in codes(result)
    assert result.verdict == "ok"


def test_first_lumbar_rfa_after_one_diagnostic_block_is_blocked_for_medicare():
    result = check("medicare", session(P, "64635"), history=TWO_GOOD_LUMBAR_BLOCKS[:1])
    assert finding(result, "PREREQUISITE_NOT_MET") == ["medicare-facet-rfa-diagnostic-blocks"]
    assert result.verdict == "blocked"


def test_first_lumbar_rfa_after_a_block_with_79_percent_relief_is_blocked_for_medicare():
    history = [TWO_GOOD_LUMBAR_BLOCKS[0],
               session("2026-04-06", "64493", intent="diagnostic", relief=79)]
    result = check("medicare", session(P, "64635"), history=history)
    assert "PREREQUISITE_NOT_MET" in codes(result)


def test_cervical_diagnostic_blocks_do_not_qualify_a_lumbar_rfa_for_medicare():
    history = [session(d, "64490", intent="diagnostic", relief=90)
               for d in ("2026-03-02", "2026-04-06")]
    result = check("medicare", session(P, "64635"), history=history)
    assert "PREREQUISITE_NOT_MET" in codes(result)


def test_therapeutic_facet_injections_do_not_qualify_an_rfa_for_medicare():
    history = [session(d, "64493", intent="therapeutic", relief=90, lasted=100)
               for d in ("2026-03-02", "2026-06-08")]
    result = check("medicare", session(P, "64635"), history=history)
    assert "PREREQUISITE_NOT_MET" in codes(result)


def test_third_lumbar_rfa_in_a_year_is_blocked_for_medicare():
    history = TWO_GOOD_LUMBAR_BLOCKS + [good("2026-05-04", "64635"), good("2026-11-02", "64635")]
    result = check("medicare", session(P, "64635"), history=history)
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["medicare-facet-rfa-frequency"]
    assert counter(result, "medicare-facet-rfa-frequency").used == 2


def test_repeat_rfa_needs_no_new_diagnostic_blocks_for_medicare():
    result = check("medicare", session(P, "64635"), history=[good("2025-10-05", "64635")])
    assert "PREREQUISITE_NOT_MET" not in codes(result)
    assert result.verdict == "ok"


def test_repeat_rfa_after_relief_lasting_179_days_is_blocked_for_medicare():
    result = check("medicare", session(P, "64635"),
                   history=TWO_GOOD_LUMBAR_BLOCKS + [
                       session("2026-05-04", "64635", relief=80, lasted=179)])
    assert finding(result, "PRIOR_RESPONSE_INSUFFICIENT") == ["medicare-facet-rfa-repeat-response"]


def test_repeat_rfa_after_50_percent_relief_for_180_days_is_allowed_for_medicare():
    result = check("medicare", session(P, "64635"),
                   history=[session("2026-05-04", "64635", relief=50, lasted=180)])
    assert result.verdict == "ok"


def test_three_joint_lumbar_rfa_exceeds_medicare_levels():
    result = check("medicare", session(P, "64635", "64636x2"), history=TWO_GOOD_LUMBAR_BLOCKS)
    assert finding(result, "LEVELS_EXCEEDED") == ["medicare-facet-levels"]


# --- Sacroiliac joint --------------------------------------------------------------------------------

def test_third_diagnostic_si_injection_in_a_year_is_blocked_for_medicare():
    history = [session(d, "27096", intent="diagnostic", relief=80)
               for d in ("2026-03-02", "2026-09-07")]
    result = check("medicare", session(P, "27096", intent="diagnostic"), history=history)
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["medicare-si-diagnostic-frequency"]
    c = counter(result, "medicare-si-diagnostic-frequency")
    assert (c.region, c.used, c.limit) == ("sacroiliac", 2, 2)


def test_fifth_therapeutic_si_injection_in_a_year_is_blocked_for_medicare():
    history = [good(d, "27096") for d in ("2026-01-05", "2026-04-06", "2026-07-06", "2026-10-05")]
    result = check("medicare", session(P, "27096", intent="therapeutic"), history=history)
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["medicare-si-therapeutic-frequency"]
    assert counter(result, "medicare-si-therapeutic-frequency").limit == 4


def test_sacroiliac_rfa_is_not_covered_by_medicare():
    result = check("medicare", session(P, "64625"))
    assert finding(result, "NOT_COVERED") == ["medicare-si-rfa"]
    assert result.verdict == "blocked"


# --- Spinal cord stimulation --------------------------------------------------------------------------

def test_scs_trial_with_a_clearance_years_old_is_ok_for_medicare():
    result = check("medicare", session(P, "63650", intent="trial"),
                   psych_evaluations=[psych("2019-02-01")])
    assert result.verdict == "ok"


def test_scs_trial_without_a_psych_evaluation_needs_documentation_for_medicare():
    result = check("medicare", session(P, "63650", intent="trial"))
    assert finding(result, "PSYCH_CLEARANCE_MISSING") == ["medicare-scs-psych-clearance"]
    assert result.verdict == "needs_documentation"


def test_scs_trial_after_a_not_cleared_evaluation_is_blocked_for_medicare():
    result = check("medicare", session(P, "63650", intent="trial"),
                   psych_evaluations=[psych("2026-10-01", "not_cleared")])
    assert finding(result, "PSYCH_NOT_CLEARED") == ["medicare-scs-psych-clearance"]
    assert result.verdict == "blocked"


@pytest.mark.parametrize("implant", [("63650",), ("63655",), ("63685",)])
def test_permanent_scs_without_psych_clearance_needs_documentation_for_medicare(implant):
    result = check("medicare", session(P, *implant, intent="permanent"),
                   history=[session("2026-11-02", "63650", intent="trial", relief=70)])
    assert finding(result, "PSYCH_CLEARANCE_MISSING") == ["medicare-scs-psych-clearance"]


def test_permanent_scs_after_a_trial_with_60_percent_relief_is_allowed_for_medicare():
    result = check("medicare", session(P, "63650"),  # 63650 defaults to permanent
                   history=[session("2026-11-02", "63650", intent="trial", relief=60)],
                   psych_evaluations=[psych("2026-09-01")])
    assert result.verdict == "ok"


def test_permanent_scs_after_a_trial_with_40_percent_relief_is_blocked_for_medicare():
    result = check("medicare", session(P, "63650", intent="permanent"),
                   history=[session("2026-11-02", "63650", intent="trial", relief=40)],
                   psych_evaluations=[psych("2026-09-01")])
    assert finding(result, "PREREQUISITE_NOT_MET") == ["medicare-scs-successful-trial"]


def test_permanent_scs_without_a_trial_is_blocked_for_medicare():
    result = check("medicare", session(P, "63685"), psych_evaluations=[psych("2026-09-01")])
    assert finding(result, "PREREQUISITE_NOT_MET") == ["medicare-scs-successful-trial"]


# --- Prior authorization: hospital outpatient only ----------------------------------------------------

@pytest.mark.parametrize("place", ["19", "22"])
@pytest.mark.parametrize("codes_", [("64490",), ("64493", "64494"), ("64633",), ("64635",)])
def test_facet_procedures_in_a_hospital_outpatient_department_need_medicare_prior_auth(
        place, codes_):
    result = check("medicare", session(P, *codes_, intent="diagnostic", place=place),
                   history=TWO_GOOD_LUMBAR_BLOCKS
                   + [session("2026-03-02", "64490", intent="diagnostic", relief=90),
                      session("2026-04-06", "64490", intent="diagnostic", relief=90)])
    assert finding(result, "PRIOR_AUTH_REQUIRED") == ["medicare-opd-prior-auth-facet"]
    assert result.prior_auth_required


@pytest.mark.parametrize("place", ["11", "24"])
def test_facet_block_in_an_office_or_asc_needs_no_medicare_prior_auth(place):
    result = check("medicare", session(P, "64493", intent="diagnostic", place=place))
    assert "PRIOR_AUTH_REQUIRED" not in codes(result)
    assert result.verdict == "ok"


def test_facet_block_in_a_hospital_outpatient_department_needs_medicare_prior_auth():
    result = check("medicare", session(P, "64493", intent="diagnostic", place="22"))
    assert result.verdict == "needs_auth"


def test_scs_trial_in_a_hospital_outpatient_department_needs_medicare_prior_auth():
    result = check("medicare", session(P, "63650", intent="trial", place="22"),
                   psych_evaluations=[psych("2026-09-01")])
    assert finding(result, "PRIOR_AUTH_REQUIRED") == ["medicare-opd-prior-auth-neurostimulator"]


def test_esi_in_a_hospital_outpatient_department_needs_no_medicare_prior_auth():
    result = check("medicare", session(P, "64483", place="22"), conservative_care=AMPLE_CARE)
    assert not result.prior_auth_required


def test_facet_block_in_a_hospital_outpatient_department_before_july_2023_needs_no_prior_auth():
    before = check("medicare", session("2023-06-30", "64493", intent="diagnostic", place="22"))
    from_then = check("medicare", session("2023-07-01", "64493", intent="diagnostic", place="22"))
    assert not before.prior_auth_required
    assert from_then.prior_auth_required
