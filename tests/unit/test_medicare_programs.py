"""Medicare's prior-authorization programs as of 2026 and the corrected clinical rules
(policies.md § medicare), each at its boundaries."""

from datetime import date

import pytest
from check_requests import AMPLE_CARE, care, check, codes, finding, good, psych, session

from tracker.rules import Exemption

P = "2026-12-10"
NPI = "1234567893"
OTHER_NPI = "1987654321"


def wiser(when: str = P, state: str | None = "TX", place: str = "11", **rest):
    return check("medicare", session(when, "64483", place=place, provider=NPI),
                 conservative_care=[care("physical_therapy", "2025-12-01", "2026-11-30")],
                 service_state=state, **rest)


# --- WISeR: six states, every place of service, 2026-01-15 through 2031-12-31 --------------------

@pytest.mark.parametrize("state", ["AZ", "NJ", "OH", "OK", "TX", "WA"])
def test_an_office_tfesi_in_a_wiser_state_needs_authorization(state):
    result = wiser(state=state)
    assert finding(result, "PRIOR_AUTH_REQUIRED") == ["medicare-wiser-prior-auth"]
    assert result.verdict == "needs_auth"


@pytest.mark.parametrize("state", ["FL", "CA", "NY"])
def test_an_office_tfesi_outside_the_wiser_states_needs_none(state):
    result = wiser(state=state)
    assert not result.prior_auth_required
    assert codes(result) == set()


@pytest.mark.parametrize("place", ["11", "19", "22", "24"])
def test_wiser_applies_at_every_place_of_service(place):
    assert wiser(place=place).prior_auth_required


@pytest.mark.parametrize(("when", "required"), [
    ("2026-01-14", False), ("2026-01-15", True), ("2031-12-31", True), ("2032-01-01", False)])
def test_wiser_covers_dates_of_service_from_its_start_through_its_end(when, required):
    assert wiser(when=when).prior_auth_required is required


@pytest.mark.parametrize("code", ["62321", "62323", "64479", "63655"])
def test_wiser_lists_interlaminar_cervical_transforaminal_and_paddle_codes(code):
    scheduled = session(P, code, place="11")
    result = check("medicare", scheduled, service_state="TX", conservative_care=AMPLE_CARE,
                   psych_evaluations=[psych("2026-06-01")],
                   history=[session("2026-11-01", "63650", intent="trial", relief=60)])
    assert "medicare-wiser-prior-auth" in finding(result, "PRIOR_AUTH_REQUIRED")


def test_an_unknown_state_warns_that_wiser_may_apply_without_requiring_authorization():
    result = wiser(state=None)
    assert finding(result, "SERVICE_STATE_UNKNOWN") == ["medicare-wiser-prior-auth"]
    assert not result.prior_auth_required
    assert result.verdict == "ok"


def test_no_state_warning_before_wiser_starts():
    assert "SERVICE_STATE_UNKNOWN" not in codes(wiser(when="2026-01-14", state=None))


# --- OPD: facet from 2023-07-01, 63650 from 2021-07-01, POS 19/22 only --------------------------

@pytest.mark.parametrize(("when", "required"), [("2021-06-30", False), ("2021-07-01", True)])
def test_an_opd_stimulator_trial_needs_authorization_from_july_2021(when, required):
    result = check("medicare", session(when, "63650", intent="trial", place="22"),
                   psych_evaluations=[psych("2021-01-04")], service_state="FL")
    assert ("medicare-opd-prior-auth-neurostimulator" in finding(result, "PRIOR_AUTH_REQUIRED")) \
        is required


@pytest.mark.parametrize(("place", "required"), [("19", True), ("22", True), ("11", False),
                                                 ("24", False)])
def test_opd_authorization_is_asked_only_in_the_hospital_outpatient_department(place, required):
    result = check("medicare", session(P, "64493", intent="diagnostic", place=place),
                   service_state="FL")
    assert result.prior_auth_required is required


