"""What the money figures read of the store: the lines of sessions, and the payer on a date
(in SQL, beside the rows that need it: the one definition every money figure uses).
Plain column reads, not ORM objects: the figures read tens of thousands of sessions. Callers
that select their sessions in SQL pass that selection (`Select` of ids), read in one query with
`IN (subquery)`; a list of ids is read in chunks."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, String, case, cast, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import col

from tracker.rules.session import CodeLine
from tracker.store.tables import COVERAGE_RANKS, CoverageRow, SessionCodeRow, SessionRow

_CHUNK = 900
_NO_MODIFIERS = (None, "[]", "null")


def chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start:start + _CHUNK])


Ids = Sequence[int] | Select[Any]


def _among(column: Any, ids: Ids) -> Iterator[ColumnElement[bool]]:
    """`column IN (...)` for a selection of ids (once) or a list of them (in chunks)."""
    if isinstance(ids, Select):
        yield column.in_(ids)
        return
    for chunk in chunks(sorted(set(ids))):
        yield column.in_(chunk)


def session_lines(connection: Any, session_ids: Ids, *,
                  given: bool = True) -> dict[int, list[CodeLine]]:
    """Each session's code lines, in order, with what a drug line says was given (`given`;
    pricing needs only the codes, units and modifiers)."""
    line = SessionCodeRow
    details = (col(line.dose_mg), col(line.wasted_mg), col(line.container)) if given else ()
    lines: dict[int, list[CodeLine]] = {}
    for among in _among(col(line.session_id), session_ids):
        for sid, code, units, modifiers, *what in connection.execute(
                select(col(line.session_id), col(line.code), col(line.units),
                       cast(col(line.modifiers), String), *details)
                .where(among).order_by(col(line.session_id), col(line.position))):
            lines.setdefault(sid, []).append(CodeLine(code, units, modifiers_of(modifiers), *what))
    return lines


def modifiers_of(listed: str | None) -> tuple[str, ...]:
    """A line's modifiers from their stored JSON text (read as text: most lines have none)."""
    return () if listed in _NO_MODIFIERS else tuple(json.loads(listed or "[]"))


def payer_on(patient_id: Any, day: Any) -> ColumnElement[str]:
    """The payer of the patient's highest-ranked coverage in force on the day ("" for none),
    as a column: `patient_id` and `day` are the columns of the row it is read beside."""
    coverage = aliased(CoverageRow)
    rank = case({r: i for i, r in enumerate(COVERAGE_RANKS)}, value=col(coverage.rank),
                else_=len(COVERAGE_RANKS))
    found = (select(col(coverage.payer))
             .where(col(coverage.patient_id) == patient_id,
                    col(coverage.effective_start) <= day,
                    or_(col(coverage.effective_end).is_(None), day <= col(coverage.effective_end)))
             .order_by(rank, col(coverage.effective_start), col(coverage.payer))
             .limit(1).scalar_subquery())
    return func.coalesce(found, "")


def visit_payer(evaluated: Any, patient_id: Any, day: Any) -> ColumnElement[str]:
    """The payer a visit was evaluated for, else its coverage's on the day."""
    return func.coalesce(func.nullif(evaluated, ""), payer_on(patient_id, day))


def session_payers(connection: Any, session_ids: Sequence[int]) -> dict[int, str]:
    """Each session's payer on its date."""
    payers: dict[int, str] = {}
    for among in _among(col(SessionRow.id), session_ids):
        payers.update((sid, payer) for sid, payer in connection.execute(select(
            col(SessionRow.id), payer_on(col(SessionRow.patient_id), col(SessionRow.date)))
            .where(among)))
    return payers
