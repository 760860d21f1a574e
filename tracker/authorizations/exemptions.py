"""Exemptions ("gold cards"): the ones the practice holds, recording a new one, and each
provider's approval rate per program and service over the program's review period — who
qualifies, and who is close."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy import select as columns
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.codes import load_catalog
from tracker.dates import parse_date
from tracker.errors import InputError
from tracker.rules.policy_files import payer_id, policies_in_force
from tracker.rules.programs import Program
from tracker.store.exemptions import record_exemption
from tracker.store.tables import (
    AuthorizationRow,
    ExemptionRow,
    ProviderRow,
    SessionCodeRow,
    SessionRow,
)

AFFIRMED = frozenset({"approved"})
DECIDED = frozenset({"approved", "partial", "denied"})
CLOSE_POINTS = 10.0  # a rate within this many points of the threshold is "close"


@dataclass(frozen=True)
class ApprovalRate:
    provider_npi: str
    provider_name: str
    payer: str
    program: str
    service: str  # a family group (e.g. esi), or "all services" when the program counts them all
    period: tuple[date, date]
    requests: int
    approved: int
    min_rate_percent: float
    min_requests: int

    @property
    def rate_percent(self) -> float:
        return 100.0 * self.approved / self.requests if self.requests else 0.0

    @property
    def qualifies(self) -> bool:
        return self.requests >= self.min_requests and self.rate_percent >= self.min_rate_percent

    @property
    def standing(self) -> str:
        """`qualifies`, `close` (within reach of the threshold) or `not yet`."""
        if self.qualifies:
            return "qualifies"
        near_rate = self.rate_percent >= self.min_rate_percent - CLOSE_POINTS
        near_count = self.requests >= self.min_requests - 3
        return "close" if near_rate and near_count else "not yet"

    def describe(self) -> str:
        return (f"{self.provider_name} (NPI {self.provider_npi}), {self.program} {self.service}: "
                f"{self.approved} of {self.requests} approved ({self.rate_percent:.0f} %) "
                f"{self.period[0]}–{self.period[1]}; needs ≥ {self.min_rate_percent:g} % of "
                f"≥ {self.min_requests}: {self.standing}")


def _service(codes: list[str]) -> str:
    catalog = load_catalog()
    for code in codes:
        entry = catalog.get(code)
        if entry is None or entry.family in ("imaging", "drug"):
            continue
        return next((name for name, families in catalog.groups.items()
                     if entry.family in families), entry.family)
    return "other"


def approval_rates(engine: Engine, year: int) -> list[ApprovalRate]:
    """Each provider's decided requests per program (and service, where the program counts
    services apart) whose decision fell in the program's review period of `year`."""
    programs: dict[tuple[str, str], Program] = {
        (payer, program.id): program for payer, policy in policies_in_force().items()
        for program in policy.programs.values() if program.review is not None}
    tally: dict[tuple[str, str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    with DbSession(engine) as db:
        rows: Any = db.execute(
            columns(col(AuthorizationRow.payer), col(AuthorizationRow.program),
                    col(AuthorizationRow.status), col(AuthorizationRow.decided_at),
                    col(AuthorizationRow.session_id), col(ProviderRow.npi), col(ProviderRow.name))
            .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
            .join(ProviderRow, col(ProviderRow.id) == col(SessionRow.provider_id))
            .where(col(AuthorizationRow.program).is_not(None),
                   col(AuthorizationRow.status).in_(DECIDED),
                   col(AuthorizationRow.decided_at).is_not(None))).all()
        codes: dict[int, list[str]] = defaultdict(list)
        session_ids = sorted({row[4] for row in rows})
        for start in range(0, len(session_ids), 900):
            for session_id, code in db.exec(
                    select(SessionCodeRow.session_id, SessionCodeRow.code)
                    .where(col(SessionCodeRow.session_id).in_(session_ids[start:start + 900]))
                    .order_by(col(SessionCodeRow.position))):
                codes[session_id].append(code)
    for payer, program_id, status, decided_at, session_id, npi, name in rows:
        program = programs.get((payer, program_id or ""))
        if program is None or program.review is None:
            continue
        low, high = program.review.period(year)
        decided = decided_at.date() if isinstance(decided_at, datetime) else decided_at
        if not low <= decided <= high:
            continue
        service = _service(codes[session_id]) if program.review.per_service else "all services"
        counts = tally[(npi, name, payer, program.id, service)]
        counts[0] += 1
        counts[1] += status in AFFIRMED
    found = []
    for (npi, name, payer, program_id, service), (requests, approved) in tally.items():
        review = programs[(payer, program_id)].review
        assert review is not None
        found.append(ApprovalRate(
            provider_npi=npi, provider_name=name, payer=payer, program=program_id,
            service=service, period=review.period(year), requests=requests, approved=approved,
            min_rate_percent=review.min_rate_percent, min_requests=review.min_requests))
    return sorted(found, key=lambda r: (r.standing != "qualifies", r.standing != "close",
                                        -r.rate_percent, r.provider_name, r.program, r.service))


def held(engine: Engine) -> list[ExemptionRow]:
    with DbSession(engine) as db:
        return list(db.exec(select(ExemptionRow).order_by(col(ExemptionRow.ends).desc())))


def add_exemption(engine: Engine, *, payer: str, program: str, starts: str, ends: str,
                  actor: str, group: str = "", codes: str = "", provider_npi: str = "",
                  reference: str = "") -> ExemptionRow:
    """Record an exemption from the board's form; raises InputError naming the field."""
    policies = policies_in_force()
    found = payer_id(payer, policies)
    if found is None:
        raise InputError("payer", f"unknown payer {payer!r}; known payers: "
                         f"{', '.join(sorted(policies))}")
    programs = policies[found].programs
    if program not in programs:
        raise InputError("program", f"unknown program {program!r} of {found}; its programs: "
                         f"{', '.join(sorted(programs)) or 'none'}")
    try:
        start, end = parse_date(starts.strip()), parse_date(ends.strip())
    except ValueError as err:
        raise InputError("starts", f"{err}; give the letter's first and last day") from None
    if end < start:
        raise InputError("ends", f"{end} is before {start}")
    catalog = load_catalog()
    group = group.strip() or ""
    if group and catalog.group_families(group) is None:
        raise InputError("group", f"unknown service group {group!r}; use one of: "
                         f"{', '.join(sorted(set(catalog.groups) | catalog.families))}")
    code_list = [c.strip().upper() for c in codes.replace(",", " ").split() if c.strip()]
    for code in code_list:
        if code not in catalog.codes:
            raise InputError("codes", f"{code} is not a code of the procedure catalog")
    npi = provider_npi.strip() or None
    if npi is not None and not (len(npi) == 10 and npi.isdigit()):
        raise InputError("provider_npi", f"{npi!r} is not a 10-digit NPI; leave it empty for "
                         "the whole practice")
    with DbSession(engine) as db:
        row = record_exemption(db, payer=found, program=program, starts=start, ends=end,
                               recorded_by=actor, codes=code_list, service_group=group or None,
                               provider_npi=npi, reference=reference.strip())
        db.commit()
        db.refresh(row)
        return row
