"""The pre-visit check: every scheduled session in the horizon, evaluated and stored.

One use case shared by the Prefect flow, `painauth demo` and the benchmark. Each batch of patients
is read in a few queries (only the history the payer policies can reach, see
`tracker.visits.history_reach`), evaluated with the same `evaluate` call `painauth check` makes, and
written back in one transaction: a stored result is only rewritten when the evaluation changed,
and an authorization is opened where the payer requires one and none is open.
"""

from __future__ import annotations

import gc
import hashlib
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session as DbSession
from sqlmodel import SQLModel, col

from tracker.codes import load_catalog
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
from tracker.visits.attention import Evaluated, attention_rows, batch_visits
from tracker.visits.authorization_ledger import (
    booked_line,
    covering_approval,
    ledger_lines,
    open_lines,
    series_approvals,
    session_codes,
)
from tracker.visits.history_reach import history_reach
from tracker.visits.readiness_history import record_readiness_in
from tracker.visits.stored_readiness import readiness_missing, store_visit_readiness
from tracker.visits.upcoming import UpcomingVisit

DEFAULT_HORIZON_DAYS = 21
DEFAULT_BATCH_PATIENTS = 2000
ACTOR = "pre-visit-check"
CLOSED = ("cancelled", "expired", "denied")
# Bound parameters per IN (...) list; well under SQLite's and PostgreSQL's limits.
_IN_CHUNK = 900


@dataclass
class PreVisitSummary:
    as_of: date
    horizon_days: int
    evaluated: int = 0
    changed: int = 0
    unchanged: int = 0
    no_coverage: int = 0
    authorizations_opened: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    # with `check_batch(..., attention=True)`: every visit's readiness, and the artifact rows of
    # those not clear (tracker.visits.attention)
    readiness: Counter[str] = field(default_factory=Counter)
    attention: list[dict[str, str]] = field(default_factory=list)

    def add(self, other: PreVisitSummary) -> None:
        for name in ("evaluated", "changed", "unchanged", "no_coverage", "authorizations_opened"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.verdicts.update(other.verdicts)
        self.problems.extend(other.problems)
        self.readiness.update(other.readiness)
        self.attention.extend(other.attention)

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "horizon_days": self.horizon_days,
                "evaluated": self.evaluated, "changed": self.changed, "unchanged": self.unchanged,
                "no_coverage": self.no_coverage,
                "authorizations_opened": self.authorizations_opened,
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
                          horizon_days: int = DEFAULT_HORIZON_DAYS, *,
                          batch_patients: int = DEFAULT_BATCH_PATIENTS) -> PreVisitSummary:
    """Evaluate every scheduled session in the horizon, batch by batch, in this process.

    The Prefect flow (`flows/pre_visit_check.py`) runs the same batches as tasks on a Dask
    cluster instead; batches hold disjoint patients, so they never touch the same rows.
    """
    require_current_schema(engine)
    summary = PreVisitSummary(as_of=as_of, horizon_days=horizon_days)
    for batch in batches(patients_with_visits(engine, as_of, horizon_days), batch_patients):
        summary.add(check_batch(engine, batch, as_of, horizon_days))
    return summary


def result_hash(result: dict[str, Any]) -> str:
    """A fingerprint of an evaluation: equal fingerprints mean nothing a user sees changed.

    The evaluation's JSON is built in a fixed key order, so its repr is a faithful and cheaper
    text to hash than a sorted JSON dump."""
    return hashlib.sha256(repr(result).encode()).hexdigest()


def check_batch(engine: Engine, patient_ids: Sequence[int], as_of: date,
                horizon_days: int, *, attention: bool = False) -> PreVisitSummary:
    """Evaluate the horizon's scheduled sessions of these patients and store what changed.

    With `attention` (the flow), the visits' readiness is computed from what the batch holds,
    written to their readiness history, and the summary holds the count per readiness and the
    status rows of those needing attention (the flow's artifact)."""
    summary = PreVisitSummary(as_of=as_of, horizon_days=horizon_days)
    until = as_of + timedelta(days=horizon_days)
    policies = policies_in_force()
    reach = history_reach(policies.values(), load_catalog())
    with DbSession(engine) as db, _collection_paused():
        records = load_patient_records(db, patient_ids, since=reach.since(as_of),
                                       lasting_codes=reach.lasting_codes)
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
        documents = _store_results(db, evaluations, summary)
        _open_authorizations(db, evaluations, summary)
        visits = _store_readiness(db, records, documents, as_of, until, attention=attention)
        if attention:
            record_readiness_in(db.connection(), visits)
        db.commit()
    if attention:
        summary.attention, summary.readiness = attention_rows(visits)
    return summary


