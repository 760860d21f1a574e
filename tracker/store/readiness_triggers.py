"""Database triggers that forget a visit's stored readiness when what it was computed from
changes, whoever changes it (an import, a payer's answer, a decision typed on the board, a
follow-up run).

Readiness reads a patient's sessions and their code lines (a moved date, a booked code or its
units; performed sessions use up approved units),
the patient (the MRN is part of the board's sort key), the sessions' locations (their state and
place of service),
authorizations and their lines (a series approval covers the patient's later bookings),
coverages, and the visit's stored evaluation. A change to any of them deletes the stored
readiness of that patient's visits (of that one visit, for an evaluation); the board computes
the missing rows again before it reads (`tracker.visits.stored_readiness`). Written by
migration 0017, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from tracker.store import forgetting

# table -> how a changed row (NEW or OLD, written as ROW) names the visits to forget
FORGET: dict[str, str] = {
    "sessions": "SELECT id FROM sessions WHERE patient_id = ROW.patient_id",
    "coverages": "SELECT id FROM sessions WHERE patient_id = ROW.patient_id",
    "session_codes": "SELECT s.id FROM sessions s JOIN sessions b ON b.patient_id = s.patient_id "
                     "WHERE b.id = ROW.session_id",
    "patients": "SELECT id FROM sessions WHERE patient_id = ROW.id",
    "locations": "SELECT id FROM sessions WHERE location_id = ROW.id",
    "authorizations": "SELECT s.id FROM sessions s JOIN sessions a ON a.patient_id = s.patient_id "
                      "WHERE a.id = ROW.session_id",
    "authorization_lines": "SELECT s.id FROM sessions s JOIN sessions b "
                           "ON b.patient_id = s.patient_id JOIN authorizations a "
                           "ON a.session_id = b.id WHERE a.id = ROW.authorization_id",
    "evaluation_results": "SELECT ROW.session_id",
}


def create_statements(dialect: str) -> list[str]:
    return forgetting.create_statements("visit_readiness", FORGET, dialect)


def drop_statements(dialect: str) -> list[str]:
    return forgetting.drop_statements("visit_readiness", FORGET, dialect)
