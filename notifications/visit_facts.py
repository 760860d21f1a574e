"""The upcoming visits as the alert rules read them: the scheduler's view (`upcoming_visits`)
plus the visit's provider and the details of its newest authorization."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from notifications.rules import VisitFacts
from tracker.authorizations.billing_review import review_text
from tracker.store.tables import AuthorizationRow, EvaluationResultRow, PatientRow, SessionRow
from tracker.visits.upcoming import upcoming_visits

_IN_CHUNK = 900


def visit_facts(engine: Engine, start: date, days: int) -> list[VisitFacts]:
    """Every scheduled visit from `start` for `days` days, with what the alert rules need."""
    visits = upcoming_visits(engine, start, days)
    ids = [v.session_id for v in visits]
    with DbSession(engine) as db:
        providers, auth_required = _providers_and_auth_required(db, ids)
    facts = []
    for v in visits:
        auth = v.authorization  # the one readiness read: the visit's own, or a series' approval
        facts.append(VisitFacts(
            session_id=v.session_id, patient_id=v.patient_id, mrn=v.mrn, date=v.date,
            provider_id=providers.get(v.session_id), codes=v.codes, payer=v.payer,
            verdict=v.verdict,
            finding_codes=frozenset(f.split(":", 1)[0] for f in v.findings),
            counters=v.counters, next_eligible_date=v.next_eligible_date,
            prior_auth_required=auth_required.get(v.session_id, False),
            auth_id=auth.id if auth else None, auth_status=auth.status if auth else None,
            auth_valid_to=auth.valid_to if auth else None,
            auth_decision_due_at=_utc(auth.decision_due_at) if auth else None,
            auth_flags=tuple(auth.flags or ()) if auth else (),
            auth_missing_items=tuple(auth.missing_items or ()) if auth else (),
            readiness=v.readiness.readiness, reasons=v.reasons))
    return facts


def billing_review_facts(engine: Engine, since: date) -> list[VisitFacts]:
    """Performed sessions since `since` whose authorization is flagged for billing review (what
    was performed differs from what was authorized), with the finding."""
    facts = []
    with DbSession(engine) as db:
        rows = db.execute(
            select(AuthorizationRow, SessionRow, PatientRow)
            .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
            .join(PatientRow, col(PatientRow.id) == col(SessionRow.patient_id))
            .where(col(AuthorizationRow.status).in_(("approved", "partial")),
                   col(AuthorizationRow.updated_at) >= datetime.combine(since, time(), UTC))).all()
        for auth, session, patient in rows:
            if "billing_review" not in (auth.flags or []) or auth.id is None:
                continue
            facts.append(VisitFacts(
                session_id=session.id or 0, patient_id=patient.id or 0, mrn=patient.mrn,
                date=session.date, provider_id=session.provider_id, codes="", payer=auth.payer,
                verdict="", auth_id=auth.id, auth_status=auth.status,
                auth_flags=tuple(auth.flags or ()),
                billing_review=review_text(db, auth.id) or "see the authorization"))
    return facts


def _providers_and_auth_required(db: Any, ids: list[int]) -> tuple[dict[int, int], dict[int, bool]]:
    providers: dict[int, int] = {}
    required: dict[int, bool] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        chunk = ids[start:start + _IN_CHUNK]
        rows = db.execute(
            select(col(SessionRow.id), col(SessionRow.provider_id), col(EvaluationResultRow.result))
            .outerjoin(EvaluationResultRow, col(EvaluationResultRow.session_id) == col(SessionRow.id))
            .where(col(SessionRow.id).in_(chunk)))
        for session_id, provider_id, result in rows:
            if provider_id is not None:
                providers[session_id] = provider_id
            required[session_id] = bool((result or {}).get("prior_auth_required"))
    return providers, required


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
