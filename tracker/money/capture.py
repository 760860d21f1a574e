"""Charge capture: what performed sessions documented but did not bill, priced from the fee
schedule. What counts as missed is pure (tracker.rules.charges); this reads the store and adds
the amounts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Engine, String, and_, cast, or_, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.codes import load_catalog
from tracker.money.billing_lines import session_lines, session_payers
from tracker.money.fee_schedule import FeeSchedule, load_fee_schedule
from tracker.rules.charges import Documentation, DrugGiven, Miss, missed_lines
from tracker.store.tables import PatientRow, ProviderRow, SessionRow

# The kinds of miss (tracker.rules.charges), in the order the board lists them.
KINDS = ("guidance_not_billed", "drug_not_billed", "trigger_point_muscles", "waste_not_billed")
KIND_WORDS = {
    "guidance_not_billed": "imaging guidance not billed",
    "drug_not_billed": "drug given, no J-code line",
    "trigger_point_muscles": "trigger-point muscles and code disagree",
    "waste_not_billed": "discarded drug without its JW line",
}


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
    instead_of: str | None = None  # the billed code the right one replaces


@dataclass(frozen=True)
class MissedCharges:
    since: date
    until: date
    charges: tuple[MissedCharge, ...]
    total_cents: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_month: dict[date, int] = field(default_factory=dict)  # the first of the session's month
    without_fee: int = 0  # misses whose code has no fee on file (not counted in the totals)


def missed_charges(engine: Engine, since: date, until: date) -> MissedCharges:
    """Every miss on the sessions performed from `since` to `until` (inclusive), oldest first."""
    catalog = load_catalog()
    schedule = load_fee_schedule(engine)
    with DbSession(engine) as db:
        documented_sessions = (
            select(col(SessionRow.id), col(SessionRow.patient_id), col(SessionRow.date),
                   col(SessionRow.guidance), col(SessionRow.drugs_given),
                   col(SessionRow.muscles), col(PatientRow.mrn), col(ProviderRow.name))
            .join(PatientRow, col(PatientRow.id) == col(SessionRow.patient_id))
            .outerjoin(ProviderRow, col(ProviderRow.id) == col(SessionRow.provider_id))
            .where(col(SessionRow.status) == "performed", col(SessionRow.date) >= since,
                   col(SessionRow.date) <= until, _documented()))
        rows = db.execute(documented_sessions.order_by(col(SessionRow.date),
                                                       col(PatientRow.mrn))).all()
        lines = session_lines(db, [row[0] for row in rows])
        found = [(row, misses) for row in rows
                 if (misses := missed_lines(lines.get(row[0], []),
                                            documentation_of(row[3], row[4], row[5]), catalog))]
        # the payer only of the sessions that missed a charge: few of the documented ones
        payers = session_payers(db, [row[0] for row, _ in found])
    charges: list[MissedCharge] = []
    for (sid, _, day, _, _, _, mrn, provider), misses in found:
        payer = payers.get(sid, "")
        for miss in misses:
            charges.append(MissedCharge(
                session_id=sid, date=day, mrn=mrn, provider=provider or "", payer=payer,
                kind=miss.kind, code=miss.code, units=miss.units,
                amount_cents=_amount(schedule, payer, miss, day), message=miss.message,
                instead_of=miss.instead_of))
    return _totals(since, until, charges)


def _documented() -> Any:
    """The sessions whose procedure note documents something: only they can miss a charge
    (guidance, drugs given or muscles; a JSON null of drugs_given documents nothing)."""
    drugs = col(SessionRow.drugs_given)
    return or_(col(SessionRow.guidance).is_not(None), col(SessionRow.muscles).is_not(None),
               and_(drugs.is_not(None), cast(drugs, String) != "null"))


def documentation_of(guidance: str | None, drugs_given: list[dict[str, Any]] | None,
                     muscles: int | None) -> Documentation:
    """What a session's procedure note documents, as the import stored it."""
    drugs = tuple(DrugGiven(code=str(d["code"]), dose_mg=float(d.get("dose_mg") or 0),
                            wasted_mg=float(d.get("wasted_mg") or 0))
                  for d in drugs_given or ())
    return Documentation(guidance=guidance, drugs=drugs, muscles=muscles)


def _amount(schedule: FeeSchedule, payer: str, miss: Miss, on: date) -> int | None:
    fee = schedule.expected_fee(payer, miss.code, on)
    if fee is None:
        return None
    amount = schedule.line_amount(fee, miss.units)
    if miss.instead_of is None:
        return amount
    billed = schedule.expected_fee(payer, miss.instead_of, on)
    if billed is None:
        return None
    # the right code replaces the billed one: what is missed is the difference (none when the
    # session billed more than its documentation supports)
    return max(amount - schedule.line_amount(billed, 1), 0)


def _totals(since: date, until: date, charges: list[MissedCharge]) -> MissedCharges:
    by_kind: dict[str, int] = defaultdict(int)
    by_month: dict[date, int] = defaultdict(int)
    for charge in charges:
        if charge.amount_cents is not None:
            by_kind[charge.kind] += charge.amount_cents
            by_month[charge.date.replace(day=1)] += charge.amount_cents
    return MissedCharges(
        since=since, until=until, charges=tuple(charges),
        total_cents=sum(by_kind.values()),
        by_kind={k: by_kind[k] for k in KINDS if k in by_kind},
        by_month=dict(sorted(by_month.items())),
        without_fee=sum(1 for c in charges if c.amount_cents is None))


def as_rows(found: MissedCharges) -> list[dict[str, Any]]:
    """The misses as flat rows (CSV, artifacts)."""
    return [{"date": c.date.isoformat(), "mrn": c.mrn, "provider": c.provider, "payer": c.payer,
             "kind": c.kind, "code": c.code, "units": c.units,
             "amount_cents": c.amount_cents, "message": c.message} for c in found.charges]
