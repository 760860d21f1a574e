"""Decision clocks of the programs: business days skip weekends and US federal holidays, the
version in force on the submission date applies, and CMS-0057-F binds MA and Medicaid/CHIP."""

from datetime import date, datetime

import pytest
from check_requests import shipped

from tracker.rules.programs import Clock, Span, clock_for, is_business_day

OPD = shipped("medicare").programs["medicare-opd"]
WISER = shipped("medicare").programs["medicare-wiser"]


def test_weekends_and_federal_holidays_are_not_business_days():
    assert not is_business_day(date(2024, 11, 9))   # Saturday
    assert not is_business_day(date(2024, 11, 11))  # Veterans Day, a Monday
    assert not is_business_day(date(2024, 11, 28))  # Thanksgiving
    assert is_business_day(date(2024, 11, 12))


def test_two_business_days_from_a_friday_skip_the_weekend_and_a_monday_holiday():
    friday = datetime(2024, 11, 8, 10, 0)
    assert Span(2, "business_days").after(friday) == datetime(2024, 11, 13, 10, 0)
    assert Span(2, "calendar_days").after(friday) == datetime(2024, 11, 10, 10, 0)
    assert Span(48, "hours").after(friday) == datetime(2024, 11, 10, 10, 0)


def test_an_opd_request_before_2025_runs_on_ten_business_days():
    clock = OPD.clock_on(date(2024, 12, 31))
    assert clock is not None
    # Tue 2024-12-17 + 10 business days, skipping two weekends, Christmas and New Year's Day
    assert clock.deadline(datetime(2024, 12, 17, 9), "standard") == datetime(2025, 1, 2, 9)
    assert clock.deadline(datetime(2024, 12, 17, 9), "expedited") == datetime(2024, 12, 19, 9)


def test_an_opd_request_from_2025_runs_on_seven_calendar_days_and_two_business_days():
    clock = OPD.clock_on(date(2025, 1, 1))
    assert clock is not None
    submitted = datetime(2025, 7, 3, 9)  # a Thursday before Independence Day
    assert clock.deadline(submitted, "standard") == datetime(2025, 7, 10, 9)
    assert clock.deadline(submitted, "expedited") == datetime(2025, 7, 8, 9)


def test_wiser_decides_in_72_hours():
    clock = WISER.clock_on(date(2026, 3, 2))
    assert clock is not None
    assert clock.deadline(datetime(2026, 3, 6, 9), "standard") == datetime(2026, 3, 9, 9)


SLOW = Clock(standard=Span(15, "calendar_days"), expedited=Span(96, "hours"))


@pytest.mark.parametrize(("plan_type", "day", "standard_days"), [
    ("medicare_advantage", date(2026, 1, 1), 7), ("medicaid_chip", date(2026, 1, 1), 7),
    ("medicare_advantage", date(2025, 12, 31), 15), ("marketplace", date(2026, 1, 1), 15),
    ("commercial", date(2026, 6, 1), 15), (None, date(2026, 6, 1), 15)])
def test_cms_0057f_shortens_the_clock_for_ma_and_medicaid_plans_from_2026(plan_type, day,
                                                                           standard_days):
    clock = clock_for(None, SLOW, plan_type, day)
    assert clock is not None
    start = datetime(day.year, day.month, day.day, 9)
    assert (clock.deadline(start, "standard") - start).days == standard_days
