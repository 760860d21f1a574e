"""Progress towards each exemption ("gold card") threshold: each provider's decided requests per
program (and service, where the program counts services apart) in the program's review period,
counted in SQL — the same figures as `tracker.authorizations.exemptions.approval_rates` (a test
keeps them equal), grouped by the database instead of read row by row, so a practice with
a hundred thousand requests a year still gets its Practice page in under a second."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, literal
from sqlalchemy import select as columns
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.authorizations.exemptions import AFFIRMED, ApprovalRate
from tracker.authorizations.exemptions import DECIDED as EXEMPTION_DECIDED
from tracker.figures.approvals import NO_SERVICE, first_procedure, service_of
from tracker.rules.policy_files import policies_in_force
from tracker.store.tables import AuthorizationRow, ProviderRow, SessionRow

NO_PROCEDURE = "other"  # approval_rates' word for a request with no procedure line


def exemption_progress(engine: Engine, year: int) -> list[ApprovalRate]:
    tally: dict[tuple[str, str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    reviews = {}
    with DbSession(engine) as db:
        for payer, policy in sorted(policies_in_force().items()):
            for program in policy.programs.values():
                if program.review is None:
                    continue
                reviews[(payer, program.id)] = program.review
                low, high = program.review.period(year)
                # the service only where the program counts services apart (a subquery a row)
                service = (first_procedure() if program.review.per_service
                           else literal(None)).label("service")
                query = (columns(col(ProviderRow.npi), col(ProviderRow.name), service,
                                 col(AuthorizationRow.status), func.count(literal(1)))
                         .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
                         .join(ProviderRow, col(ProviderRow.id) == col(SessionRow.provider_id))
                         .where(col(AuthorizationRow.payer) == payer,
                                col(AuthorizationRow.program) == program.id,
                                col(AuthorizationRow.status).in_(EXEMPTION_DECIDED),
                                col(AuthorizationRow.decided_at) >= _midnight(low),
                                col(AuthorizationRow.decided_at)
                                < _midnight(high + timedelta(days=1)))
                         .group_by(col(ProviderRow.npi), col(ProviderRow.name), service,
                                   col(AuthorizationRow.status)))
                rows: list[Any] = list(db.execute(query).all())
                for npi, name, code, status, count in rows:
                    label = "all services"
                    if program.review.per_service:
                        label = service_of(code)
                        label = NO_PROCEDURE if label == NO_SERVICE else label
                    counts = tally[(npi, name, payer, program.id, label)]
                    counts[0] += count
                    counts[1] += count if status in AFFIRMED else 0
    found = []
    for (npi, name, payer, program_id, service), (requests, approved) in tally.items():
        review = reviews[(payer, program_id)]
        found.append(ApprovalRate(
            provider_npi=npi, provider_name=name, payer=payer, program=program_id,
            service=service, period=review.period(year), requests=requests, approved=approved,
            min_rate_percent=review.min_rate_percent, min_requests=review.min_requests))
    return sorted(found, key=lambda r: (r.standing != "qualifies", r.standing != "close",
                                        -r.rate_percent, r.provider_name, r.program, r.service))


def _midnight(day: Any) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
