"""How sessions, levels and care are counted (check.md § Semantics), whatever the payer."""

from datetime import date

from check_requests import AMPLE_CARE, care, check, codes, counter, good, session

P = "2026-12-10"


# --- sessions -----------------------------------------------------------------------------------

def test_two_records_on_one_date_count_as_one_session():
    history = [good("2026-03-02", "64483"), good("2026-03-02", "62323"),
               good("2026-06-01", "64483")]
    result = check("medicare", session(P, "64483"), history=history)
    assert counter(result, "medicare-esi-frequency").used == 2


def test_a_performed_and_a_booked_record_on_one_date_count_as_one_session():
    result = check("aetna", session(P, "64483"), history=[good("2026-06-01", "64483")],
                   other_scheduled=[session("2026-06-01", "62323")])
    assert counter(result, "aetna-esi-frequency").used == 1


def test_a_booked_session_before_the_scheduled_one_counts_like_a_performed_one():
    history = [good(d, "64483") for d in ("2026-01-12", "2026-04-13", "2026-07-13")]
    booked = [session("2026-11-16", "64483")]
    result = check("medicare", session(P, "64483"), history=history, other_scheduled=booked,
                   as_of="2026-11-01")
    assert counter(result, "medicare-esi-frequency").used == 4
    assert "FREQUENCY_LIMIT_REACHED" in codes(result)


def test_a_booked_session_after_the_scheduled_one_is_not_in_its_window():
    history = [good(d, "64483") for d in ("2026-01-12", "2026-04-13", "2026-07-13")]
    result = check("medicare", session(P, "64483"), history=history,
                   other_scheduled=[session("2027-01-11", "64483")])
    assert counter(result, "medicare-esi-frequency").used == 3
    assert "FREQUENCY_LIMIT_REACHED" not in codes(result)


def test_a_booked_session_holds_back_the_next_eligible_date_like_a_performed_one():
    history = [good(d, "62323") for d in ("2026-01-10", "2026-05-11", "2026-09-10")]
    result = check("aetna", session(P, "62323"), history=history,
                   other_scheduled=[session("2027-01-05", "62323")])
    assert "FREQUENCY_LIMIT_REACHED" in codes(result)
    # 2026-01-10 leaves on 2027-01-10, but the booking of 2027-01-05 then fills its slot (and is
    # 5 days away); the window frees up when 2026-05-11 leaves it
    assert result.next_eligible_date == date(2027, 5, 11)


def test_a_record_on_the_scheduled_date_is_the_scheduled_session_itself():
    history = [good(d, "64483") for d in ("2026-01-12", "2026-04-13", "2026-07-13")]
    result = check("medicare", session(P, "64483"), history=history,
                   other_scheduled=[session(P, "64483")])
    assert counter(result, "medicare-esi-frequency").used == 3
    assert "FREQUENCY_LIMIT_REACHED" not in codes(result)


def test_interval_is_measured_to_the_nearest_session_on_either_side():
    result = check("aetna", session(P, "64483"), history=[good("2026-10-01", "64483")],
                   other_scheduled=[session("2026-12-20", "64483")])
    assert "INTERVAL_TOO_SHORT" in codes(result)
    assert "2026-12-20" in next(f.message for f in result.findings
                                if f.code == "INTERVAL_TOO_SHORT")
    # never the booking's own date (check.md): 14 days after it
    assert result.next_eligible_date == date(2027, 1, 3)


def test_next_eligible_date_is_the_scheduled_date_when_nothing_stands_in_the_way():
    result = check("medicare", session(P, "64483"), conservative_care=AMPLE_CARE)
    assert result.next_eligible_date == date(2026, 12, 10)


def test_next_eligible_date_is_none_when_no_day_within_two_years_is_free():
    # a booking every 10 days for 2 years keeps every day within 14 days of an ESI
    booked = [session(date.fromordinal(date(2026, 12, 1).toordinal() + 10 * i), "62323")
              for i in range(80)]
    result = check("aetna", session(P, "62323"), other_scheduled=booked)
    assert "INTERVAL_TOO_SHORT" in codes(result)
    assert result.next_eligible_date is None


# --- levels -----------------------------------------------------------------------------------

def test_bilateral_transforaminal_esi_is_one_level():
    result = check("medicare", session(P, "64483-50"), conservative_care=AMPLE_CARE)
    assert result.procedures[0]["levels"] == 1


def test_bilateral_two_level_transforaminal_esi_is_still_two_levels():
    result = check("medicare", session(P, "64483-50", "64484-50"), conservative_care=AMPLE_CARE)
    assert result.procedures[0]["levels"] == 2
    assert "LEVELS_EXCEEDED" not in codes(result)


def test_each_addon_unit_adds_a_level():
    result = check("medicare", session(P, "64483", "64484x2"), conservative_care=AMPLE_CARE)
    assert result.procedures[0]["levels"] == 3
    assert "LEVELS_EXCEEDED" in codes(result)


def test_two_regions_in_one_session_get_a_counter_each():
    result = check("medicare", session(P, "64483", "64479"),
                   history=[good("2026-06-01", "64483")], conservative_care=AMPLE_CARE)
    lumbar = counter(result, "medicare-esi-frequency", "lumbar_sacral")
    cervical = counter(result, "medicare-esi-frequency", "cervical_thoracic")
    assert (lumbar.used, cervical.used) == (1, 0)


# --- conservative care: a day union within 12 months ------------------------------------------

def test_overlapping_care_records_count_each_day_once():
    # 20 + 18 = 38 record-days, but only 27 distinct days
    result = check("medicare", session(P, "64483"),
                   conservative_care=[care("physical_therapy", "2026-09-01", "2026-09-20"),
                                      care("medication", "2026-09-10", "2026-09-27")])
    assert "STEP_THERAPY_INSUFFICIENT" in codes(result)


def test_adjacent_care_records_add_up():
    result = check("medicare", session(P, "64483"),
                   conservative_care=[care("physical_therapy", "2026-09-01", "2026-09-20"),
                                      care("medication", "2026-09-21", "2026-09-28")])
    assert "STEP_THERAPY_INSUFFICIENT" not in codes(result)


def test_care_more_than_12_months_before_does_not_count():
    result = check("medicare", session(P, "64483"),
                   conservative_care=[care("physical_therapy", "2025-06-01", "2025-11-30")])
    assert "STEP_THERAPY_INSUFFICIENT" in codes(result)


def test_care_straddling_the_12_month_edge_counts_only_its_recent_days():
    # 90 days of care, of which only 2025-12-11 .. 2025-12-31 (21 days) are within 12 months
    result = check("medicare", session(P, "64483"),
                   conservative_care=[care("physical_therapy", "2025-10-03", "2025-12-31")])
    assert "STEP_THERAPY_INSUFFICIENT" in codes(result)


def test_care_after_the_scheduled_date_does_not_count():
    result = check("medicare", session(P, "64483"), as_of="2026-12-01",
                   conservative_care=[care("physical_therapy", "2026-11-20", "2027-02-01")])
    assert "STEP_THERAPY_INSUFFICIENT" in codes(result)
