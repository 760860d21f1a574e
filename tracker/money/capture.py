"""Charge capture: what performed sessions documented but did not bill, priced from the fee
schedule. What counts as missed is pure (tracker.rules.charges); this reads the store and adds
the amounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# The kinds of miss (tracker.rules.charges), in the order the board lists them.
KINDS = ("guidance_not_billed", "drug_not_billed", "trigger_point_muscles", "waste_not_billed")


@dataclass(frozen=True)
class MissedCharge:
    session_id: int
    date: date
    mrn: str
    provider: str
    payer: str
    kind: str
    code: str  # the line to add (or the code to bill instead)
    units: int
    amount_cents: int | None  # None: no fee on file for the code
    message: str


@dataclass(frozen=True)
class MissedCharges:
    since: date
    until: date
    charges: tuple[MissedCharge, ...]
    total_cents: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_month: dict[date, int] = field(default_factory=dict)  # the first of the session's month
    without_fee: int = 0  # misses whose code has no fee on file (not counted in the totals)


def missed_charges(engine: object, since: date, until: date) -> MissedCharges:
    """Every miss on the sessions performed from `since` to `until` (inclusive)."""
    raise NotImplementedError
