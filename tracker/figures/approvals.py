"""Approval rates: of the requests the payer decided in a period, how many it approved — per
payer, program, service and provider, and per payer month by month. Counted in SQL (one grouped
query per period); docs/figures.md says what counts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, func, literal
from sqlalchemy import select as columns
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.codes import load_catalog
from tracker.figures.months import Period
from tracker.store.tables import AuthorizationRow, ProviderRow, SessionCodeRow, SessionRow

# A decision on the request's merits. "rejected" (the payer could not read it) is not one, nor
# is a pended request; cancelled and expired requests were never decided.
DECIDED = ("approved", "partial", "denied")
NO_PROGRAM = "no program named"
NO_PROVIDER = "no provider on the visit"
NO_SERVICE = "no procedure code"


@dataclass(frozen=True)
class Rate:
    """Decided requests under one label: approved (in full), partial and denied."""

    label: str
    approved: int = 0
    partial: int = 0
    denied: int = 0

    @property
    def decided(self) -> int:
        return self.approved + self.partial + self.denied

    @property
    def rate_percent(self) -> float | None:
        """Approved in full, of those decided; None when nothing was decided."""
        return 100.0 * self.approved / self.decided if self.decided else None

    def plus(self, status: str, count: int) -> Rate:
        return Rate(self.label, self.approved + count * (status == "approved"),
                    self.partial + count * (status == "partial"),
                    self.denied + count * (status == "denied"))


@dataclass(frozen=True)
class ApprovalFigures:
    period: Period
    overall: Rate
    by_payer: tuple[Rate, ...]
    by_program: tuple[Rate, ...]
    by_service: tuple[Rate, ...]
    by_provider: tuple[Rate, ...]


@lru_cache(maxsize=1)
def _procedure_codes() -> tuple[str, ...]:
    return tuple(sorted(code for code, entry in load_catalog().codes.items()
                        if entry.family not in ("imaging", "drug")))


def service_of(code: str | None) -> str:
    """A procedure code's service: its family group (esi, facet, scs_all) or its family."""
    catalog = load_catalog()
    entry = catalog.get(code or "")
    if entry is None:
        return NO_SERVICE
    return next((name for name, families in catalog.groups.items() if entry.family in families),
                entry.family)


def first_procedure() -> Any:
    """The session's first procedure line (imaging guidance and drugs are not the service)."""
    return (columns(col(SessionCodeRow.code))
            .where(col(SessionCodeRow.session_id) == col(SessionRow.id),
                   col(SessionCodeRow.code).in_(_procedure_codes()))
            .order_by(col(SessionCodeRow.position)).limit(1)
            .correlate(SessionRow).scalar_subquery())


def _decided_counts(db: DbSession, period: Period) -> list[Any]:
    service = first_procedure().label("service")
    query = (columns(col(AuthorizationRow.payer), col(AuthorizationRow.program),
                     col(ProviderRow.name), service, col(AuthorizationRow.status),
                     func.count(literal(1)))
             .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
             .outerjoin(ProviderRow, col(ProviderRow.id) == col(SessionRow.provider_id))
             .where(col(AuthorizationRow.status).in_(DECIDED),
                    col(AuthorizationRow.decided_at) >= period.starts_at,
                    col(AuthorizationRow.decided_at) < period.ends_before)
             .group_by(col(AuthorizationRow.payer), col(AuthorizationRow.program),
                       col(ProviderRow.name), service, col(AuthorizationRow.status)))
    return list(db.execute(query).all())


def _tally(rows: list[Any], key: Any) -> tuple[Rate, ...]:
    found: dict[str, Rate] = {}
    for row in rows:
        label = key(row)
        found[label] = found.get(label, Rate(label)).plus(row[4], row[5])
    return tuple(sorted(found.values(), key=lambda r: (-r.decided, r.label)))


def approval_figures(engine: Engine, period: Period) -> ApprovalFigures:
    """Requests decided in `period` (by the decision's date), approved of decided."""
    with DbSession(engine) as db:
        rows = _decided_counts(db, period)
    overall = Rate("all payers")
    for row in rows:
        overall = overall.plus(row[4], row[5])
    return ApprovalFigures(
        period=period, overall=overall,
        by_payer=_tally(rows, lambda r: r[0]),
        by_program=_tally(rows, lambda r: f"{r[0]} {r[1]}" if r[1] else f"{r[0]} {NO_PROGRAM}"),
        by_service=_tally(rows, lambda r: service_of(r[3])),
        by_provider=_tally(rows, lambda r: r[2] or NO_PROVIDER))


def payer_rates_by_month(engine: Engine, months: list[Period]) -> dict[str, list[Rate]]:
    """Each payer's rate in each of `months` (oldest first): payer -> one Rate per month,
    labelled with the month."""
    found: dict[str, dict[str, Rate]] = defaultdict(dict)
    with DbSession(engine) as db:
        for period in months:
            query = (columns(col(AuthorizationRow.payer), col(AuthorizationRow.status),
                             func.count(literal(1)))
                     .where(col(AuthorizationRow.status).in_(DECIDED),
                            col(AuthorizationRow.decided_at) >= period.starts_at,
                            col(AuthorizationRow.decided_at) < period.ends_before)
                     .group_by(col(AuthorizationRow.payer), col(AuthorizationRow.status)))
            for payer, status, count in db.execute(query).all():
                rate = found[payer].get(period.label, Rate(period.label))
                found[payer][period.label] = rate.plus(status, count)
    return {payer: [per_month.get(p.label, Rate(p.label)) for p in months]
            for payer, per_month in sorted(found.items())}
