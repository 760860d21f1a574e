"""Calendar arithmetic the payer rules are written in: calendar months, clamped to month end."""

from __future__ import annotations

import calendar
import re
from datetime import date
from functools import lru_cache


@lru_cache(maxsize=65536)  # windows are computed from a few thousand distinct dates
def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months, clamped to the end of a shorter month.

    2026-03-31 - 1 month = 2026-02-28; 2024-02-29 + 12 months = 2025-02-28.
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


_CALENDAR_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str) -> date:
    """A strict ISO calendar date (YYYY-MM-DD); raises ValueError otherwise.

    `date.fromisoformat` alone also takes week dates (2026-W01-1) and the basic form (20260101).
    """
    if not isinstance(text, str) or not _CALENDAR_DATE.fullmatch(text):
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD")
    return date.fromisoformat(text)
