"""Aetna's shipped rules (policies.md § aetna), one behaviour per test."""

from datetime import date

import pytest
from check_requests import AMPLE_CARE, care, check, codes, counter, finding, good, psych, session

P = "2026-12-10"


def test_third_lumbar_esi_in_a_year_takes_the_last_aetna_slot():
    result = check("aetna", session(P, "64483"),
                   history=[good("2026-03-02", "62323"), good("2026-07-06", "64483")])
    assert finding(result, "FREQUENCY_LIMIT_APPROACHING") == ["aetna-esi-frequency"]
    esi = counter(result, "aetna-esi-frequency")
    tfesi = counter(result, "aetna-tfesi-frequency")
    assert (esi.family, esi.used, esi.limit, esi.window.months) == ("esi", 2, 3, 12)
    assert (tfesi.family, tfesi.used, tfesi.limit, tfesi.window.months) == (
        "esi_transforaminal", 1, 3, 6)
    assert result.verdict == "needs_auth"
    assert result.next_eligible_date == date(2026, 12, 10)


def test_fourth_lumbar_esi_in_a_year_is_blocked_for_aetna():
    history = [good(d, "62323") for d in ("2026-02-16", "2026-05-18", "2026-09-21")]
    result = check("aetna", session("2026-12-14", "62323"), history=history)
    assert finding(result, "FREQUENCY_LIMIT_REACHED") == ["aetna-esi-frequency"]
    assert result.verdict == "blocked"
    assert result.next_eligible_date == date(2027, 2, 16)


def test_interlaminar_esis_do_not_count_against_the_aetna_transforaminal_counter():
    history = [good("2026-08-03", "62323"), good("2026-10-05", "62323")]
    result = check("aetna", session(P, "64483"), history=history)
    assert counter(result, "aetna-tfesi-frequency").used == 0
    assert counter(result, "aetna-esi-frequency").used == 2


def test_a_transforaminal_esi_6_months_before_leaves_the_aetna_six_month_window():
    # 2026-08-31 - 6 months = 2026-02-28 (clamped): a session on that day is out, a day later in
    out = check("aetna", session("2026-08-31", "64483"), history=[good("2026-02-28", "64483")])
    in_ = check("aetna", session("2026-08-31", "64483"), history=[good("2026-03-01", "64483")])
    assert counter(out, "aetna-tfesi-frequency").used == 0
    assert counter(out, "aetna-esi-frequency").used == 1
    assert counter(in_, "aetna-tfesi-frequency").used == 1


def test_esi_13_days_after_the_last_is_too_soon_for_aetna():
    result = check("aetna", session(P, "64483"), history=[good("2026-11-27", "64483")])
    assert finding(result, "INTERVAL_TOO_SHORT") == ["aetna-esi-interval"]
    assert result.next_eligible_date == date(2026, 12, 11)


def test_esi_14_days_after_the_last_is_allowed_for_aetna():
    result = check("aetna", session(P, "64483"), history=[good("2026-11-26", "64483")])
    assert "INTERVAL_TOO_SHORT" not in codes(result)


def test_esi_13_days_before_a_booked_esi_is_too_soon_for_aetna():
    result = check("aetna", session(P, "62323"), other_scheduled=[session("2026-12-23", "64483")])
    assert finding(result, "INTERVAL_TOO_SHORT") == ["aetna-esi-interval"]


def test_esi_14_days_before_a_booked_esi_is_allowed_for_aetna():
    result = check("aetna", session(P, "62323"), other_scheduled=[session("2026-12-24", "64483")])
    assert "INTERVAL_TOO_SHORT" not in codes(result)


def test_cervical_esi_a_week_after_a_lumbar_esi_is_allowed_for_aetna():
    result = check("aetna", session(P, "62321"), history=[good("2026-12-03", "62323")])
    assert "INTERVAL_TOO_SHORT" not in codes(result)


def test_three_level_transforaminal_esi_exceeds_aetna_levels():
    result = check("aetna", session(P, "64483", "64484x2"))
    assert finding(result, "LEVELS_EXCEEDED") == ["aetna-tfesi-levels"]


