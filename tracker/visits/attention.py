"""The visits needing attention, from what a pre-visit check batch already holds.

The pre-visit flow publishes the board's rows that are not clear (the `pre-visit-status`
artifact). Each batch has just read its patients' records and evaluated their scheduled visits,
so it computes those rows itself — the same `assemble_visits` the board uses, fed the sessions,
code lines, coverage and evaluations in hand — reading only the authorizations the visits rest on,
the locations (and the stored evaluation of a visit it could not evaluate). The batch stores the
readiness of those with none and records its visits' readiness history from these same visits
(each visit's readiness computed once), and keeps only the rows needing attention, so a run holds
no more than the artifact lists. The bare check (no artifact) computes only the visits whose
stored readiness is missing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.store.patient_record import PatientRecord
from tracker.store.tables import EvaluationResultRow, ProviderRow
from tracker.visits.readiness import READINESSES
from tracker.visits.status_rows import artifact_row
from tracker.visits.upcoming import (
    BookedSession,
    StoredEvaluation,
    UpcomingVisit,
    VisitPatient,
    VisitProvider,
    assemble_visits,
)

# An evaluation as the batch holds it: payer, verdict and the result's JSON document.
Evaluated = tuple[str, str, dict[str, Any]]


def batch_visits(db: DbSession, records: Mapping[int, PatientRecord],
                 evaluated: Mapping[int, Evaluated], start: date, until: date,
                 now: datetime, *, only: Collection[int] | None = None) -> list[UpcomingVisit]:
    """These patients' scheduled visits from `start` to `until` as the board reads them, with
    their readiness; with `only`, just those of these session ids."""
    booked = [(record, stored) for record in records.values() for stored in record.scheduled()
              if start <= stored.session.date <= until and (only is None or stored.id in only)]
    if not booked:
        return []
    connection = db.connection()
    missing = [stored.id for _, stored in booked if stored.id not in evaluated]
    stored_results = {session_id: StoredEvaluation(payer, verdict, result)
                      for session_id, payer, verdict, result in connection.execute(
                          select(col(EvaluationResultRow.session_id),
                                 col(EvaluationResultRow.payer), col(EvaluationResultRow.verdict),
                                 col(EvaluationResultRow.result))
                          .where(col(EvaluationResultRow.session_id).in_(missing)))}
    providers = {pid: VisitProvider(name) for pid, name in connection.execute(
        select(col(ProviderRow.id), col(ProviderRow.name)))}
    rows = []
    for record, stored in booked:
        found = evaluated.get(stored.id)
        evaluation = (StoredEvaluation(*found) if found is not None
                      else stored_results.get(stored.id))
        rows.append((BookedSession(stored.id, stored.session.date, stored.provider_id,
                                   stored.session.place_of_service, stored.location_id),
                     VisitPatient(record.patient_id, record.mrn),
                     providers.get(stored.provider_id) if stored.provider_id else None,
                     evaluation))
    lines = {stored.id: [(line.code, line.units, list(line.modifiers))
                         for line in stored.session.codes] for _, stored in booked}
    covered = {pid: [(c.start, c.end) for c in record.coverages]
               for pid, record in records.items()}
    return assemble_visits(db, rows, now, lines=lines, covered=covered)


def attention_rows(visits: list[UpcomingVisit]) -> tuple[list[dict[str, str]], Counter[str]]:
    """The artifact rows of the visits that are not clear, in the board's order, and the count
    of every visit per readiness."""
    order = {name: index for index, name in enumerate(READINESSES)}
    attention = sorted((v for v in visits if v.needs_attention),
                       key=lambda v: (order[v.readiness.readiness], v.date, v.mrn, v.session_id))
    return [artifact_row(v) for v in attention], Counter(v.readiness.readiness for v in visits)


def merged_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Rows of several batches in the board's order: worst readiness first, then date, MRN."""
    order = {name: index for index, name in enumerate(READINESSES)}
    return sorted(rows, key=lambda r: (order[r["readiness"]], r["date"], r["mrn"],
                                       int(r["session"])))
