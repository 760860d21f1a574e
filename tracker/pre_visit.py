"""The pre-visit check: every scheduled session in the horizon, evaluated and stored.

One use case shared by the Prefect flow, `painauth demo` and the benchmark. Each batch of patients
is read in a few queries, evaluated with the same `evaluate` call `painauth check` makes, and
written back in one transaction: a stored result is only rewritten when the evaluation changed,
and an authorization is opened where the payer requires one and none is open.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.rules import evaluate, policies_in_force
from tracker.rules.findings import Result
from tracker.store.migrating import require_current_schema
from tracker.store.patient_record import NoCoverageOnDate, PatientRecord, load_patient_records
from tracker.store.tables import (
    AuthorizationEventRow,
    AuthorizationRow,
    EvaluationResultRow,
    SessionRow,
    utc_now,
)

DEFAULT_HORIZON_DAYS = 21
DEFAULT_BATCH_PATIENTS = 2000
ACTOR = "pre-visit-check"
# Authorization states in which the pre-visit check may still move it between needed and
# documentation_missing; later states belong to submission and follow-up.
OPEN_FOR_DOCUMENTATION = ("needed", "documentation_missing")
CLOSED = ("cancelled", "expired", "denied")


@dataclass
class PreVisitSummary:
    as_of: date
    horizon_days: int
    evaluated: int = 0
    changed: int = 0
    unchanged: int = 0
    no_coverage: int = 0
    authorizations_opened: int = 0
    authorizations_updated: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def add(self, other: PreVisitSummary) -> None:
        for name in ("evaluated", "changed", "unchanged", "no_coverage", "authorizations_opened",
                     "authorizations_updated"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.verdicts.update(other.verdicts)
        self.problems.extend(other.problems)

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "horizon_days": self.horizon_days,
                "evaluated": self.evaluated, "changed": self.changed, "unchanged": self.unchanged,
                "no_coverage": self.no_coverage,
                "authorizations_opened": self.authorizations_opened,
                "authorizations_updated": self.authorizations_updated,
                "verdicts": dict(sorted(self.verdicts.items())), "problems": self.problems}


def patients_with_visits(engine: Engine, as_of: date, horizon_days: int) -> list[int]:
    """Patients with a scheduled session from `as_of` to `as_of + horizon_days`, inclusive."""
    until = as_of + timedelta(days=horizon_days)
    with engine.connect() as connection:
        rows = connection.execute(
            select(col(SessionRow.patient_id)).distinct()
            .where(col(SessionRow.status) == "scheduled",
                   col(SessionRow.date) >= as_of, col(SessionRow.date) <= until))
        return sorted(pid for (pid,) in rows)


def batches(patient_ids: Sequence[int], size: int = DEFAULT_BATCH_PATIENTS) -> Iterator[list[int]]:
    for start in range(0, len(patient_ids), size):
        yield list(patient_ids[start:start + size])


def check_upcoming_visits(engine: Engine, as_of: date,
                          horizon_days: int = DEFAULT_HORIZON_DAYS) -> PreVisitSummary:
    """Evaluate every scheduled session in the horizon, batch by batch."""
    require_current_schema(engine)
    summary = PreVisitSummary(as_of=as_of, horizon_days=horizon_days)
    for batch in batches(patients_with_visits(engine, as_of, horizon_days)):
        summary.add(check_batch(engine, batch, as_of, horizon_days))
    return summary


def result_hash(result: dict[str, Any]) -> str:
    """A fingerprint of an evaluation: equal fingerprints mean nothing a user sees changed."""
    text = json.dumps(result, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def check_batch(engine: Engine, patient_ids: Sequence[int], as_of: date,
                horizon_days: int) -> PreVisitSummary:
    """Evaluate the horizon's scheduled sessions of these patients and store what changed."""
    summary = PreVisitSummary(as_of=as_of, horizon_days=horizon_days)
    until = as_of + timedelta(days=horizon_days)
    policies = policies_in_force()
    with DbSession(engine) as db:
        records = load_patient_records(db, patient_ids)
        evaluations: dict[int, tuple[str, Result]] = {}
        for record in records.values():
            for stored in record.scheduled():
                if not as_of <= stored.session.date <= until:
                    continue
                outcome = _evaluate(record, stored.id, as_of, policies)
                if isinstance(outcome, str):
                    summary.no_coverage += 1
                    summary.problems.append(outcome)
                    continue
                evaluations[stored.id] = outcome
        _store_results(db, evaluations, summary)
        _open_authorizations(db, evaluations, summary)
        db.commit()
    return summary


