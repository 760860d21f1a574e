"""The fee schedule: what the practice expects a payer to pay for a code, effective-dated.

A fee is for one payer, or for every payer (`ANY_PAYER`) when the practice keeps one schedule;
a payer's own fee wins over the any-payer one. Amounts are integer cents. A code with no fee on
file has no expected amount: it is counted apart ("no fee on file"), never as $0."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

ANY_PAYER = "*"


@dataclass(frozen=True)
class Fee:
    payer: str
    code: str
    amount_cents: int
    effective_start: date
    effective_end: date | None = None  # the last day in force; None: open-ended
    per_unit: bool = True  # the payer pays the amount per unit billed (add-on levels, drug units)

    def for_units(self, units: int) -> int:
        """The expected amount for a line of `units` units."""
        raise NotImplementedError


@dataclass(frozen=True)
class FeeSchedule:
    """Every fee on file, read once; lookups are in memory."""

    fees: tuple[Fee, ...]

    def expected_fee(self, payer: str, code: str, on: date) -> Fee | None:
        """The payer's fee for the code on the date, else the any-payer one, else None."""
        raise NotImplementedError


@dataclass(frozen=True)
class Expected:
    """What a set of billed or booked lines should bring in: the priced amount and the codes
    that had no fee on file (so a caller can say how many visits it could not price)."""

    amount_cents: int
    unpriced: tuple[str, ...] = ()

    @property
    def fully_priced(self) -> bool:
        return not self.unpriced
