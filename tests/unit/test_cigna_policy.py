"""Cigna's shipped rules (policies.md § cigna), one behaviour per test."""

from datetime import date

import pytest
from check_requests import AMPLE_CARE, care, check, codes, counter, finding, good, psych, session

P = "2026-12-10"
TWO_GOOD_LUMBAR_BLOCKS = [session("2025-09-01", "64493", intent="diagnostic", relief=90),
                          session("2025-10-06", "64493", intent="diagnostic", relief=85)]


def test_fourth_esi_in_six_months_is_blocked_for_cigna():
    history = [good(d, "64483") for d in ("2026-07-13", "2026-09-01", "2026-10-20")]
    result = check("cigna", session(P, "64483"), history=history, conservative_care=AMPLE_CARE)
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["cigna-esi-frequency-6-months"]
    assert finding(result, "FREQUENCY_LIMIT_APPROACHING") == ["cigna-esi-frequency-12-months"]
    assert counter(result, "cigna-esi-frequency-6-months").used == 3
    assert counter(result, "cigna-esi-frequency-12-months").used == 3


def test_fifth_esi_in_twelve_months_is_blocked_for_cigna_with_two_in_the_last_six():
    history = [good(d, "62323") for d in ("2026-01-05", "2026-03-02", "2026-07-06", "2026-10-05")]
    result = check("cigna", session(P, "62323"), history=history, conservative_care=AMPLE_CARE)
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["cigna-esi-frequency-12-months"]
    assert counter(result, "cigna-esi-frequency-6-months").used == 2
    assert counter(result, "cigna-esi-frequency-12-months").used == 4
    # 2026-01-05 leaves the 12-month window on 2027-01-05; the 6-month window then holds two
    assert result.next_eligible_date == date(2027, 1, 5)


def test_esi_13_days_after_the_last_is_too_soon_for_cigna():
    result = check("cigna", session(P, "64483"), history=[good("2026-11-27", "62323")],
                   conservative_care=AMPLE_CARE)
    assert finding(result, "INTERVAL_TOO_SHORT") == ["cigna-esi-interval"]


def test_esi_with_27_days_of_care_needs_documentation_for_cigna():
    result = check("cigna", session(P, "64483"),
                   conservative_care=[care("medication", "2026-10-01", "2026-10-27")])
    assert finding(result, "STEP_THERAPY_INSUFFICIENT") == ["cigna-esi-conservative-care"]
    assert result.verdict == "needs_documentation"


def test_repeat_esi_still_needs_conservative_care_for_cigna():
    result = check("cigna", session(P, "64483"), history=[good("2026-09-01", "64483")])
    assert "STEP_THERAPY_INSUFFICIENT" in codes(result)


def test_esi_with_28_days_of_care_needs_only_auth_for_cigna():
    result = check("cigna", session(P, "64483"),
                   conservative_care=[care("medication", "2026-10-01", "2026-10-28")])
    assert result.verdict == "needs_auth"


def test_first_rfa_without_two_80_percent_blocks_is_blocked_for_cigna():
    result = check("cigna", session(P, "64635"), history=TWO_GOOD_LUMBAR_BLOCKS[:1])
    assert finding(result, "PREREQUISITE_NOT_MET") == ["cigna-facet-rfa-diagnostic-blocks"]


def test_first_rfa_after_two_80_percent_blocks_needs_only_auth_for_cigna():
    result = check("cigna", session(P, "64635"), history=TWO_GOOD_LUMBAR_BLOCKS)
    assert result.verdict == "needs_auth"


def test_third_lumbar_rfa_in_a_year_is_blocked_for_cigna():
    history = TWO_GOOD_LUMBAR_BLOCKS + [good("2025-12-14", "64635"), good("2026-06-15", "64635")]
    result = check("cigna", session(P, "64635"), history=history)
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["cigna-facet-rfa-frequency"]
    assert counter(result, "cigna-facet-rfa-frequency").limit == 2


def test_rfa_a_day_short_of_six_calendar_months_after_the_last_is_too_soon_for_cigna():
    result = check("cigna", session("2026-07-30", "64635"), history=[good("2026-01-31", "64635")])
    assert finding(result, "INTERVAL_TOO_SHORT") == ["cigna-facet-rfa-interval"]
    assert result.next_eligible_date == date(2026, 7, 31)


def test_rfa_six_calendar_months_after_the_last_is_allowed_for_cigna():
    result = check("cigna", session("2026-07-31", "64635"), history=[good("2026-01-31", "64635")])
    assert "INTERVAL_TOO_SHORT" not in codes(result)


def test_six_calendar_months_after_august_31_end_on_february_28_for_cigna_rfa():
    early = check("cigna", session("2027-02-27", "64635"), history=[good("2026-08-31", "64635")])
    on_time = check("cigna", session("2027-02-28", "64635"), history=[good("2026-08-31", "64635")])
    assert "INTERVAL_TOO_SHORT" in codes(early)
    assert "INTERVAL_TOO_SHORT" not in codes(on_time)


def test_rfa_six_calendar_months_before_a_booked_rfa_is_allowed_for_cigna():
    result = check("cigna", session("2026-07-31", "64635"), history=TWO_GOOD_LUMBAR_BLOCKS,
                   other_scheduled=[session("2027-01-31", "64635")])
    assert "INTERVAL_TOO_SHORT" not in codes(result)


def test_rfa_less_than_six_calendar_months_before_a_booked_rfa_is_too_soon_for_cigna():
    result = check("cigna", session("2026-08-01", "64635"), history=TWO_GOOD_LUMBAR_BLOCKS,
                   other_scheduled=[session("2027-01-31", "64635")])
    assert finding(result, "INTERVAL_TOO_SHORT") == ["cigna-facet-rfa-interval"]


