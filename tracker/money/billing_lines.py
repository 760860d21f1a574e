"""What the money figures read of the store: the lines of sessions, and the payer on a date.
Plain column reads, not ORM objects: the figures read tens of thousands of sessions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from tracker.rules.session import CodeLine
from tracker.store.tables import COVERAGE_RANKS, CoverageRow, SessionCodeRow

_CHUNK = 900


def chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start:start + _CHUNK])


def session_lines(connection: Any, session_ids: Sequence[int]) -> dict[int, list[CodeLine]]:
    """Each session's code lines, in order, with what a drug line says was given."""
    lines: dict[int, list[CodeLine]] = {}
    for chunk in chunks(sorted(set(session_ids))):
        for sid, code, units, modifiers, dose, wasted, container in connection.execute(
                select(col(SessionCodeRow.session_id), col(SessionCodeRow.code),
                       col(SessionCodeRow.units), col(SessionCodeRow.modifiers),
                       col(SessionCodeRow.dose_mg), col(SessionCodeRow.wasted_mg),
                       col(SessionCodeRow.container))
                .where(col(SessionCodeRow.session_id).in_(chunk))
                .order_by(col(SessionCodeRow.session_id), col(SessionCodeRow.position))):
            lines.setdefault(sid, []).append(CodeLine(
                code=code, units=units, modifiers=tuple(modifiers or ()), dose_mg=dose,
                wasted_mg=wasted, container=container))
    return lines


class Payers:
    """The payer of each patient's highest-ranked coverage in force on a date."""

    def __init__(self, connection: Any, patient_ids: Sequence[int]) -> None:
        self._spans: dict[int, list[tuple[int, date, date | None, str]]] = {}
        for chunk in chunks(sorted(set(patient_ids))):
            for pid, payer, rank, start, end in connection.execute(
                    select(col(CoverageRow.patient_id), col(CoverageRow.payer),
                           col(CoverageRow.rank), col(CoverageRow.effective_start),
                           col(CoverageRow.effective_end))
                    .where(col(CoverageRow.patient_id).in_(chunk))):
                order = COVERAGE_RANKS.index(rank) if rank in COVERAGE_RANKS else 9
                self._spans.setdefault(pid, []).append((order, start, end, payer))

    def on(self, patient_id: int, day: date) -> str:
        """The payer id, or "" when no coverage is in force."""
        in_force = [s for s in self._spans.get(patient_id, [])
                    if s[1] <= day and (s[2] is None or day <= s[2])]
        return min(in_force, key=lambda s: (s[0], s[1], s[3]))[3] if in_force else ""