def test_three_level_diagnostic_facet_block_is_within_aetna_levels():
    result = check("aetna", session(P, "64493", "64494", "64495", intent="diagnostic"))
    assert "LEVELS_EXCEEDED" not in codes(result)
    assert result.verdict == "needs_auth"


def test_four_level_diagnostic_facet_block_exceeds_aetna_levels():
    result = check("aetna", session(P, "64493", "64494", "64495x2", intent="diagnostic"))
    assert finding(result, "LEVELS_EXCEEDED") == ["aetna-facet-diagnostic-levels"]


@pytest.mark.parametrize("intent", ["therapeutic", None])
def test_therapeutic_facet_injection_is_not_covered_by_aetna(intent):
    result = check("aetna", session(P, "64493", intent=intent))  # facet intent defaults therapeutic
    assert finding(result, "NOT_COVERED") == ["aetna-facet-therapeutic"]
    assert result.verdict == "blocked"


def test_trigger_points_6_days_after_the_last_are_too_soon_for_aetna():
    result = check("aetna", session(P, "20552", muscles=2),
                   history=[session("2026-12-04", "20552", muscles=2)])
    assert finding(result, "INTERVAL_TOO_SHORT") == ["aetna-trigger-point-interval"]


def test_trigger_points_7_days_after_the_last_are_allowed_for_aetna():
    result = check("aetna", session(P, "20552", muscles=2),
                   history=[session("2026-12-03", "20552", muscles=2)])
    assert result.verdict == "ok"


def test_trigger_point_injection_needs_no_aetna_prior_auth():
    assert not check("aetna", session(P, "20553", muscles=3)).prior_auth_required


def test_scs_trial_with_179_days_of_care_needs_documentation_for_aetna():
    result = check("aetna", session(P, "63650", intent="trial"),
                   conservative_care=[care("physical_therapy", "2026-01-01", "2026-06-28")],
                   psych_evaluations=[psych("2026-09-01")])
    assert finding(result, "STEP_THERAPY_INSUFFICIENT") == ["aetna-scs-trial-conservative-care"]
    assert result.verdict == "needs_documentation"


def test_scs_trial_with_180_days_of_care_and_an_old_clearance_needs_only_auth_for_aetna():
    result = check("aetna", session(P, "63650", intent="trial"),
                   conservative_care=[care("physical_therapy", "2026-01-01", "2026-06-29")],
                   psych_evaluations=[psych("2021-05-01")])
    assert result.verdict == "needs_auth"


def test_scs_trial_without_psych_evaluation_needs_documentation_for_aetna():
    result = check("aetna", session(P, "63650", intent="trial"), conservative_care=AMPLE_CARE)
    assert finding(result, "PSYCH_CLEARANCE_MISSING") == ["aetna-scs-trial-psych-clearance"]


def test_permanent_scs_after_a_trial_with_40_percent_relief_is_blocked_for_aetna():
    result = check("aetna", session(P, "63655"),
                   history=[session("2026-11-02", "63650", intent="trial", relief=40)])
    assert finding(result, "PREREQUISITE_NOT_MET") == ["aetna-scs-successful-trial"]


def test_permanent_scs_after_a_trial_with_50_percent_relief_needs_only_auth_for_aetna():
    result = check("aetna", session(P, "63655"),
                   history=[session("2026-11-02", "63650", intent="trial", relief=50)])
    assert result.verdict == "needs_auth"


@pytest.mark.parametrize("place", ["11", "19", "22", "24"])
@pytest.mark.parametrize(("code", "intent"), [
    ("62323", None), ("64493", "diagnostic"), ("64635", None), ("27096", None),
    ("64625", None), ("63650", "trial")])
def test_aetna_requires_prior_auth_at_every_place_of_service(place, code, intent):
    result = check("aetna", session(P, code, intent=intent, place=place))
    assert finding(result, "PRIOR_AUTH_REQUIRED") == ["aetna-prior-auth"]
    assert result.prior_auth_required