def test_fifth_therapeutic_si_injection_in_a_year_is_blocked_for_cigna():
    history = [good(d, "27096") for d in ("2026-01-05", "2026-03-05", "2026-05-05", "2026-07-06")]
    result = check("cigna", session(P, "27096"), history=history)
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["cigna-si-therapeutic-frequency"]


def test_therapeutic_si_injection_a_day_short_of_two_calendar_months_is_too_soon_for_cigna():
    result = check("cigna", session(P, "27096"), history=[good("2026-10-11", "27096")])
    assert finding(result, "INTERVAL_TOO_SHORT") == ["cigna-si-therapeutic-interval"]
    assert result.next_eligible_date == date(2026, 12, 11)


def test_therapeutic_si_injection_two_calendar_months_after_the_last_is_allowed_for_cigna():
    result = check("cigna", session(P, "27096"), history=[good("2026-10-10", "27096")])
    assert result.verdict == "needs_auth"


def test_diagnostic_si_injection_does_not_hold_back_a_therapeutic_one_for_cigna():
    result = check("cigna", session(P, "27096", intent="therapeutic"),
                   history=[session("2026-12-01", "27096", intent="diagnostic", relief=80)])
    assert "INTERVAL_TOO_SHORT" not in codes(result)


SCS_CARE = [care("physical_therapy", "2026-01-05", "2026-08-31")]


def test_scs_trial_with_a_clearance_from_within_12_months_needs_only_auth_for_cigna():
    result = check("cigna", session(P, "63650", intent="trial"), conservative_care=SCS_CARE,
                   psych_evaluations=[psych("2026-01-20")])
    assert result.verdict == "needs_auth"


def test_scs_trial_with_a_clearance_older_than_12_months_needs_documentation_for_cigna():
    result = check("cigna", session("2026-12-15", "63650", intent="trial"),
                   conservative_care=SCS_CARE, psych_evaluations=[psych("2025-11-20")])
    assert finding(result, "PSYCH_CLEARANCE_EXPIRED") == ["cigna-scs-trial-psych-clearance"]
    assert result.verdict == "needs_documentation"


def test_scs_trial_clearance_exactly_12_months_old_has_expired_for_cigna():
    # the window is the rolling one: P - 12 months < evaluation date
    result = check("cigna", session(P, "63650", intent="trial"), conservative_care=SCS_CARE,
                   psych_evaluations=[psych("2025-12-10")])
    assert "PSYCH_CLEARANCE_EXPIRED" in codes(result)


def test_scs_trial_clearance_a_day_under_12_months_old_is_valid_for_cigna():
    result = check("cigna", session(P, "63650", intent="trial"), conservative_care=SCS_CARE,
                   psych_evaluations=[psych("2025-12-11")])
    assert "PSYCH_CLEARANCE_EXPIRED" not in codes(result)


def test_scs_trial_judged_by_the_latest_evaluation_even_when_older_ones_cleared_for_cigna():
    result = check("cigna", session(P, "63650", intent="trial"), conservative_care=SCS_CARE,
                   psych_evaluations=[psych("2026-03-01"), psych("2026-10-01", "not_cleared")])
    assert finding(result, "PSYCH_NOT_CLEARED") == ["cigna-scs-trial-psych-clearance"]
    assert result.verdict == "blocked"


def test_scs_trial_cleared_after_an_earlier_not_cleared_evaluation_is_fine_for_cigna():
    result = check("cigna", session(P, "63650", intent="trial"), conservative_care=SCS_CARE,
                   psych_evaluations=[psych("2026-03-01", "not_cleared"), psych("2026-10-01")])
    assert result.verdict == "needs_auth"


def test_psych_evaluation_after_the_trial_date_does_not_count_for_cigna():
    result = check("cigna", session(P, "63650", intent="trial"), conservative_care=SCS_CARE,
                   psych_evaluations=[psych("2026-12-20")], as_of="2026-12-01")
    assert finding(result, "PSYCH_CLEARANCE_MISSING") == ["cigna-scs-trial-psych-clearance"]


def test_scs_trial_with_179_days_of_care_needs_documentation_for_cigna():
    result = check("cigna", session(P, "63650", intent="trial"),
                   conservative_care=[care("chiropractic", "2026-01-01", "2026-06-28")],
                   psych_evaluations=[psych("2026-10-01")])
    assert finding(result, "STEP_THERAPY_INSUFFICIENT") == ["cigna-scs-trial-conservative-care"]


def test_permanent_scs_needs_no_new_clearance_for_cigna():
    result = check("cigna", session(P, "63650", intent="permanent"),
                   history=[session("2026-11-02", "63650", intent="trial", relief=70)])
    assert result.verdict == "needs_auth"


def test_permanent_scs_after_a_trial_with_40_percent_relief_is_blocked_for_cigna():
    result = check("cigna", session(P, "63685"),
                   history=[session("2026-11-02", "63650", intent="trial", relief=40)])
    assert finding(result, "PREREQUISITE_NOT_MET") == ["cigna-scs-successful-trial"]


@pytest.mark.parametrize("place", ["11", "22", "24"])
@pytest.mark.parametrize(("code", "intent"), [
    ("64483", None), ("64490", "diagnostic"), ("64633", None), ("64451", None), ("64625", None),
    ("63650", "trial")])
def test_cigna_requires_prior_auth_at_every_place_of_service(place, code, intent):
    result = check("cigna", session(P, code, intent=intent, place=place))
    assert finding(result, "PRIOR_AUTH_REQUIRED") == ["cigna-prior-auth"]