def _evaluate(record: PatientRecord, session_id: int, as_of: date,
              policies: dict[str, Any]) -> tuple[str, Result] | str:
    try:
        request = record.check_request(session_id, as_of)
    except NoCoverageOnDate as err:
        return f"session {session_id}: {err}"
    policy = policies.get(request.payer)
    if policy is None:
        return (f"session {session_id}: patient {record.mrn}'s payer {request.payer!r} has no "
                "policy; add one under PAINAUTH_POLICY_DIRS")
    return request.payer, evaluate(request, policy)


def _store_results(db: DbSession, evaluations: dict[int, tuple[str, Result]],
                   summary: PreVisitSummary) -> None:
    existing = {
        session_id: (row_id, digest) for row_id, session_id, digest in db.execute(
            select(col(EvaluationResultRow.id), col(EvaluationResultRow.session_id),
                   col(EvaluationResultRow.inputs_hash))
            .where(col(EvaluationResultRow.session_id).in_(list(evaluations))))
    } if evaluations else {}
    now = utc_now()
    inserts, updates = [], []
    for session_id, (payer, result) in evaluations.items():
        document = result.as_json()
        digest = result_hash(document)
        summary.evaluated += 1
        summary.verdicts[result.verdict] += 1
        row = {"session_id": session_id, "payer": payer, "verdict": result.verdict,
               "result": document, "inputs_hash": digest, "evaluated_at": now}
        if session_id not in existing:
            inserts.append(row)
        elif existing[session_id][1] != digest:
            updates.append({"row_id": existing[session_id][0], **row})
        else:
            summary.unchanged += 1
            continue
        summary.changed += 1
    if inserts:
        db.execute(insert(EvaluationResultRow), inserts)
    for row in updates:
        row_id = row.pop("row_id")
        db.execute(update(EvaluationResultRow).where(col(EvaluationResultRow.id) == row_id)
                   .values(**row))


def _documentation_missing(result: Result) -> list[str]:
    return [f"{f.code}: {f.message}" for f in result.findings if f.severity == "documentation"]


def _open_authorizations(db: DbSession, evaluations: dict[int, tuple[str, Result]],
                         summary: PreVisitSummary) -> None:
    """Open an authorization where one is required and none is open; keep the missing list of
    those still being prepared up to date. Blocked visits get none: they need rescheduling."""
    wanted = {sid: pr for sid, pr in evaluations.items()
              if pr[1].prior_auth_required and pr[1].verdict != "blocked"}
    if not wanted:
        return
    current: dict[int, AuthorizationRow] = {}
    for auth in db.execute(select(AuthorizationRow)
                           .where(col(AuthorizationRow.session_id).in_(list(wanted)),
                                  col(AuthorizationRow.status).not_in(CLOSED))).scalars():
        current[auth.session_id] = auth
    now = utc_now()
    for session_id, (payer, result) in sorted(wanted.items()):
        missing = _documentation_missing(result)
        status = "documentation_missing" if missing else "needed"
        auth = current.get(session_id)
        if auth is None:
            auth = AuthorizationRow(session_id=session_id, payer=payer, status=status,
                                    missing_items=missing, created_at=now, updated_at=now)
            db.add(auth)
            db.flush()
            assert auth.id is not None
            db.add(AuthorizationEventRow(authorization_id=auth.id, from_status=None,
                                         to_status=status, actor=ACTOR, at=now,
                                         reason=_reason(result, missing)))
            summary.authorizations_opened += 1
        elif auth.status in OPEN_FOR_DOCUMENTATION and (
                auth.status != status or auth.missing_items != missing):
            assert auth.id is not None
            db.add(AuthorizationEventRow(authorization_id=auth.id, from_status=auth.status,
                                         to_status=status, actor=ACTOR, at=now,
                                         reason=_reason(result, missing)))
            auth.status, auth.missing_items, auth.updated_at = status, missing, now
            db.add(auth)
            summary.authorizations_updated += 1


def _reason(result: Result, missing: list[str]) -> str:
    if missing:
        return "documentation missing: " + "; ".join(missing)
    return f"prior authorization required ({result.verdict})"
