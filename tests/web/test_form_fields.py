"""The board's form fields read dates, whole numbers and numbers one way on every page, and name
the field when a value is wrong."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.errors import InputError
from tracker.web.pages import form_day, number, whole_number


def test_a_form_date_is_a_strict_calendar_date() -> None:
    assert form_day("valid_from", " 2026-12-01 ") == date(2026, 12, 1)
    assert form_day("valid_from", "  ") is None
    for text in ("20261201", "2026-W49-2", "12/01/2026"):
        with pytest.raises(InputError) as refused:
            form_day("valid_from", text)
        assert refused.value.path == "valid_from" and "YYYY-MM-DD" in str(refused.value)


def test_whole_numbers_and_numbers_name_the_field() -> None:
    assert whole_number("units", " 2 ") == 2 and whole_number("units", "") is None
    assert number("relief_percent", "80 %") == 80.0 and number("relief_percent", "") is None
    with pytest.raises(InputError) as refused:
        whole_number("units", "two")
    assert refused.value.path == "units"
    with pytest.raises(InputError) as refused:
        number("relief_percent", "most")
    assert refused.value.path == "relief_percent"
