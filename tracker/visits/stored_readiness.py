"""Each scheduled visit's readiness kept in `visit_readiness`, so the board can filter, count and
page by it in SQL.

The stored row is a copy of what `tracker.visits.readiness.readiness_of` said (through
`read_visits`, the one reading every surface shares), never a second definition. Database
triggers (`tracker.store.readiness_triggers`) delete a patient's rows when one of its inputs
changes; the pre-visit check writes the rows of the visits it evaluated that have none, and
before the board reads a range, `refresh_readiness` writes the rows missing there and rewrites
those whose `recheck_at` passed: the payer's decision clock running out, the one input that
changes with time alone. Each row carries the visit's sort key (date, MRN) and filters
(provider, verdict), so the board's queries read this table alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Engine, Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.store.tables import EvaluationResultRow, SessionRow, VisitReadinessRow, utc_now
from tracker.visits.readiness import READINESSES
from tracker.visits.upcoming import UpcomingVisit, read_visits, visit_query

RANK = {name: index for index, name in enumerate(READINESSES)}
_CHUNK = 500


def store_readiness(connection: Any, session_ids: Sequence[int],
                    now: datetime | None = None) -> int:
    """Compute and store the readiness of these scheduled sessions (in the caller's transaction);
    how many rows were written."""
    now = now or utc_now()
    written = 0
    ordered = sorted(set(session_ids))
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start:start + _CHUNK]
        keys = {session_id: (provider_id, verdict) for session_id, provider_id, verdict
                in connection.execute(
                    select(col(SessionRow.id), col(SessionRow.provider_id),
                           col(EvaluationResultRow.verdict))
                    .outerjoin(EvaluationResultRow,
                               col(EvaluationResultRow.session_id) == col(SessionRow.id))
                    .where(col(SessionRow.id).in_(chunk)))}
        visits = read_visits(connection, visit_query().where(col(SessionRow.id).in_(chunk)), now)
        written += store_visit_readiness(connection, visits, keys, now)
    return written


def store_visit_readiness(connection: Any, visits: Sequence[UpcomingVisit],
                          keys: Mapping[int, tuple[int | None, str | None]],
                          now: datetime) -> int:
    """Store the readiness of visits already assembled as of `now` (`read_visits`, or the
    pre-visit check's `batch_visits` from what its batch holds); `keys` gives each one's
    provider id and stored verdict. How many rows were written."""
    stamp = utc_now()  # when it was computed, whatever moment it was computed for
    table = cast(Table, VisitReadinessRow.__table__)  # type: ignore[attr-defined]
    dialect = postgresql if connection.connection().dialect.name == "postgresql" else sqlite
    written = 0
    for start in range(0, len(visits), _CHUNK):
        rows = [_row(v, *keys[v.session_id], stamp, now) for v in visits[start:start + _CHUNK]]
        if not rows:
            continue
        statement = dialect.insert(table)
        connection.execute(statement.on_conflict_do_update(
            index_elements=[table.c.session_id],
            set_={name: statement.excluded[name] for name in rows[0] if name != "session_id"}),
            rows)
        written += len(rows)
    return written


def _row(visit: UpcomingVisit, provider_id: int | None, verdict: str | None, stamp: datetime,
         now: datetime) -> dict[str, Any]:
    due = visit.authorization.decision_due_at if visit.authorization is not None else None
    if due is not None and due.tzinfo is None:
        due = due.replace(tzinfo=UTC)
    return {"session_id": visit.session_id, "readiness": visit.readiness.readiness,
            "rank": RANK[visit.readiness.readiness], "date": visit.date, "mrn": visit.mrn,
            "provider_id": provider_id, "verdict": verdict,
            "reason": visit.reasons[0] if visit.reasons else "", "computed_at": stamp,
            # the payer's decision clock running out turns "waiting" into "act"
            "recheck_at": due if due is not None and due > now else None}


def readiness_missing(connection: Any, session_ids: Iterable[int]) -> list[int]:
    """Those of these sessions with no stored readiness, in id order."""
    missing = []
    ordered = sorted(set(session_ids))
    for start in range(0, len(ordered), _CHUNK):
        chunk = ordered[start:start + _CHUNK]
        known = set(connection.execute(select(col(VisitReadinessRow.session_id))
                                       .where(col(VisitReadinessRow.session_id).in_(chunk)))
                    .scalars())
        missing += [i for i in chunk if i not in known]
    return missing


def stale_sessions(connection: Any, start: date, until: date, *,
                   provider_id: int | None = None, now: datetime) -> list[int]:
    """The scheduled sessions from `start` to `until` with no stored readiness, or whose stored
    readiness time alone may have changed (`recheck_at` passed)."""
    session, stored = SessionRow, VisitReadinessRow
    scheduled = [col(session.status) == "scheduled", col(session.date) >= start,
                 col(session.date) <= until]
    kept = [col(stored.date) >= start, col(stored.date) <= until]
    if provider_id is not None:
        scheduled.append(col(session.provider_id) == provider_id)
        kept.append(col(stored.provider_id) == provider_id)
    # by the recheck_at index alone (few rows have one), the range filtered here: given the
    # date too, the planner walks the range's every row instead
    found = [session_id for session_id, day, provider in connection.execute(
        select(col(stored.session_id), col(stored.date), col(stored.provider_id))
        .where(col(stored.recheck_at) <= now))
        if start <= day <= until and (provider_id is None or provider == provider_id)]
    booked = connection.execute(select(func.count()).select_from(session).where(*scheduled))
    known = connection.execute(select(func.count()).select_from(stored).where(*kept))
    if booked.scalar_one() != known.scalar_one():  # only scheduled visits are kept (triggers)
        found += [row[0] for row in connection.execute(
            select(col(session.id)).outerjoin(stored, col(stored.session_id) == col(session.id))
            .where(*scheduled, col(stored.session_id).is_(None)))]
    return found


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
