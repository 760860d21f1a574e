"""Each scheduled visit's readiness kept in `visit_readiness`, so the board can filter, count and
page by it in SQL.

The stored row is a copy of what `tracker.visits.readiness.readiness_of` said (through
`read_visits`, the one reading every surface shares), never a second definition. The pre-visit
check writes it for the sessions it evaluates; before the board reads a range,
`refresh_readiness` rewrites the rows whose inputs changed after they were computed: the
session or another session of the patient (a moved date, a performed session using up units),
one of the patient's authorizations (a decision, a flag, its lines, a series approval), one of
the patient's coverages, the stored evaluation, or a decision clock that ran out since.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, and_, exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.store.tables import (
    AuthorizationRow,
    CoverageRow,
    EvaluationResultRow,
    SessionRow,
    VisitReadinessRow,
    utc_now,
)
from tracker.visits.readiness import READINESSES
from tracker.visits.upcoming import read_visits, visit_query

RANK = {name: index for index, name in enumerate(READINESSES)}
_CHUNK = 500


def store_readiness(connection: Any, session_ids: Sequence[int],
                    now: datetime | None = None) -> int:
    """Compute and store the readiness of these scheduled sessions (in the caller's transaction);
    how many rows were written."""
    now = now or utc_now()
    stamp = utc_now()  # when it was computed, whatever moment it was computed for
    table = cast(Table, VisitReadinessRow.__table__)  # type: ignore[attr-defined]
    dialect = postgresql if connection.connection().dialect.name == "postgresql" else sqlite
    written = 0
    ordered = sorted(set(session_ids))
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start:start + _CHUNK]
        visits = read_visits(connection, visit_query().where(col(SessionRow.id).in_(chunk)), now)
        rows = [{"session_id": v.session_id, "readiness": v.readiness.readiness,
                 "rank": RANK[v.readiness.readiness], "computed_at": stamp} for v in visits]
        if not rows:
            continue
        statement = dialect.insert(table)
        connection.execute(statement.on_conflict_do_update(
            index_elements=[table.c.session_id],
            set_={name: statement.excluded[name] for name in ("readiness", "rank", "computed_at")}),
            rows)
        written += len(rows)
    return written


def stale_sessions(connection: Any, start: date, until: date, *,
                   provider_id: int | None = None, now: datetime) -> list[int]:
    """The scheduled sessions from `start` to `until` whose stored readiness is missing or older
    than one of its inputs."""
    session, stored = SessionRow, VisitReadinessRow
    same_patient, auth_session = aliased_sessions(), aliased_sessions()
    at = col(stored.computed_at)
    changed = or_(
        col(stored.session_id).is_(None),
        exists().where(same_patient.c.patient_id == col(session.patient_id),
                       same_patient.c.updated_at > at),
        exists().where(col(EvaluationResultRow.session_id) == col(session.id),
                       col(EvaluationResultRow.evaluated_at) > at),
        exists().where(col(CoverageRow.patient_id) == col(session.patient_id),
                       col(CoverageRow.updated_at) > at),
        exists(select(col(AuthorizationRow.id))
               .join(auth_session, auth_session.c.id == col(AuthorizationRow.session_id))
               .where(auth_session.c.patient_id == col(session.patient_id),
                      or_(col(AuthorizationRow.updated_at) > at,
                          and_(col(AuthorizationRow.decision_due_at) > at,
                               col(AuthorizationRow.decision_due_at) <= now)))))
    query = (select(col(session.id))
             .outerjoin(stored, col(stored.session_id) == col(session.id))
             .where(col(session.status) == "scheduled", col(session.date) >= start,
                    col(session.date) <= until, changed))
    if provider_id is not None:
        query = query.where(col(session.provider_id) == provider_id)
    return [row[0] for row in connection.execute(query)]


def refresh_readiness(engine: Engine, start: date, until: date, *,
                      provider_id: int | None = None, now: datetime | None = None) -> int:
    """Bring the stored readiness of the range up to date; how many visits were recomputed."""
    now = now or datetime.now(UTC)
    with DbSession(engine) as db:
        stale = stale_sessions(db, start, until, provider_id=provider_id, now=now)
        if not stale:
            return 0
        written = store_readiness(db, stale, now)
        db.commit()
    return written


def aliased_sessions() -> Any:
    return cast(Table, SessionRow.__table__).alias()  # type: ignore[attr-defined]
