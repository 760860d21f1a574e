"""The readiness history of scheduled visits: a row each time a visit's readiness changes, as
the pre-visit check reads it. It is what shows a visit painauth flagged (`stop` or `act`) and that
someone then fixed or moved before its date (tracker.money.at_risk.protected)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, func
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.store.tables import ReadinessChangeRow, utc_now
from tracker.visits.upcoming import UpcomingVisit


def record_readiness(engine: Engine, visits: Sequence[UpcomingVisit], *,
                     at: datetime | None = None) -> int:
    """Write the readiness of each visit whose readiness (or booked date) differs from the last
    one recorded; the number of rows written. Reading the same board twice writes nothing."""
    at = at or utc_now()
    written = 0
    with DbSession(engine) as db:
        last = _last_recorded(db, [v.session_id for v in visits])
        for visit in visits:
            now = (visit.readiness.readiness, visit.date)
            if last.get(visit.session_id) == now:
                continue
            db.add(ReadinessChangeRow(
                session_id=visit.session_id, readiness=visit.readiness.readiness,
                reason=(visit.reasons[0] if visit.reasons else None), visit_date=visit.date,
                at=at))
            written += 1
        db.commit()
    return written


def _last_recorded(db: DbSession, session_ids: Sequence[int]) -> dict[int, tuple[str, object]]:
    last: dict[int, tuple[str, object]] = {}
    ids = sorted(set(session_ids))
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        newest = (select(col(ReadinessChangeRow.session_id),
                         func.max(col(ReadinessChangeRow.id)).label("id"))
                  .where(col(ReadinessChangeRow.session_id).in_(chunk))
                  .group_by(col(ReadinessChangeRow.session_id)).subquery())
        for row in db.exec(select(ReadinessChangeRow)
                           .join(newest, col(ReadinessChangeRow.id) == newest.c.id)):
            last[row.session_id] = (row.readiness, row.visit_date)
    return last
