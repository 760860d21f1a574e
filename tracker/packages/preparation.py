"""Preparing authorizations: assemble the package, check it against the payer policy, and move
the authorization to `ready` or `documentation_missing` — with an event row saying who, when and
why for every change.

One service function per use case, shared by the CLI, the flows and the board:
`prepare_authorization` for one, `prepare_open_authorizations` for every authorization still being
prepared.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.packages.assembly import AssembledPackage, assemble_package
from tracker.packages.completeness import Completeness, check_completeness
from tracker.packages.errors import NotPreparable, PackageError
from tracker.packages.package import AuthorizationPackage
from tracker.rules import evaluate, policy_for
from tracker.store.migrating import require_current_schema
from tracker.store.tables import AuthorizationEventRow, AuthorizationRow, utc_now

# Statuses a package may still be (re)checked in; later ones belong to submission and follow-up.
PREPARABLE = ("needed", "documentation_missing", "ready")
OPEN_FOR_PREPARATION = ("needed", "documentation_missing")


@dataclass(frozen=True)
class Preparation:
    authorization_id: int
    from_status: str
    to_status: str
    missing: tuple[str, ...]
    package: AuthorizationPackage

    @property
    def changed(self) -> bool:
        return self.from_status != self.to_status


@dataclass
class PreparationSummary:
    prepared: list[Preparation] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ready(self) -> list[int]:
        return [p.authorization_id for p in self.prepared if p.to_status == "ready"]

    @property
    def documentation_missing(self) -> list[int]:
        return [p.authorization_id for p in self.prepared
                if p.to_status == "documentation_missing"]


def prepare_authorization(engine: Engine, authorization_id: int, actor: str,
                          as_of: date | None = None) -> Preparation:
    """Build the package of one authorization and move it to ready or documentation_missing."""
    require_current_schema(engine)
    with DbSession(engine) as db:
        preparation = _prepare(db, authorization_id, actor, as_of or date.today())
        db.commit()
    return preparation


def prepare_open_authorizations(engine: Engine, actor: str,
                                as_of: date | None = None) -> PreparationSummary:
    """Prepare every authorization that is `needed` or `documentation_missing`, one transaction
    each, so one authorization's trouble never holds back the others."""
    require_current_schema(engine)
    day = as_of or date.today()
    with DbSession(engine) as db:
        ids = list(db.exec(select(AuthorizationRow.id)
                           .where(col(AuthorizationRow.status).in_(OPEN_FOR_PREPARATION))
                           .order_by(col(AuthorizationRow.id))))
    summary = PreparationSummary()
    for authorization_id in ids:
        assert authorization_id is not None
        with DbSession(engine) as db:
            try:
                summary.prepared.append(_prepare(db, authorization_id, actor, day))
            except PackageError as error:
                summary.problems.append(str(error))
                db.rollback()
                continue
            db.commit()
    return summary


def completeness_of(assembled: AssembledPackage) -> Completeness:
    """The engine's verdict on the package's session under its payer's policy, plus the
    package's own needs."""
    package = assembled.package
    result = evaluate(assembled.request, policy_for(package.coverage.payer))
    return check_completeness(package, result)


def _prepare(db: DbSession, authorization_id: int, actor: str, as_of: date) -> Preparation:
    auth = db.get(AuthorizationRow, authorization_id, with_for_update=True)
    if auth is not None and auth.status not in PREPARABLE:
        raise NotPreparable(authorization_id, auth.status)
    assembled = assemble_package(db, authorization_id, as_of)
    assert auth is not None and auth.id is not None
    completeness = completeness_of(assembled)
    missing = completeness.as_texts()
    from_status, to_status = auth.status, completeness.status
    if from_status != to_status or list(auth.missing_items or []) != missing:
        now = utc_now()
        db.add(AuthorizationEventRow(authorization_id=auth.id, from_status=from_status,
                                     to_status=to_status, actor=actor, at=now,
                                     reason=_reason(completeness, missing)))
        auth.status, auth.missing_items, auth.updated_at = to_status, missing, now
        db.add(auth)
    package = assembled.package
    return Preparation(authorization_id=auth.id, from_status=from_status, to_status=to_status,
                       missing=tuple(missing),
                       package=replace(package, status=to_status, missing=tuple(missing)))


def _reason(completeness: Completeness, missing: list[str]) -> str:
    if completeness.ready:
        return "package complete: every document the payer policy asks for is on file"
    return "documentation missing: " + "; ".join(missing)
