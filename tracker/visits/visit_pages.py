"""The upcoming visits a page at a time: the board's `/visits`, its CSV export and `/api/visits`.

Visits are ordered worst readiness first, then by date, MRN and session id — a key no two
visits share — and a page is the next `size` visits after a cursor (keyset pagination: each
page costs the same however deep it is, and a visit added or changed meanwhile never makes a
row appear twice or vanish). Readiness is filtered, counted (one GROUP BY) and sorted in SQL on
the copy `tracker.visits.stored_readiness` keeps with each visit's sort key and filters,
refreshed first; the visits shown are read through `read_visits` like every other surface.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, func, select, tuple_
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.store import page_cursor
from tracker.store.page_cursor import MOST_PER_PAGE, PAGE_SIZE, page_size
from tracker.store.tables import SessionRow, VisitReadinessRow
from tracker.visits.readiness import READINESSES
from tracker.visits.stored_readiness import RANK, refresh_readiness
from tracker.visits.upcoming import UpcomingVisit, read_visits, visit_query

Key = tuple[int, date, str, int]


@dataclass(frozen=True)
class VisitChoice:
    """Which visits: scheduled from `start` to `until` (inclusive), of one provider, with one
    verdict, only those needing attention (not clear), of one readiness."""

    start: date
    until: date
    provider_id: int | None = None
    verdict: str | None = None
    attention: bool = False
    readiness: str | None = None


@dataclass(frozen=True)
class VisitPage:
    visits: list[UpcomingVisit]
    counts: dict[str, int]  # per readiness, before the readiness filter
    total: int  # how many visits the filters select on all pages, the readiness filter included
    after: str | None  # the cursor of the next page, None on the last one


def visit_page(engine: Engine, choice: VisitChoice, *, after: str | None = None,
               size: int = PAGE_SIZE, now: datetime | None = None) -> VisitPage:
    """One page of the chosen visits after the cursor `after` (None: the first page)."""
    size = page_size(size)
    key = read_cursor(after)
    now = now or datetime.now(UTC)
    refresh_readiness(engine, choice.start, choice.until, provider_id=choice.provider_id, now=now)
    with DbSession(engine) as db:
        counts = _counts(db, choice)
        keys = _keys(db, choice, key, size + 1)
        visits = _visits(db, keys[:size], now)
    more = len(keys) > size
    total = counts[choice.readiness] if choice.readiness else sum(counts.values())
    return VisitPage(visits=visits, counts=counts, total=total,
                     after=cursor_of(keys[size - 1]) if more else None)


def each_visit(engine: Engine, choice: VisitChoice, *, chunk: int = MOST_PER_PAGE,
               now: datetime | None = None) -> Iterator[UpcomingVisit]:
    """Every chosen visit in page order, read `chunk` at a time (memory does not grow with the
    range): what the CSV export streams."""
    now = now or datetime.now(UTC)
    refresh_readiness(engine, choice.start, choice.until, provider_id=choice.provider_id, now=now)
    key: Key | None = None
    while True:
        with DbSession(engine) as db:
            keys = _keys(db, choice, key, chunk)
            visits = _visits(db, keys, now)
        yield from visits
        if len(keys) < chunk:
            return
        key = keys[-1]


def cursor_of(key: Key) -> str:
    rank, day, mrn, session_id = key
    return page_cursor.cursor_of([rank, day.isoformat(), mrn, session_id])


def read_cursor(text: str | None) -> Key | None:
    """The key a cursor stands for; InputError naming `after` for one this board did not make."""
    if not text:
        return None
    rank, day, mrn, session_id = page_cursor.read_cursor(text, 4)
    if not (isinstance(rank, int) and isinstance(day, str) and isinstance(mrn, str)
            and isinstance(session_id, int)):
        raise page_cursor.damaged()
    try:
        return rank, date.fromisoformat(day), mrn, session_id
    except ValueError:
        raise page_cursor.damaged() from None


def _filtered(query: Any, choice: VisitChoice, *, readiness: bool = True) -> Any:
    stored = VisitReadinessRow
    query = query.where(col(stored.date) >= choice.start, col(stored.date) <= choice.until)
    if choice.provider_id is not None:
        query = query.where(col(stored.provider_id) == choice.provider_id)
    if choice.verdict:
        query = query.where(col(stored.verdict) == choice.verdict)
    if choice.attention:
        query = query.where(col(stored.rank) != RANK["clear"])
    if readiness and choice.readiness:
        query = query.where(col(stored.rank) == RANK[choice.readiness])
    return query


def _counts(db: DbSession, choice: VisitChoice) -> dict[str, int]:
    counts = dict.fromkeys(READINESSES, 0)
    query = _filtered(select(col(VisitReadinessRow.rank), func.count()), choice,
                      readiness=False).group_by(col(VisitReadinessRow.rank))
    for rank, n in db.execute(query):
        counts[READINESSES[rank]] = int(n)
    return counts


def _keys(db: DbSession, choice: VisitChoice, after: Key | None, limit: int) -> list[Key]:
    stored = VisitReadinessRow
    order = (col(stored.rank), col(stored.date), col(stored.mrn), col(stored.session_id))
    query = _filtered(select(*order), choice)
    if after is not None:
        query = query.where(tuple_(*order) > tuple_(*after))
    return [(rank, day, mrn, session_id) for rank, day, mrn, session_id
            in db.execute(query.order_by(*order).limit(limit))]


def _visits(db: DbSession, keys: list[Key], now: datetime) -> list[UpcomingVisit]:
    if not keys:
        return []
    ids = [key[3] for key in keys]
    found = {v.session_id: v for v in read_visits(
        db, visit_query().where(col(SessionRow.id).in_(ids)), now)}
    return [found[i] for i in ids if i in found]
