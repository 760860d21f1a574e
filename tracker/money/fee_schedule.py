"""The fee schedule: what the practice expects a payer to pay for a code, effective-dated.

A fee is for one payer, or for every payer (`ANY_PAYER`) when the practice keeps one schedule;
a payer's own fee wins over the any-payer one. Amounts are integer cents. A code with no fee on
file has no expected amount: it is counted apart ("no fee on file"), never as $0.

A line's expected amount is the fee × its units (once per line where the fee is not per unit),
and a bilateral line (modifier 50) of a code the catalog's `bilateral_payment` lists is paid at
its percent (150 %, the common payer rule). Every figure prices a line through `line_amount`:
at risk, protected and the charges to capture."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.codes import BilateralPayment, is_well_formed, load_catalog, normalize_code
from tracker.rules.session import CodeLine
from tracker.store.tables import FeeRow, utc_now

ANY_PAYER = "*"


@dataclass(frozen=True)
class Fee:
    payer: str
    code: str
    amount_cents: int
    effective_start: date
    effective_end: date | None = None  # the last day in force; None: open-ended
    per_unit: bool = True  # the payer pays the amount per unit billed (add-on levels, drug units)
    id: int | None = None

    def for_units(self, units: int) -> int:
        """The expected amount for a line of `units` units."""
        return self.amount_cents * max(units, 1) if self.per_unit else self.amount_cents

    def in_force(self, on: date) -> bool:
        return self.effective_start <= on and (self.effective_end is None
                                               or on <= self.effective_end)


@dataclass(frozen=True)
class Expected:
    """What a set of billed or booked lines should bring in: the priced amount and the codes
    that had no fee on file (so a caller can say how many visits it could not price)."""

    amount_cents: int
    unpriced: tuple[str, ...] = ()

    @property
    def fully_priced(self) -> bool:
        return not self.unpriced


def line_amount(fee: Fee, units: int, modifiers: tuple[str, ...] | list[str] = (),
                bilateral: BilateralPayment | None = None) -> int:
    """The expected amount of one line billed with `fee`: per unit or once, and a bilateral
    line at the catalog's bilateral percent."""
    amount = fee.for_units(units)
    rule = bilateral or load_catalog().bilateral_payment
    return rule.of(amount) if rule.applies(fee.code, modifiers) else amount


@dataclass(frozen=True)
class FeeSchedule:
    """Every fee on file, read once; lookups are in memory."""

    fees: tuple[Fee, ...]
    bilateral: BilateralPayment = field(
        default_factory=lambda: load_catalog().bilateral_payment, compare=False, repr=False)
    by_code: dict[str, tuple[Fee, ...]] = field(init=False, repr=False, compare=False)
    # the fee found for each (payer, code, date) asked: a practice's visits ask few of them
    _found: dict[tuple[str, str, date], Fee | None] = field(
        init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        index: dict[str, list[Fee]] = {}
        for fee in self.fees:
            index.setdefault(fee.code, []).append(fee)
        object.__setattr__(self, "by_code", {k: tuple(v) for k, v in index.items()})

    def expected_fee(self, payer: str, code: str, on: date) -> Fee | None:
        """The payer's fee for the code on the date, else the any-payer one, else None."""
        key = (payer, code, on)
        if key not in self._found:
            self._found[key] = self._fee_on(payer, normalize_code(code), on)
        return self._found[key]

    def _fee_on(self, payer: str, code: str, on: date) -> Fee | None:
        found: dict[str, Fee] = {}
        for fee in self.by_code.get(code, ()):
            if fee.payer in (payer, ANY_PAYER) and fee.in_force(on):
                known = found.get(fee.payer)
                if known is None or known.effective_start < fee.effective_start:
                    found[fee.payer] = fee
        return found.get(payer) or found.get(ANY_PAYER)

    def line_amount(self, fee: Fee, units: int,
                    modifiers: tuple[str, ...] | list[str] = ()) -> int:
        return line_amount(fee, units, modifiers, self.bilateral)

    def expected(self, payer: str, lines: Iterable[CodeLine | tuple[str, int]],
                 on: date) -> Expected:
        """The expected amount of code lines (or `(code, units)` pairs) for the payer on the
        date."""
        amount, unpriced = 0, []
        for line in lines:
            fee = self.expected_fee(payer, line[0], on)
            if fee is None:
                unpriced.append(normalize_code(line[0]))
            else:
                amount += line_amount(fee, line[1], line[2] if len(line) > 2 else (),
                                      self.bilateral)
        return Expected(amount, tuple(dict.fromkeys(unpriced)) if unpriced else ())


def expected_fee(schedule: FeeSchedule, payer: str, code: str, on: date) -> Fee | None:
    """The fee on file for the payer and code on the date (see FeeSchedule.expected_fee)."""
    return schedule.expected_fee(payer, code, on)


def _fee(row: FeeRow) -> Fee:
    return Fee(payer=row.payer, code=row.code, amount_cents=row.amount_cents,
               effective_start=row.effective_start, effective_end=row.effective_end,
               per_unit=row.per_unit, id=row.id)


def load_fee_schedule(engine: Engine) -> FeeSchedule:
    """Every fee on file, by payer, code and start date."""
    with DbSession(engine) as db:
        rows = db.exec(select(FeeRow).order_by(col(FeeRow.payer), col(FeeRow.code),
                                               col(FeeRow.effective_start))).all()
        return FeeSchedule(tuple(_fee(row) for row in rows))


class FeeProblem(ValueError):
    """A fee a person entered that cannot be kept: names the field and the fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def parse_amount(text: str, field: str = "amount") -> int:
    """`$1,850`, `1850`, `285.00` as cents; never through a float."""
    cleaned = (text or "").strip().removeprefix("$").replace(",", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise FeeProblem(field, f"{field} {text!r} is not an amount in dollars with at most "
                                "cents, e.g. 285 or 1,850.00")
    return int(value * 100)


def fee_code(text: str, field: str = "code") -> str:
    code = normalize_code(text or "")
    if not is_well_formed(code):
        raise FeeProblem(field, f"{field} {text!r} is not a CPT or HCPCS code (5 digits, or a "
                                "letter + 4 digits, e.g. 64483 or J1010)")
    return code


def set_fee(engine: Engine, fee: Fee) -> Fee:
    """Record a fee, replacing the one of the same payer, code and start date."""
    if fee.effective_end is not None and fee.effective_end < fee.effective_start:
        raise FeeProblem("effective_end", f"effective_end {fee.effective_end} is before "
                                          f"effective_start {fee.effective_start}")
    with DbSession(engine) as db:
        row = db.exec(select(FeeRow).where(
            col(FeeRow.payer) == fee.payer, col(FeeRow.code) == fee.code,
            col(FeeRow.effective_start) == fee.effective_start)).first()
        if row is None:
            row = FeeRow(payer=fee.payer, code=fee.code, amount_cents=fee.amount_cents,
                         per_unit=fee.per_unit, effective_start=fee.effective_start,
                         effective_end=fee.effective_end)
        else:
            row.amount_cents, row.per_unit = fee.amount_cents, fee.per_unit
            row.effective_end, row.updated_at = fee.effective_end, utc_now()
        db.add(row)
        db.commit()
        db.refresh(row)
        return _fee(row)


def remove_fee(engine: Engine, fee_id: int) -> bool:
    with DbSession(engine) as db:
        row = db.get(FeeRow, fee_id)
        if row is None:
            return False
        db.delete(row)
        db.commit()
        return True


def dollars(cents: int) -> str:
    """`$1,850.00` from 185000."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"