def _store_readiness(db: DbSession, records: dict[int, PatientRecord],
                     documents: dict[int, Evaluated], as_of: date, until: date, *,
                     attention: bool) -> list[UpcomingVisit]:
    """Store the readiness of the evaluated visits that have none, from what the batch holds;
    with `attention`, every visit of the batch is assembled (the artifact and the readiness
    history need them all) and returned, each visit's readiness computed once for both."""
    missing = readiness_missing(db.connection(), documents)
    if not missing and not attention:
        return []
    now = datetime.now(UTC)
    visits = batch_visits(db, records, documents, as_of, until, now,
                          only=None if attention else set(missing))
    providers = {stored.id: stored.provider_id
                 for record in records.values() for stored in record.scheduled()}
    keys = {sid: (providers.get(sid), documents[sid][1]) for sid in missing}
    store_visit_readiness(db, [v for v in visits if v.session_id in keys], keys, now)
    return visits


@contextmanager
def _collection_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch reads and evaluates: it builds hundreds of
    thousands of small acyclic objects (sessions, code lines, findings), and the collector's
    passes over them cost up to a third of a batch (bench/pre_visit.py). They are freed by
    reference counting as usual."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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


def _lock_sessions(db: DbSession, session_ids: list[int]) -> None:
    """Take the evaluated sessions' rows in id order (PostgreSQL; SQLite serialises writers).

    Two checks over the same patients then write one after the other — the second sees the
    first's results and authorizations — and, taking rows in the same order, never deadlock."""
    connection = db.connection()
    if connection.dialect.name != "postgresql":
        return
    sessions = _table(SessionRow)
    for start in range(0, len(session_ids), _IN_CHUNK):
        connection.execute(select(sessions.c.id)
                           .where(sessions.c.id.in_(session_ids[start:start + _IN_CHUNK]))
                           .order_by(sessions.c.id).with_for_update())


