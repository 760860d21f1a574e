"""Prior-authorization programs: who decides, how fast, and how long an approval holds.

A program (Medicare's OPD list, the WISeR model, a payer's precertification list) owns the
prior_auth rules that name it. Its decision clock is effective-dated: the version in force on the
submission date says when the decision is due. Business days skip weekends and US federal
holidays (the `holidays` calendar, not a hand-kept list).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays

BEGINNING = date(1900, 1, 1)
FOREVER = date(9999, 12, 31)

UNITS = ("calendar_days", "business_days", "hours")
CHANNELS = ("mac", "model_participant", "payer_pas", "fax_portal")
PLAN_TYPES = ("commercial", "medicare_advantage", "medicaid_chip", "marketplace")


@lru_cache(maxsize=256)
def _federal_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("US", years=year))


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a US federal holiday (observed dates included)."""
    return day.weekday() < 5 and day not in _federal_holidays(day.year)


@dataclass(frozen=True, slots=True)
class Span:
    """An amount of time in one unit: 7 calendar days, 10 business days, 72 hours."""

    amount: int
    unit: str

    def after(self, start: datetime) -> datetime:
        """When the span that starts at `start` ends. Business days count whole days after the
        submission day, landing at the same time of day."""
        if self.unit == "hours":
            return start + timedelta(hours=self.amount)
        if self.unit == "calendar_days":
            return start + timedelta(days=self.amount)
        moment, left = start, self.amount
        while left:
            moment += timedelta(days=1)
            if is_business_day(moment.date()):
                left -= 1
        return moment

    def describe(self) -> str:
        return f"{self.amount} {self.unit.replace('_', ' ')}"


@dataclass(frozen=True, slots=True)
class Clock:
    """How long the decision may take, standard and expedited, for requests made in a period."""

    standard: Span
    expedited: Span
    effective_from: date = BEGINNING
    effective_to: date = FOREVER
    source: str = ""

    def in_force(self, day: date) -> bool:
        return self.effective_from <= day <= self.effective_to

    def deadline(self, submitted_at: datetime, priority: str) -> datetime:
        span = self.expedited if priority == "expedited" else self.standard
        return span.after(submitted_at)

    def describe(self) -> str:
        return f"{self.standard.describe()} standard, {self.expedited.describe()} expedited"


# CMS-0057-F (Interoperability and Prior Authorization final rule): impacted payers decide within
# 72 hours expedited and 7 calendar days standard from 2026-01-01. Among the plan types a coverage
# can have, it binds Medicare Advantage and Medicaid/CHIP plans; not Marketplace or commercial.
CMS_0057F = Clock(standard=Span(7, "calendar_days"), expedited=Span(72, "hours"),
                  effective_from=date(2026, 1, 1),
                  source="CMS-0057-F Interoperability and Prior Authorization final rule [A]")
CMS_0057F_PLAN_TYPES = frozenset({"medicare_advantage", "medicaid_chip"})


@dataclass(frozen=True, slots=True)
class ExemptionReview:
    """When a provider earns an exemption from a program: approval rate over the review period.

    `period` is (month, day) to (month, day) within one calendar year; `per_service` counts each
    service (family group) separately instead of the program as a whole.
    """

    min_rate_percent: float
    min_requests: int
    period_from: tuple[int, int] = (1, 1)
    period_to: tuple[int, int] = (12, 31)
    per_service: bool = False
    exempt_months: int = 12
    source: str = ""

    def period(self, year: int) -> tuple[date, date]:
        return (date(year, *self.period_from), date(year, *self.period_to))


@dataclass(frozen=True, slots=True)
class Program:
    id: str
    name: str
    channel: str
    clocks: tuple[Clock, ...] = ()
    validity_days: int | None = None
    one_date_of_service: bool = False
    review: ExemptionReview | None = None
    source: str = ""

    def clock_on(self, day: date) -> Clock | None:
        return next((c for c in self.clocks if c.in_force(day)), None)

    def describe(self) -> str:
        parts = [f"{self.id}: {self.name} (channel {self.channel.replace('_', ' ')})"]
        for clock in self.clocks:
            until = "" if clock.effective_to == FOREVER else f" to {clock.effective_to}"
            since = "" if clock.effective_from == BEGINNING else f" from {clock.effective_from}"
            parts.append(f"  clock{since}{until}: {clock.describe()}")
        if self.validity_days:
            parts.append(f"  approval valid {self.validity_days} days"
                         + (", one date of service" if self.one_date_of_service else ""))
        if self.review:
            r = self.review
            parts.append(f"  exemption: ≥ {r.min_rate_percent:g} % approved of ≥ {r.min_requests} "
                         f"requests, {r.period_from[1]}/{r.period_from[0]}–"
                         f"{r.period_to[1]}/{r.period_to[0]}"
                         + (", per service" if r.per_service else ""))
        return "\n".join(parts)


def clock_for(program: Program | None, default: Clock | None, plan_type: str | None,
              submitted_on: date) -> Clock | None:
    """The clock a request made on `submitted_on` runs on: the program's version in force (or
    the payer's default), shortened to CMS-0057-F's for the plan types that rule binds."""
    clock = program.clock_on(submitted_on) if program else None
    clock = clock or (default if default and default.in_force(submitted_on) else None)
    if plan_type in CMS_0057F_PLAN_TYPES and CMS_0057F.in_force(submitted_on):
        if clock is None:
            return CMS_0057F
        sample = datetime(submitted_on.year, submitted_on.month, submitted_on.day, 12)
        return Clock(
            standard=min(clock.standard, CMS_0057F.standard, key=lambda s: s.after(sample)),
            expedited=min(clock.expedited, CMS_0057F.expedited, key=lambda s: s.after(sample)),
            effective_from=submitted_on, effective_to=submitted_on,
            source=f"{clock.source}; {CMS_0057F.source}".strip("; "))
    return clock