@pytest.mark.parametrize(("when", "required"), [("2023-06-30", False), ("2023-07-01", True)])
def test_opd_facet_authorization_starts_in_july_2023(when, required):
    result = check("medicare", session(when, "64493", intent="diagnostic", place="22"))
    assert result.prior_auth_required is required


def test_a_permanent_implant_after_an_opd_trial_needs_no_request_of_its_own():
    trial = session("2026-11-02", "63650", intent="trial", place="22", relief=70)
    result = check("medicare", session(P, "63650", intent="permanent", place="22"),
                   history=[trial], psych_evaluations=[psych("2026-06-01")], service_state="FL")
    assert "PRIOR_AUTH_REQUIRED" not in codes(result)
    assert result.verdict == "ok"


def test_a_permanent_opd_implant_after_an_office_trial_needs_its_own_request():
    trial = session("2026-11-02", "63650", intent="trial", place="11", relief=70)
    result = check("medicare", session(P, "63650", intent="permanent", place="22"),
                   history=[trial], psych_evaluations=[psych("2026-06-01")], service_state="FL")
    assert finding(result, "PRIOR_AUTH_REQUIRED") == ["medicare-opd-prior-auth-neurostimulator"]


# --- exemptions ("gold card") ---------------------------------------------------------------------

def exemption(**fields) -> Exemption:
    base = {"program": "medicare-wiser", "start": date(2026, 1, 15), "end": date(2026, 12, 31)}
    base.update(fields)
    return Exemption(**base)


def test_a_provider_exemption_lifts_the_wiser_requirement_and_says_so():
    result = wiser(exemptions=[exemption(provider_npi=NPI, reference="WISeR-GC-77")])
    assert "PRIOR_AUTH_REQUIRED" not in codes(result)
    assert finding(result, "PRIOR_AUTH_EXEMPT") == ["medicare-wiser-prior-auth"]
    [exempt] = [f for f in result.findings if f.code == "PRIOR_AUTH_EXEMPT"]
    assert "WISeR-GC-77" in exempt.message
    assert result.verdict == "ok"
    assert not result.prior_auth_required


def test_another_providers_exemption_does_not_lift_it():
    result = wiser(exemptions=[exemption(provider_npi=OTHER_NPI)])
    assert "PRIOR_AUTH_REQUIRED" in codes(result)
    assert "PRIOR_AUTH_EXEMPT" not in codes(result)


@pytest.mark.parametrize(("end", "exempt"), [(date(2026, 12, 9), False), (date(2026, 12, 10), True)])
def test_an_exemption_holds_through_its_last_day(end, exempt):
    result = wiser(exemptions=[exemption(end=end)])
    assert ("PRIOR_AUTH_EXEMPT" in codes(result)) is exempt


@pytest.mark.parametrize(("fields", "exempt"), [
    ({"codes": frozenset({"64483"})}, True), ({"codes": frozenset({"62323"})}, False),
    ({"families": frozenset({"esi_transforaminal"})}, True),
    ({"families": frozenset({"esi_interlaminar"})}, False),
    ({"program": "medicare-opd"}, False)])
def test_an_exemption_lifts_only_its_program_and_services(fields, exempt):
    result = wiser(exemptions=[exemption(**fields)])
    assert ("PRIOR_AUTH_EXEMPT" in codes(result)) is exempt
    assert ("PRIOR_AUTH_REQUIRED" in codes(result)) is not exempt


# --- corrected clinical rules -----------------------------------------------------------------

TWO_DIAGNOSTIC_FACET_BLOCKS = [
    session("2026-03-02", "64493", intent="diagnostic", relief=90, lasted=1),
    session("2026-04-06", "64493", intent="diagnostic", relief=80, lasted=1)]