def _insert_results(db: DbSession, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT (session_id) DO UPDATE: a result another check stored a moment ago
    is overwritten, never a unique-key error."""
    connection = db.connection()
    results = _table(EvaluationResultRow)
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(results)
    connection.execute(statement.on_conflict_do_update(
        index_elements=[results.c.session_id],
        set_={name: statement.excluded[name]
              for name in ("payer", "verdict", "result", "inputs_hash", "evaluated_at")}), rows)


def _store_results(db: DbSession, evaluations: dict[int, tuple[str, Result]],
                   summary: PreVisitSummary) -> dict[int, Evaluated]:
    """Store the evaluations that changed; returns each one's payer, verdict and document."""
    connection = db.connection()
    results = _table(EvaluationResultRow)
    existing: dict[int, tuple[int, str]] = {}
    session_ids = sorted(evaluations)
    _lock_sessions(db, session_ids)
    for start in range(0, len(session_ids), _IN_CHUNK):
        existing.update(
            (session_id, (row_id, digest)) for row_id, session_id, digest in connection.execute(
                select(results.c.id, results.c.session_id, results.c.inputs_hash)
                .where(results.c.session_id.in_(session_ids[start:start + _IN_CHUNK]))))
    now = utc_now()
    inserts, updates = [], []
    documents: dict[int, Evaluated] = {}
    for session_id, (payer, result) in evaluations.items():
        document = result.as_json()
        documents[session_id] = (payer, result.verdict, document)
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
        _insert_results(db, inserts)
    if updates:
        # the SET clause comes from the rows' column keys; row_id only selects the row
        connection.execute(update(results).where(results.c.id == bindparam("row_id")), updates)
    return documents


def _table(model: type[SQLModel]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


def _documentation_missing(result: Result) -> list[str]:
    return [f"{f.code}: {f.message}" for f in result.findings if f.severity == "documentation"]


def _open_authorizations(db: DbSession, evaluations: dict[int, tuple[str, Result]],
                         summary: PreVisitSummary) -> None:
    """Open an authorization where one is required and none is open, with what the engine says
    is missing. An authorization already open belongs to package preparation from then on
    (tracker.packages.preparation, which knows more of what a package needs), so it is left
    alone here. Blocked visits get none: they need rescheduling."""
    wanted = {sid: pr for sid, pr in evaluations.items()
              if pr[1].prior_auth_required and pr[1].verdict != "blocked"}
    for session_id in _covered_by_a_series(db, wanted):
        del wanted[session_id]
    if not wanted:
        return
    policies = policies_in_force()
    connection = db.connection()
    auths, events = _table(AuthorizationRow), _table(AuthorizationEventRow)
    current: set[int] = set()
    wanted_ids = sorted(wanted)
    for start in range(0, len(wanted_ids), _IN_CHUNK):
        current.update(connection.execute(
            select(auths.c.session_id)
            .where(auths.c.session_id.in_(wanted_ids[start:start + _IN_CHUNK]),
                   auths.c.status.not_in(CLOSED))).scalars())
    now = utc_now()
    new_auths: list[dict[str, Any]] = []
    new_reasons: list[str] = []
    event_rows: list[dict[str, Any]] = []
    for session_id in wanted_ids:
        payer, result = wanted[session_id]
        missing = _documentation_missing(result)
        status = "documentation_missing" if missing else "needed"
        if session_id not in current:
            new_auths.append({"session_id": session_id, "payer": payer, "status": status,
                              "program": _program(policies, payer, result),
                              "missing_items": missing, "created_at": now, "updated_at": now})
            new_reasons.append(_reason(result, missing))
    if new_auths:
        # a plain executemany, then the ids read back: far cheaper on PostgreSQL than one
        # INSERT ... RETURNING with thousands of parameters
        connection.execute(insert(auths), new_auths)
        opened: dict[int, int] = {}
        new_ids = [row["session_id"] for row in new_auths]
        for start in range(0, len(new_ids), _IN_CHUNK):
            opened.update((session_id, auth_id) for auth_id, session_id in connection.execute(
                select(auths.c.id, auths.c.session_id)
                .where(auths.c.session_id.in_(new_ids[start:start + _IN_CHUNK]),
                       auths.c.status.not_in(CLOSED))))
        for row, reason in zip(new_auths, new_reasons, strict=True):
            event_rows.append({"authorization_id": opened[row["session_id"]],
                               "from_status": None, "to_status": row["status"], "actor": ACTOR,
                               "at": now, "reason": reason})
        open_lines(connection, {auth_id: session_id for session_id, auth_id in opened.items()})
        summary.authorizations_opened += len(new_auths)
    if event_rows:
        connection.execute(insert(events), event_rows)


def _program(policies: dict[str, Any], payer: str, result: Result) -> str | None:
    """The program of the first rule asking for authorization (its clock decides the deadline)."""
    policy = policies.get(payer)
    if policy is None:
        return None
    rules = policy.memo.get("rules-by-id")
    if rules is None:
        rules = policy.memo["rules-by-id"] = {rule.id: rule for rule in policy.rules}
    for found in result.findings:
        if found.code == "PRIOR_AUTH_REQUIRED" and found.policy in rules:
            program = policy.program_of(rules[found.policy])
            if program is not None:
                return program.id
    return None


def _covered_by_a_series(db: DbSession, wanted: dict[int, tuple[str, Result]]) -> list[int]:
    """Sessions an open approval already covers (same patient and payer, inside its window, units
    left for the booked codes): they use it instead of opening a new request."""
    if not wanted:
        return []
    sessions = _table(SessionRow)
    dated: dict[int, tuple[int, date]] = {}
    ids = sorted(wanted)
    for start in range(0, len(ids), _IN_CHUNK):
        dated.update((sid, (pid, day)) for sid, pid, day in db.connection().execute(
            select(sessions.c.id, sessions.c.patient_id, sessions.c.date)
            .where(sessions.c.id.in_(ids[start:start + _IN_CHUNK]))))
    approvals = series_approvals(db, sorted({pid for pid, _ in dated.values()}))
    if not approvals:
        return []
    candidates = [a for found in approvals.values() for a in found]
    lines = ledger_lines(db, candidates)
    catalog = load_catalog()
    codes = session_codes(db, [sid for sid, (pid, _) in dated.items() if pid in approvals])
    covered = []
    for session_id, (patient_id, day) in dated.items():
        if patient_id not in approvals:
            continue
        booked = [booked_line(code, units, modifiers, catalog)
                  for code, units, modifiers in codes.get(session_id, [])]
        approval = covering_approval(approvals[patient_id], wanted[session_id][0], day, booked,
                                     lines)
        if approval is not None and approval.session_id != session_id:
            covered.append(session_id)
    return covered


def _reason(result: Result, missing: list[str]) -> str:
    if missing:
        return "documentation missing: " + "; ".join(missing)
    return f"prior authorization required ({result.verdict})"


def check_patient_now(engine: Engine, patient_id: int, as_of: date,
                      horizon_days: int = DEFAULT_HORIZON_DAYS) -> PreVisitSummary:
    """"Check again now" for one patient: the pre-visit check of that patient's upcoming visits,
    exactly as the hourly run does it (so the board shows what the next run would store)."""
    require_current_schema(engine)
    return check_batch(engine, [patient_id], as_of, horizon_days)
