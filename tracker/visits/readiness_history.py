"""The readiness history of scheduled visits: a row each time a visit's readiness changes, as
the pre-visit check reads it. It is what shows a visit painauth flagged (`stop` or `act`) and that
someone then fixed or moved before its date (tracker.money.at_risk.protected)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, func, insert, select
from sqlmodel import col

from tracker.store.tables import ReadinessChangeRow, utc_now
from tracker.visits.upcoming import UpcomingVisit

_CHUNK = 900


def record_readiness(engine: Engine, visits: Sequence[UpcomingVisit], *,
                     at: datetime | None = None) -> int:
    """Write the readiness of each visit whose readiness (or booked date) differs from the last
    one recorded; the number of rows written. Reading the same board twice writes nothing."""
    with engine.begin() as connection:
        return record_readiness_in(connection, visits, at=at)


def record_readiness_in(connection: Any, visits: Sequence[UpcomingVisit], *,
                        at: datetime | None = None) -> int:
    """`record_readiness` in the caller's transaction (the pre-visit check's batch): the last
    rows read as plain columns, the new ones written in one executemany."""
    at = at or utc_now()
    last = _last_recorded(connection, [v.session_id for v in visits])
    rows = [{"session_id": visit.session_id, "readiness": visit.readiness.readiness,
             "reason": visit.reasons[0] if visit.reasons else None, "visit_date": visit.date,
             "at": at}
            for visit in visits
            if last.get(visit.session_id) != (visit.readiness.readiness, visit.date)]
    if rows:
        connection.execute(insert(cast(Table, ReadinessChangeRow.__table__)),  # type: ignore[attr-defined]
                           rows)
    return len(rows)


def _last_recorded(connection: Any, session_ids: Sequence[int]) -> dict[int, tuple[str, object]]:
    last: dict[int, tuple[str, object]] = {}
    ids = sorted(set(session_ids))
    changes = ReadinessChangeRow
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        newest = (select(col(changes.session_id), func.max(col(changes.id)).label("id"))
                  .where(col(changes.session_id).in_(chunk))
                  .group_by(col(changes.session_id)).subquery())
        for session_id, readiness, visit_date in connection.execute(
                select(col(changes.session_id), col(changes.readiness), col(changes.visit_date))
                .join(newest, col(changes.id) == newest.c.id)):
            last[session_id] = (readiness, visit_date)
    return last
