"""Charge capture: what performed sessions documented but did not bill, priced from the fee
schedule. What counts as missed is pure (tracker.rules.charges); this reads the store and adds
the amounts."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, and_, func, literal_column, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.codes import load_catalog
from tracker.codes.catalog import Catalog
from tracker.money.billing_lines import session_lines, session_payers
from tracker.money.fee_schedule import FeeSchedule, load_fee_schedule
from tracker.rules import charges as charge_rules
from tracker.rules.charges import Documentation, DrugGiven, Miss, missed_lines
from tracker.store.tables import ChargeCheckRow, PatientRow, ProviderRow, SessionRow, utc_now

_CHUNK = 2000

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
    """Every miss on the sessions performed from `since` to `until` (inclusive), oldest first.

    Each performed session's misses are worked out once and kept (`charge_checks`, forgotten by
    triggers when the session or its lines change): the period's sessions without a current
    check are worked out first, then the stored misses are read and priced."""
    catalog = load_catalog()
    schedule = load_fee_schedule(engine)
    rules = rules_fingerprint()
    check = ChargeCheckRow
    with DbSession(engine) as db:
        check_performed_sessions(db, since, until, rules, catalog)
        db.commit()
        rows = db.execute(
            select(col(check.session_id), col(check.date), col(check.misses),
                   col(PatientRow.mrn), col(ProviderRow.name))
            .join(SessionRow, col(SessionRow.id) == col(check.session_id))
            .join(PatientRow, col(PatientRow.id) == col(SessionRow.patient_id))
            .outerjoin(ProviderRow, col(ProviderRow.id) == col(SessionRow.provider_id))
            # `missed > 0` as written in the partial index ix_charge_checks_missed_date
            .where(col(check.missed) > literal_column("0"), col(check.date) >= since,
                   col(check.date) <= until, col(check.rules) == rules)
            .order_by(col(check.date), col(PatientRow.mrn))).all()
        # the payer only of the sessions that missed a charge: few of the performed ones
        payers = session_payers(db, [row[0] for row in rows])
    charges: list[MissedCharge] = []
    for sid, day, misses, mrn, provider in rows:
        payer = payers.get(sid, "")
        for stored in misses:
            miss = Miss(**stored)
            charges.append(MissedCharge(
                session_id=sid, date=day, mrn=mrn, provider=provider or "", payer=payer,
                kind=miss.kind, code=miss.code, units=miss.units,
                amount_cents=_amount(schedule, payer, miss, day), message=miss.message,
                instead_of=miss.instead_of))
    return _totals(since, until, charges)


@lru_cache(maxsize=1)
def rules_fingerprint() -> str:
    """The code catalog and the charge rules a stored check was worked out under: a release that
    changes either makes every stored check count as missing."""
    digest = hashlib.sha256(Path(charge_rules.__file__).read_bytes())
    digest.update(resources.files("tracker.codes").joinpath("catalog.yaml").read_bytes())
    return digest.hexdigest()[:16]


def check_performed_sessions(db: DbSession, since: date, until: date, rules: str,
                             catalog: Catalog) -> int:
    """Work out and keep the misses of the sessions performed from `since` to `until` that have
    no current check (in the caller's transaction); how many were worked out."""
    session, check = SessionRow, ChargeCheckRow
    in_range = [col(session.status) == "performed", col(session.date) >= since,
                col(session.date) <= until]
    performed = db.execute(select(func.count()).select_from(session).where(*in_range))
    checked = db.execute(select(func.count()).select_from(check).where(
        col(check.rules) == rules, col(check.date) >= since, col(check.date) <= until))
    if performed.scalar_one() == checked.scalar_one():  # a changed session's check is gone
        return 0
    unchecked = db.execute(
        select(col(session.id), col(session.date), col(session.guidance),
               col(session.drugs_given), col(session.muscles))
        .outerjoin(check, and_(col(check.session_id) == col(session.id),
                               col(check.rules) == rules))
        .where(*in_range, col(check.session_id).is_(None))).all()
    # only a session whose note documents something (guidance, drugs, muscles) can miss one
    documented = [row for row in unchecked
                  if row[2] is not None or row[3] or row[4] is not None]
    lines = session_lines(db, [row[0] for row in documented]) if documented else {}
    misses = {row[0]: missed_lines(lines.get(row[0], []),
                                   documentation_of(row[2], row[3], row[4]), catalog)
              for row in documented}
    stamp = utc_now()
    table = cast(Table, ChargeCheckRow.__table__)  # type: ignore[attr-defined]
    dialect = postgresql if db.connection().dialect.name == "postgresql" else sqlite
    for start in range(0, len(unchecked), _CHUNK):
        found = [{"session_id": sid, "date": day, "rules": rules,
                  "missed": len(misses.get(sid, ())),
                  "misses": [asdict(miss) for miss in misses.get(sid, ())],
                  "computed_at": stamp}
                 for sid, day, *_ in unchecked[start:start + _CHUNK]]
        statement = dialect.insert(table)
        db.execute(statement.on_conflict_do_update(
            index_elements=[table.c.session_id],
            set_={name: statement.excluded[name] for name in found[0] if name != "session_id"}),
            found)
    return len(unchecked)


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