def test_a_therapeutic_facet_injection_needs_two_diagnostic_blocks_of_80_percent():
    weak = [TWO_DIAGNOSTIC_FACET_BLOCKS[0],
            session("2026-04-06", "64493", intent="diagnostic", relief=79, lasted=1)]
    blocked = check("medicare", session(P, "64493", intent="therapeutic"), history=weak)
    assert finding(blocked, "PREREQUISITE_NOT_MET") == [
        "medicare-facet-therapeutic-diagnostic-blocks"]
    ok = check("medicare", session(P, "64493", intent="therapeutic"),
               history=TWO_DIAGNOSTIC_FACET_BLOCKS)
    assert "PREREQUISITE_NOT_MET" not in codes(ok)


@pytest.mark.parametrize(("relief", "met"), [(74, False), (75, True)])
def test_a_therapeutic_si_injection_needs_a_75_percent_diagnostic_one(relief, met):
    history = [session("2026-09-01", "27096", intent="diagnostic", relief=relief, lasted=1)]
    result = check("medicare", session(P, "27096", intent="therapeutic"), history=history,
                   conservative_care=AMPLE_CARE)
    assert ("medicare-si-diagnostic-block" in finding(result, "PREREQUISITE_NOT_MET")) is not met


@pytest.mark.parametrize(("relief", "lasted", "ok"), [(50, 90, True), (49, 90, False),
                                                      (50, 89, False)])
def test_a_repeat_therapeutic_si_injection_needs_50_percent_for_90_days(relief, lasted, ok):
    history = [session("2026-03-02", "27096", intent="diagnostic", relief=90, lasted=1),
               session("2026-06-01", "27096", intent="therapeutic", relief=relief, lasted=lasted)]
    result = check("medicare", session(P, "27096", intent="therapeutic"), history=history)
    assert ("PRIOR_RESPONSE_INSUFFICIENT" not in codes(result)) is ok


@pytest.mark.parametrize(("last_day", "enough"), [("2026-11-06", False), ("2026-11-07", True)])
def test_the_first_therapeutic_si_injection_needs_28_days_of_conservative_care(last_day, enough):
    history = [session("2026-09-01", "27096", intent="diagnostic", relief=90, lasted=1)]
    result = check("medicare", session(P, "27096", intent="therapeutic"), history=history,
                   conservative_care=[care("physical_therapy", "2026-10-11", last_day)])
    assert ("medicare-si-first-conservative-care" in finding(result, "STEP_THERAPY_INSUFFICIENT")) \
        is not enough


@pytest.mark.parametrize(("reduction", "met"), [(49, False), (50, True)])
def test_a_trial_with_half_the_medication_succeeds_without_half_the_pain(reduction, met):
    trial = session("2026-11-02", "63650", intent="trial", relief=20, medication_reduction=reduction)
    result = check("medicare", session(P, "63650", intent="permanent"), history=[trial],
                   psych_evaluations=[psych("2026-06-01")])
    assert ("medicare-scs-successful-trial" in finding(result, "PREREQUISITE_NOT_MET")) is not met


# --- next eligible date: never another session's date, never past 9999-12-31 ---------------------

def test_the_next_eligible_date_is_never_the_date_of_another_booked_session():
    result = check("aetna", session("2026-12-10", "62323"), conservative_care=AMPLE_CARE,
                   other_scheduled=[session("2026-12-20", "62323")])
    assert "INTERVAL_TOO_SHORT" in codes(result)
    assert result.next_eligible_date == date(2027, 1, 3)


def test_a_session_blocked_late_in_9998_finds_no_date_instead_of_crashing():
    history = [good(d, "64483") for d in ("9998-01-10", "9998-04-10", "9998-07-10", "9998-10-10")]
    result = check("medicare", session("9998-12-01", "64483"), history=history)
    assert "FREQUENCY_LIMIT_REACHED" in codes(result)
    assert result.next_eligible_date == date(9999, 1, 10)


def test_a_session_blocked_at_the_end_of_the_calendar_has_no_next_eligible_date():
    history = [good(d, "62323") for d in ("9999-10-01", "9999-12-20")]
    result = check("aetna", session("9999-12-25", "62323"), history=history)
    assert "INTERVAL_TOO_SHORT" in codes(result)
    assert result.next_eligible_date is None
