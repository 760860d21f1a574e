"""The prior-authorization exemptions ("gold cards") the practice holds: recorded on the board
(stored rows) or listed in a payer's policy file (`exemptions:`), read together."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.codes import load_catalog
from tracker.rules.policy_files import policies_in_force
from tracker.rules.session import Exemption
from tracker.store.tables import ExemptionRow


def as_exemption(row: ExemptionRow) -> Exemption:
    families = load_catalog().group_families(row.service_group) if row.service_group else None
    return Exemption(program=row.program, start=row.starts, end=row.ends,
                     codes=frozenset(row.codes or ()), families=frozenset(families or ()),
                     provider_npi=row.provider_npi, reference=row.reference)


def held_exemptions(db: DbSession) -> dict[str, tuple[Exemption, ...]]:
    """Every exemption the practice holds, by payer: the stored ones and the policy files'."""
    held: dict[str, list[Exemption]] = defaultdict(list)
    for payer, policy in policies_in_force().items():
        held[payer].extend(policy.exemptions)
    for row in db.exec(select(ExemptionRow).order_by(col(ExemptionRow.id))):
        held[row.payer].append(as_exemption(row))
    return {payer: tuple(found) for payer, found in held.items()}


def record_exemption(db: DbSession, *, payer: str, program: str, starts: date, ends: date,
                     recorded_by: str, codes: list[str] | None = None,
                     service_group: str | None = None, provider_npi: str | None = None,
                     reference: str = "") -> ExemptionRow:
    """Store an exemption; the caller has validated it (see tracker.authorizations.exemptions)."""
    row = ExemptionRow(payer=payer, program=program, starts=starts, ends=ends,
                       codes=list(codes or []), service_group=service_group,
                       provider_npi=provider_npi, reference=reference, recorded_by=recorded_by)
    db.add(row)
    db.flush()
    return row
