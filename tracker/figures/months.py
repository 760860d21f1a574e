"""The periods figures are counted over: a calendar month, a week, in UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tracker.errors import InputError

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """Days `first` to `last`, both included."""

    first: date
    last: date

    @property
    def starts_at(self) -> datetime:
        return datetime(self.first.year, self.first.month, self.first.day, tzinfo=UTC)

    @property
    def ends_before(self) -> datetime:
        after = self.last + timedelta(days=1)
        return datetime(after.year, after.month, after.day, tzinfo=UTC)

    @property
    def label(self) -> str:
        if self.first.day == 1 and (self.last + timedelta(days=1)).day == 1:
            return f"{self.first:%Y-%m}"
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def month(year: int, number: int) -> Period:
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period(first, following - timedelta(days=1))


def parse_month(text: str, field: str = "month") -> Period:
    """'2026-11' as November 2026; anything else is an InputError naming `field`."""
    found = _MONTH.match((text or "").strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        raise InputError(field, f"{text!r} is not a month; write it as YYYY-MM (e.g. 2026-11)")
    return month(int(found.group(1)), int(found.group(2)))


def month_of(day: date) -> Period:
    return month(day.year, day.month)


def months_before(last: Period, count: int) -> list[Period]:
    """The `count` months ending with `last`, oldest first."""
    found = [last]
    while len(found) < count:
        previous = found[0].first - timedelta(days=1)
        found.insert(0, month(previous.year, previous.month))
    return found


def week_ending(day: date) -> Period:
    """The seven days ending on `day`."""
    return Period(day - timedelta(days=6), day)
