"""The pre-visit check on a seeded synthetic practice, against SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, insert
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tests.prefect_runs import published
from tracker.codes import load_catalog
from tracker.practice.demo_day import finding_counts
from tracker.practice.scenarios import SCENARIOS
from tracker.practice.synthetic import LOCATIONS, PracticeShape, SeedReport, seed_practice
from tracker.rules import evaluate, policies_in_force
from tracker.rules.findings import SEVERITY
from tracker.rules.session import Exemption, Session
from tracker.store.patient_record import NoCoverageOnDate, load_patient_records
from tracker.store.tables import (
    AuthorizationEventRow,
    AuthorizationRow,
    ConservativeCareRow,
    EvaluationResultRow,
    ImagingStudyRow,
    LocationRow,
    PatientRow,
    PsychEvaluationRow,
    ReadinessChangeRow,
    SessionCodeRow,
    SessionRow,
    VisitReadinessRow,
)
from tracker.visits.checking import check
from tracker.visits.history_reach import history_reach
from tracker.visits.pre_visit import (
    DEFAULT_HORIZON_DAYS,
    batches,
    check_batch,
    check_upcoming_visits,
    patients_with_visits,
)
from tracker.visits.status_rows import status_visits
from tracker.visits.stored_readiness import store_readiness
from tracker.visits.upcoming import upcoming_visits

AS_OF = date(2026, 12, 1)
SCENARIO_NAMES = {build(AS_OF).given_name: code for code, build in SCENARIOS.items()}


def _seed(engine: Engine, patients: int = 60) -> SeedReport:
    return seed_practice(engine, seed=11, as_of=AS_OF, shape=PracticeShape(patients=patients))


def _scenario_session(engine: Engine, given_name: str) -> tuple[int, int]:
    """(patient id, scheduled session id) of a scenario patient."""
    with DbSession(engine) as db:
        patient = db.exec(select(PatientRow).where(PatientRow.given_name == given_name)).one()
        session = db.exec(select(SessionRow).where(SessionRow.patient_id == patient.id,
                                                   SessionRow.status == "scheduled")).one()
        assert patient.id is not None and session.id is not None
        return patient.id, session.id


def _stored(engine: Engine) -> dict[int, EvaluationResultRow]:
    with DbSession(engine) as db:
        return {row.session_id: row for row in db.exec(select(EvaluationResultRow))}


def _count(engine: Engine, model: Any) -> int:
    with DbSession(engine) as db:
        return db.exec(select(func.count()).select_from(model)).one()


def _session_json(session: Session, *, with_outcome: bool) -> dict[str, Any]:
    document: dict[str, Any] = {
        "date": session.date.isoformat(), "place_of_service": session.place_of_service,
        "codes": [{"code": c.code, "units": c.units, "modifiers": list(c.modifiers)}
                  for c in session.codes]}
    if session.intent is not None:
        document["intent"] = session.intent
    if session.muscles is not None:
        document["muscles"] = session.muscles
    if session.provider_npi is not None:
        document["provider_npi"] = session.provider_npi
    if with_outcome and session.outcome is not None:
        document["outcome"] = {k: v for k, v in (
            ("relief_percent", session.outcome.relief_percent),
            ("duration_days", session.outcome.duration_days),
            ("medication_reduction_percent", session.outcome.medication_reduction_percent))
            if v is not None}
    return document


def _exemption_json(exemption: Exemption) -> dict[str, Any]:
    catalog = load_catalog()
    document: dict[str, Any] = {"program": exemption.program, "from": exemption.start.isoformat(),
                                "to": exemption.end.isoformat(), "reference": exemption.reference}
    if exemption.codes:
        document["codes"] = sorted(exemption.codes)
    if exemption.families:
        document["group"] = next(name for name, families in catalog.groups.items()
                                 if frozenset(families) == exemption.families)
    if exemption.provider_npi:
        document["provider_npi"] = exemption.provider_npi
    return document


def _check_document(engine: Engine, patient_id: int, session_id: int) -> dict[str, Any]:
    """The `painauth check` document a scheduler would write for this stored session."""
    with DbSession(engine) as db:
        record = load_patient_records(db, [patient_id])[patient_id]
    request = record.check_request(session_id, AS_OF)
    return {
        "as_of": AS_OF.isoformat(), "payer": request.payer, "patient": {"id": record.mrn},
        "history": [_session_json(s, with_outcome=True) for s in request.history],
        "other_scheduled": [_session_json(s, with_outcome=False) for s in request.other_scheduled],
        "conservative_care": [{"kind": c.kind, "start": c.start.isoformat(),
                               "end": c.end.isoformat()} for c in request.conservative_care],
        "psych_evaluations": [{"date": p.date.isoformat(), "result": p.result}
                              for p in request.psych_evaluations],
        "scheduled": _session_json(request.scheduled, with_outcome=False),
        **({"service_state": request.service_state} if request.service_state else {}),
        "exemptions": [_exemption_json(e) for e in request.exemptions],
    }


def test_stored_results_are_what_painauth_check_answers_for_the_same_document(
        engine: Engine) -> None:
    _seed(engine)
    check_upcoming_visits(engine, AS_OF)
    stored = _stored(engine)
    compared = 0
    for name in ("FrequencyLimitReached", "PriorResponseInsufficient", "StepTherapyInsufficient",
                 "PsychClearanceExpired", "IntervalTooShort"):
        patient_id, session_id = _scenario_session(engine, name)
        answer = check(json.loads(json.dumps(_check_document(engine, patient_id, session_id))),
                       today=AS_OF)
        answer.pop("patient_id")
        answer.pop("as_of")
        assert stored[session_id].result == answer, name
        compared += 1
    assert compared == 5


@pytest.mark.parametrize(("name", "program_finding", "rule"), [
    ("WiserAuthorization", "PRIOR_AUTH_REQUIRED", "medicare-wiser-prior-auth"),
    ("PriorAuthRequired", "PRIOR_AUTH_REQUIRED", "medicare-opd-prior-auth-facet"),
    ("PriorAuthExempt", "PRIOR_AUTH_EXEMPT", "medicare-wiser-prior-auth"),
])
def test_stored_program_cases_get_the_findings_painauth_check_gives(
        engine: Engine, name: str, program_finding: str, rule: str) -> None:
    """A WISeR visit at the Texas location, an OPD one and an exempt provider's: the pre-visit
    check on stored data and `painauth check` on the same visit agree finding for finding."""
    _seed(engine)
    check_upcoming_visits(engine, AS_OF)
    patient_id, session_id = _scenario_session(engine, name)
    answer = check(json.loads(json.dumps(_check_document(engine, patient_id, session_id))),
                   today=AS_OF)
    stored = _stored(engine)[session_id].result
    assert stored["findings"] == answer["findings"]
    assert stored["verdict"] == answer["verdict"]
    assert (program_finding, rule) in {(f["code"], f["policy"]) for f in stored["findings"]}


def test_the_seeded_practice_raises_every_finding_code_each_scenario_its_own(
        engine: Engine) -> None:
    report = _seed(engine)
    summary = check_upcoming_visits(engine, AS_OF)
    assert summary.evaluated == report.scheduled_in_horizon - 1  # the lapsed coverage
    counts = finding_counts(engine, AS_OF)
    assert [code for code in SEVERITY if not counts[code]] == []
    stored = _stored(engine)
    for name, code in SCENARIO_NAMES.items():
        _, session_id = _scenario_session(engine, name)
        assert code in {f["code"] for f in stored[session_id].result["findings"]}, name


def test_authorizations_are_opened_with_what_is_missing_and_an_event(engine: Engine) -> None:
    _seed(engine)
    summary = check_upcoming_visits(engine, AS_OF)
    _, documentation = _scenario_session(engine, "StepTherapyInsufficient")
    _, needed = _scenario_session(engine, "FrequencyLimitApproaching")
    _, blocked = _scenario_session(engine, "PsychNotCleared")  # aetna requires auth, but blocked
    with DbSession(engine) as db:
        # the seeded practice's past, decided requests aside
        auths = {a.session_id: a for a in db.exec(select(AuthorizationRow))
                 if a.decided_at is None}
        events = list(db.exec(select(AuthorizationEventRow)))
    assert summary.authorizations_opened == len(auths) == len(events)
    assert auths[documentation].status == "documentation_missing"
    assert auths[documentation].payer == "unitedhealthcare"
    assert [m.split(":")[0] for m in auths[documentation].missing_items] == [
        "STEP_THERAPY_INSUFFICIENT"]
    assert auths[needed].status == "needed" and auths[needed].missing_items == []
    assert blocked not in auths
    event = next(e for e in events if e.authorization_id == auths[documentation].id)
    assert (event.from_status, event.to_status, event.actor) == (
        None, "documentation_missing", "pre-visit-check")
    assert "medication" in (event.reason or "")


def test_running_again_changes_nothing(engine: Engine) -> None:
    _seed(engine)
    check_upcoming_visits(engine, AS_OF)
    before = {sid: (row.id, row.evaluated_at, row.inputs_hash)
              for sid, row in _stored(engine).items()}
    auths, events = _count(engine, AuthorizationRow), _count(engine, AuthorizationEventRow)
    again = check_upcoming_visits(engine, AS_OF)
    assert (again.changed, again.authorizations_opened) == (0, 0)
    assert again.unchanged == len(before)
    assert {sid: (row.id, row.evaluated_at, row.inputs_hash)
            for sid, row in _stored(engine).items()} == before
    assert (_count(engine, AuthorizationRow), _count(engine, AuthorizationEventRow)) == (
        auths, events)


def _stored_readiness(engine: Engine) -> dict[int, tuple[Any, ...]]:
    """Each visit's stored readiness row, but when it was computed."""
    with DbSession(engine) as db:
        return {row.session_id: (row.readiness, row.rank, row.date, row.mrn, row.provider_id,
                                 row.verdict, row.reason, row.recheck_at)
                for row in db.exec(select(VisitReadinessRow))}


@pytest.mark.parametrize("attention", [False, True], ids=["bare-call", "flow-batch"])
def test_the_readiness_the_check_stores_is_what_the_board_computes_for_each_visit(
        engine: Engine, attention: bool) -> None:
    _seed(engine)
    patients = patients_with_visits(engine, AS_OF, DEFAULT_HORIZON_DAYS)
    summary = check_batch(engine, patients, AS_OF, DEFAULT_HORIZON_DAYS, attention=attention)
    stored = _stored_readiness(engine)
    assert set(stored) == set(_stored(engine)) and len(stored) == summary.evaluated > 0
    assert {name for name, *_ in stored.values()} >= {"stop", "act", "clear"}
    if attention:  # the artifact counts every booked visit, the stored rows among them
        assert sum(summary.readiness.values()) == summary.evaluated + summary.no_coverage
        assert Counter(name for name, *_ in stored.values()) <= summary.readiness
    # the board's own path: the visits read back from the database, their readiness computed
    with DbSession(engine) as db:
        db.execute(delete(VisitReadinessRow))
        store_readiness(db, list(stored))
        db.commit()
    assert _stored_readiness(engine) == stored


def test_a_blocked_visit_needing_authorization_shows_that_none_was_opened(engine: Engine) -> None:
    _seed(engine)
    check_upcoming_visits(engine, AS_OF)
    blocked = [v for v in upcoming_visits(engine, AS_OF, 21)
               if v.verdict == "blocked" and v.mrn.endswith("0000012")]  # PsychNotCleared, Aetna
    assert [v.auth_status for v in blocked] == ["not_opened_blocked"]
    assert _count(engine, AuthorizationRow) > 0  # others were opened


def test_a_prepared_authorization_is_not_reverted_by_the_next_check(engine: Engine) -> None:
    _seed(engine)
    check_upcoming_visits(engine, AS_OF)
    with DbSession(engine) as db:
        auth = db.exec(select(AuthorizationRow).order_by(AuthorizationRow.id)).first()
        assert auth is not None
        auth.status, auth.missing_items = "documentation_missing", ["DIAGNOSIS_MISSING: add one"]
        db.add(auth)
        db.commit()
        auth_id = auth.id
    events = _count(engine, AuthorizationEventRow)
    check_upcoming_visits(engine, AS_OF)
    with DbSession(engine) as db:
        again = db.get(AuthorizationRow, auth_id)
        assert again is not None
        assert (again.status, again.missing_items) == ("documentation_missing",
                                                       ["DIAGNOSIS_MISSING: add one"])
    assert _count(engine, AuthorizationEventRow) == events


def test_a_new_performed_session_changes_the_stored_result(engine: Engine) -> None:
    _seed(engine)
    check_upcoming_visits(engine, AS_OF)
    patient_id, session_id = _scenario_session(engine, "FrequencyLimitApproaching")
    first = _stored(engine)[session_id]
    assert first.verdict == "needs_auth"
    with engine.begin() as connection:  # a third interlaminar ESI, performed 20 days ago
        new_id = connection.execute(insert(SessionRow).values(
            patient_id=patient_id, date=AS_OF - timedelta(days=20), status="performed",
            place_of_service="11", relief_percent=80, duration_days=100,
            created_at=first.evaluated_at, updated_at=first.evaluated_at)).inserted_primary_key
        assert new_id is not None
        connection.execute(insert(SessionCodeRow).values(
            session_id=new_id[0], position=0, code="62323", units=1, modifiers=[]))
    summary = check_upcoming_visits(engine, AS_OF)
    assert summary.changed == 1
    now = _stored(engine)[session_id]
    assert now.id == first.id and now.evaluated_at > first.evaluated_at
    assert now.verdict == "blocked"
    assert "FREQUENCY_LIMIT_REACHED" in {f["code"] for f in now.result["findings"]}
    assert now.result["next_eligible_date"] > AS_OF.isoformat()


def test_sessions_outside_the_horizon_are_ignored(engine: Engine) -> None:
    _seed(engine)
    patient_id, _ = _scenario_session(engine, "LevelsExceeded")
    outside = []
    with engine.begin() as connection:
        for day in (AS_OF - timedelta(days=1), AS_OF + timedelta(days=22)):
            key = connection.execute(insert(SessionRow).values(
                patient_id=patient_id, date=day, status="scheduled", place_of_service="11",
                created_at=AS_OF, updated_at=AS_OF)).inserted_primary_key
            assert key is not None
            outside.append(key[0])
            connection.execute(insert(SessionCodeRow).values(
                session_id=key[0], position=0, code="62323", units=1, modifiers=[]))
    check_upcoming_visits(engine, AS_OF)
    stored = _stored(engine)
    assert stored and not set(outside) & set(stored)
    with DbSession(engine) as db:
        in_horizon = db.exec(select(SessionRow.id).where(
            SessionRow.status == "scheduled", SessionRow.date >= AS_OF,
            SessionRow.date <= AS_OF + timedelta(days=21))).all()
    _, lapsed = _scenario_session(engine, "CoverageLapsed")
    assert set(stored) == set(in_horizon) - {lapsed}


def test_a_patient_without_coverage_is_reported_not_evaluated(engine: Engine) -> None:
    _seed(engine)
    patient_id, session_id = _scenario_session(engine, "CoverageLapsed")
    summary = check_upcoming_visits(engine, AS_OF)
    assert summary.no_coverage == 1
    assert summary.problems == [
        f"session {session_id}: patient {_mrn(engine, patient_id)} has no coverage in force on "
        f"{(AS_OF + timedelta(days=5)).isoformat()}"]
    assert session_id not in _stored(engine)
    assert summary.evaluated > 0


def test_reading_only_the_history_the_policies_reach_gives_the_same_answers(
        engine: Engine) -> None:
    seed_practice(engine, seed=5, as_of=AS_OF, shape=PracticeShape(
        patients=400, performed=8000, scheduled=200, history_months=48))
    policies = policies_in_force()
    reach = history_reach(policies.values(), load_catalog())
    with DbSession(engine) as db:
        ids = patients_with_visits(engine, AS_OF, 21)
        everything = load_patient_records(db, ids)
        bounded = load_patient_records(db, ids, since=reach.since(AS_OF),
                                       lasting_codes=reach.lasting_codes)
    assert sum(len(r.sessions) for r in bounded.values()) < sum(
        len(r.sessions) for r in everything.values()) * 0.7
    compared = 0
    for pid, record in everything.items():
        for stored in record.scheduled():
            if stored.session.date > AS_OF + timedelta(days=21):
                continue
            try:
                full = record.check_request(stored.id, AS_OF)
            except NoCoverageOnDate:
                continue
            short = bounded[pid].check_request(stored.id, AS_OF)
            policy = policies[full.payer]
            assert evaluate(short, policy).as_json() == evaluate(full, policy).as_json()
            compared += 1
    assert compared >= 150


def _mrn(engine: Engine, patient_id: int) -> str:
    with DbSession(engine) as db:
        patient = db.get(PatientRow, patient_id)
        assert patient is not None
        return patient.mrn


# --- the Prefect flow itself, on a temporary Prefect server ----------------------------------

def test_the_flow_publishes_the_visits_needing_attention_as_a_table_artifact(
        prefect_server: None, database_url: str, engine: Engine,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.pre_visit_check import pre_visit_check

    _seed(engine)
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", database_url)
    state = pre_visit_check(as_of=AS_OF, return_state=True)
    assert state.is_completed(), state.message
    summary = state.result()
    assert summary["evaluated"] == len(_stored(engine)) > 0
    artifacts = published(state, "pre-visit-status")
    assert len(artifacts) == 1 and artifacts[0].type == "table"
    data = artifacts[0].data
    rows = json.loads(data) if isinstance(data, str) else data
    blocked_mrn = _mrn(engine, _scenario_session(engine, "FrequencyLimitReached")[0])
    row = next(r for r in rows if r["mrn"] == blocked_mrn)
    assert (row["verdict"], row["readiness"], row["reasons"]) == ("blocked", "stop",
                                                                  "POLICY_BLOCKED")
    assert "4 of 4" in row["counters"] and row["next eligible"] > AS_OF.isoformat()
    # exactly the board's rows that are not clear, in the board's order (worst first)
    board = [v for v in status_visits(engine, AS_OF, DEFAULT_HORIZON_DAYS) if v.needs_attention]
    assert [(r["session"], r["readiness"]) for r in rows] == [
        (str(v.session_id), v.readiness.readiness) for v in board]
    assert "clear" not in {r["readiness"] for r in rows}
    # every visit's readiness went into its history, as the board reads it
    every = status_visits(engine, AS_OF, DEFAULT_HORIZON_DAYS)
    with DbSession(engine) as db:
        history = {row.session_id: row.readiness for row in db.exec(
            select(ReadinessChangeRow).order_by(col(ReadinessChangeRow.id)))}  # newest wins
    assert history == {v.session_id: v.readiness.readiness for v in every}


def test_a_network_sized_status_table_shows_the_worst_rows_and_says_the_board_has_the_rest(
        prefect_server: None, database_url: str, engine: Engine,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import flows.pre_visit_check as flow_module

    _seed(engine)
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", database_url)
    monkeypatch.setattr(flow_module, "ARTIFACT_ROWS", 2)
    state = flow_module.pre_visit_check(as_of=AS_OF, return_state=True)
    assert state.is_completed(), state.message
    [table] = published(state, "pre-visit-status")
    rows = json.loads(table.data) if isinstance(table.data, str) else table.data
    board = [v for v in status_visits(engine, AS_OF, DEFAULT_HORIZON_DAYS) if v.needs_attention]
    assert len(board) > 2
    assert [r["session"] for r in rows] == [str(v.session_id) for v in board[:2]]
    assert f"the first 2 of {len(board)}; the board lists them all" in table.description
    [summary] = published(state, "pre-visit-summary")
    assert f"{len(board)} need attention (the status table shows the first 2" in summary.data


def test_the_synthetic_practice_ships_locations_whose_state_and_place_its_visits_are_checked_in(
        engine: Engine) -> None:
    _seed(engine)
    seed_practice(engine, seed=12, as_of=AS_OF, shape=PracticeShape(patients=20))
    with DbSession(engine) as db:
        locations = {row.id: row for row in db.exec(select(LocationRow))}
        # once, whichever seeds share the database
        assert sorted(r.code for r in locations.values()) == sorted(place["code"] for place in LOCATIONS)
        assert {r.state for r in locations.values()} == {"NM", "TX"}
        placed = list(db.exec(select(SessionRow).where(col(SessionRow.location_id).is_not(None))))
        # a session's place of service is its location's: the board has nothing to flag
        assert placed and all(s.place_of_service == locations[s.location_id].place_of_service
                              for s in placed if s.location_id is not None)
        texas = {i for i, r in locations.items() if r.state == "TX"}
        booked = list(db.exec(select(SessionRow).where(col(SessionRow.location_id).in_(texas),
                                                       SessionRow.status == "scheduled")))
        assert booked and all(s.service_state is None for s in booked)  # state from location
        # the evidence a reviewer reads: scores beside the relief, imaging, the psychologist
        performed = list(db.exec(select(SessionRow).where(
            SessionRow.status == "performed", col(SessionRow.relief_percent).is_not(None))))
        assert performed and all(s.pain_before is not None and s.function_scale == "ODI"
                                 for s in performed)
        assert db.exec(select(ImagingStudyRow)).first() is not None
        assert all(p.evaluator for p in db.exec(select(PsychEvaluationRow)))
        records = load_patient_records(db, [s.patient_id for s in booked])
        states = {records[s.patient_id].check_request(s.id, as_of=AS_OF).service_state
                  for s in booked if s.id is not None
                  and records[s.patient_id].payer_on(s.date) is not None}
        assert states == {"TX"}
        assert all(c.outcome for c in db.exec(select(ConservativeCareRow)))


# --- the batches on a Dask cluster of two worker processes -------------------------------------

@pytest.fixture(scope="module")
def postgresql_dask_scheduler(postgresql_url: str) -> Iterator[str]:
    """A Dask cluster of two worker processes on loopback, as a network runs one beside its
    PostgreSQL database: its workers have the settings in their own environment. Stopped when
    the module's tests end, also on failure."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0",
                      env={"PAINAUTH_DATABASE_URL": postgresql_url}) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def batches_on_two_workers(request: pytest.FixtureRequest, database_url: str,
                           monkeypatch: pytest.MonkeyPatch) -> str:
    """Where the flow's batches go, as each backend is deployed: on one machine (SQLite) the
    flow starts a local cluster of PAINAUTH_CHECK_WORKERS=2 processes itself and stops it; a
    network (PostgreSQL) names its cluster's scheduler in PAINAUTH_DASK_SCHEDULER. The
    scheduler's address, or "" for the flow's own cluster."""
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", database_url)
    monkeypatch.setenv("PAINAUTH_CHECK_WORKERS", "2")
    if database_url.startswith("sqlite"):
        return ""
    address: str = request.getfixturevalue("postgresql_dask_scheduler")
    monkeypatch.setenv("PAINAUTH_DASK_SCHEDULER", address)
    return address


def _batches_run_by_each_worker(address: str) -> list[int]:
    from distributed import Client

    with Client(address) as client:
        counts = client.run(lambda dask_worker: dask_worker.state.executed_count)
    return sorted(counts.values())


def _open_authorizations_per_session(engine: Engine) -> dict[int, int]:
    with DbSession(engine) as db:
        return dict(db.exec(select(AuthorizationRow.session_id, func.count())
                            .where(AuthorizationRow.decided_at.is_(None))  # type: ignore[union-attr]
                            .group_by(col(AuthorizationRow.session_id))).all())


def _forget_the_check(engine: Engine) -> None:
    """Back to before any check: no results, and only the seeded (decided) authorizations."""
    with engine.begin() as connection:
        for model in (AuthorizationEventRow, EvaluationResultRow):
            connection.execute(delete(model))
        connection.execute(delete(AuthorizationRow).where(
            AuthorizationRow.decided_at.is_(None)))  # type: ignore[union-attr]


def _checked_alone(engine: Engine) -> tuple[Any, dict[int, Any], dict[int, int], int]:
    """The seeded practice checked in this process, then forgotten: the run's summary, each
    session's verdict and inputs, the authorizations opened per session and the events written
    — what a run spread over workers must store again, exactly once."""
    _seed(engine)
    summary = check_upcoming_visits(engine, AS_OF, batch_patients=7)
    alone = {sid: (row.verdict, row.inputs_hash) for sid, row in _stored(engine).items()}
    found = (summary, alone, _open_authorizations_per_session(engine),
             _count(engine, AuthorizationEventRow))
    _forget_the_check(engine)
    return found


def _child_processes() -> set[str]:
    """This process's children, but multiprocessing's resource tracker, which the first worker
    process Python spawns starts and which lives as long as this process."""
    import psutil

    return {f"{child.pid} {' '.join(child.cmdline())}"
            for child in psutil.Process().children(recursive=True)
            if "resource_tracker" not in " ".join(child.cmdline())}


def test_the_flow_on_two_dask_workers_stores_what_one_process_stores(
        prefect_server: None, batches_on_two_workers: str, engine: Engine) -> None:
    from flows.batches import runs_in_process
    from flows.pre_visit_check import pre_visit_check

    one, alone, opened_alone, events_alone = _checked_alone(engine)
    address = batches_on_two_workers
    before = _batches_run_by_each_worker(address) if address else []
    processes = _child_processes()
    # batches of 3: more than two per worker, which a local cluster starts for (flows/batches.py)
    size = 7 if address else 3
    assert not runs_in_process(len(list(batches(
        patients_with_visits(engine, AS_OF, DEFAULT_HORIZON_DAYS), size))))
    state = pre_visit_check(as_of=AS_OF, batch_patients=size, return_state=True)
    assert state.is_completed(), state.message
    if address:  # both workers of the network's cluster took batches
        after = _batches_run_by_each_worker(address)
        assert len(after) == 2 and all(b > a for a, b in zip(before, after, strict=True))
    else:  # the cluster the flow started is gone with it
        assert _child_processes() <= processes
    assert state.result() == one.as_json()
    assert {sid: (row.verdict, row.inputs_hash) for sid, row in _stored(engine).items()} == alone
    opened = _open_authorizations_per_session(engine)
    assert opened == opened_alone and set(opened.values()) == {1}  # each opened once
    assert _count(engine, AuthorizationEventRow) == events_alone


def test_a_run_of_a_few_batches_on_one_machine_starts_no_cluster_and_stores_the_same(
        prefect_server: None, database_url: str, engine: Engine,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers, four batches: a local cluster would cost more to start and stop than its
    workers save, so the batches run in the flow's process, with the same results."""
    import distributed

    from flows.pre_visit_check import pre_visit_check

    one, alone, _, _ = _checked_alone(engine)
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", database_url)
    monkeypatch.setenv("PAINAUTH_CHECK_WORKERS", "2")
    monkeypatch.delenv("PAINAUTH_DASK_SCHEDULER", raising=False)
    assert 1 < len(list(batches(patients_with_visits(engine, AS_OF, DEFAULT_HORIZON_DAYS), 7))) <= 4

    def no_cluster(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a local Dask cluster was started")

    monkeypatch.setattr(distributed.LocalCluster, "__init__", no_cluster)
    state = pre_visit_check(as_of=AS_OF, batch_patients=7, return_state=True)
    assert state.is_completed(), state.message
    assert state.result() == one.as_json()
    assert {sid: (row.verdict, row.inputs_hash) for sid, row in _stored(engine).items()} == alone
    assert set(_open_authorizations_per_session(engine).values()) == {1}


# A fault the database raises when a batch stores a given session's result: 40P01 (deadlock
# detected) once — a sequence counts the tries, since a failed transaction undoes everything
# else — and P0001 (a plain error) every time.
FAULTS = """
CREATE SEQUENCE check_fault_tries;
CREATE FUNCTION check_fault() RETURNS trigger AS $$
BEGIN
  IF NEW.session_id = {once} THEN
    IF nextval('check_fault_tries') = 1 THEN
      RAISE EXCEPTION 'deadlock stand-in' USING ERRCODE = '40P01';
    END IF;
  END IF;
  IF NEW.session_id = {always} THEN
    RAISE EXCEPTION 'a result this database refuses';
  END IF;
  RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER check_fault BEFORE INSERT ON evaluation_results
  FOR EACH ROW EXECUTE FUNCTION check_fault();
"""
NO_FAULTS = """
DROP TRIGGER IF EXISTS check_fault ON evaluation_results;
DROP FUNCTION IF EXISTS check_fault();
DROP SEQUENCE IF EXISTS check_fault_tries;
"""


def test_a_batch_the_database_failed_once_is_retried_and_one_that_fails_leaves_nothing_half_done(
        prefect_server: None, postgresql_url: str, postgresql_dask_scheduler: str,
        empty_tables: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy import text

    from flows.pre_visit_check import pre_visit_check
    from tracker.store import connect

    engine = connect(empty_tables(postgresql_url))
    try:
        _, alone, opened_alone, _ = _checked_alone(engine)
        patients = patients_with_visits(engine, AS_OF, DEFAULT_HORIZON_DAYS)
        groups = list(batches(patients, 7))
        first, last = groups[0], groups[-1]
        with DbSession(engine) as db:
            patient_of = dict(db.exec(select(SessionRow.id, SessionRow.patient_id)
                                      .where(col(SessionRow.id).in_(list(alone)))).all())
        once = next(sid for sid in sorted(alone) if patient_of[sid] in first)
        always = next(sid for sid in sorted(alone) if patient_of[sid] in last)
        with engine.begin() as connection:
            connection.execute(text(NO_FAULTS))
            connection.execute(text(FAULTS.format(once=once, always=always)))
        monkeypatch.setenv("PAINAUTH_DATABASE_URL", postgresql_url)
        monkeypatch.setenv("PAINAUTH_DASK_SCHEDULER", postgresql_dask_scheduler)

        state = pre_visit_check(as_of=AS_OF, batch_patients=7, return_state=True)
        assert state.is_failed()
        message = state.message or ""
        assert "1 of" in message and "a result this database refuses" in message
        stored = {sid: (row.verdict, row.inputs_hash) for sid, row in _stored(engine).items()}
        failed_batch = {sid for sid in alone if patient_of[sid] in last}
        assert once in stored  # its batch was retried after the deadlock
        assert stored == {sid: v for sid, v in alone.items() if sid not in failed_batch}

        with engine.begin() as connection:  # the fault fixed: the next run stores the rest
            connection.execute(text(NO_FAULTS))
        state = pre_visit_check(as_of=AS_OF, batch_patients=7, return_state=True)
        assert state.is_completed(), state.message
        assert {sid: (row.verdict, row.inputs_hash) for sid, row in _stored(engine).items()} == alone
        assert _open_authorizations_per_session(engine) == opened_alone
    finally:
        with engine.begin() as connection:
            connection.execute(text(NO_FAULTS))
        engine.dispose()


# --- a Dask worker process lost mid-run -------------------------------------------------------

LOCK_WAITERS = """
SELECT client_port FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
"""


def _worker_holding(address: str, client_port: int) -> int | None:
    """The pid of the Dask worker process whose database connection uses this local port."""
    import os

    import psutil
    from distributed import Client

    with Client(address) as client:
        pids = client.run(os.getpid)
    for pid in pids.values():
        if any(c.laddr and c.laddr.port == client_port
               for c in psutil.Process(pid).net_connections(kind="tcp")):
            return int(pid)
    return None


def test_a_dask_worker_killed_mid_batch_still_leaves_every_visit_checked_exactly_once(
        prefect_server: None, postgresql_url: str, empty_tables: Callable[[str], str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch is held mid-transaction (the test locks one of its sessions, so the batch waits
    on the lock with its results unwritten), the worker process running it is killed, the lock
    released: Dask gives the batch to a worker again, and the run ends with each visit's result,
    authorization and events stored once — what one process stores."""
    import os
    import signal
    import threading
    import time

    from distributed import LocalCluster
    from sqlalchemy import text

    from flows.pre_visit_check import pre_visit_check
    from tracker.store import connect

    engine = connect(empty_tables(postgresql_url))
    try:
        _, alone, opened_alone, events_alone = _checked_alone(engine)
        first_batch = next(batches(patients_with_visits(engine, AS_OF, DEFAULT_HORIZON_DAYS), 7))
        with DbSession(engine) as db:
            held = min(db.exec(select(SessionRow.id).where(
                col(SessionRow.patient_id).in_(first_batch), SessionRow.status == "scheduled",
                col(SessionRow.id).in_(list(alone)))).all())
        killed: list[int] = []
        problems: list[str] = []
        with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                          dashboard_address="127.0.0.1:0",
                          env={"PAINAUTH_DATABASE_URL": postgresql_url}) as cluster:
            monkeypatch.setenv("PAINAUTH_DATABASE_URL", postgresql_url)
            monkeypatch.setenv("PAINAUTH_DASK_SCHEDULER", cluster.scheduler_address)
            lock = engine.connect()
            lock.begin()
            lock.execute(text("SELECT id FROM sessions WHERE id = :id FOR UPDATE"), {"id": held})

            def kill_the_waiting_worker() -> None:
                try:
                    deadline = time.monotonic() + 300  # a busy machine; normally a few seconds
                    while time.monotonic() < deadline and not killed:
                        with engine.connect() as watch:
                            ports = watch.execute(text(LOCK_WAITERS)).scalars().all()
                            written = watch.execute(text(
                                "SELECT count(*) FROM evaluation_results WHERE session_id = :id"),
                                {"id": held}).scalar_one()
                        for port in ports:
                            pid = _worker_holding(cluster.scheduler_address, port)
                            if pid is not None:
                                if written:
                                    problems.append("the held batch had written its result")
                                os.kill(pid, signal.SIGKILL)
                                killed.append(pid)
                                break
                        else:
                            time.sleep(0.1)  # polling the database for the waiter, not a delay
                    if not killed:
                        problems.append("no worker waited on the held session within 300 s")
                finally:
                    lock.rollback()
                    lock.close()

            killer = threading.Thread(target=kill_the_waiting_worker)
            killer.start()
            try:
                state = pre_visit_check(as_of=AS_OF, batch_patients=7, return_state=True)
            finally:
                killer.join(timeout=600)
        assert not problems and len(killed) == 1
        assert state.is_completed(), state.message
        assert {sid: (row.verdict, row.inputs_hash) for sid, row in _stored(engine).items()} == alone
        opened = _open_authorizations_per_session(engine)
        assert opened == opened_alone and set(opened.values()) == {1}  # each opened once
        assert _count(engine, AuthorizationEventRow) == events_alone
        with DbSession(engine) as db:  # one readiness change per visit, none recorded twice
            changes = db.exec(select(ReadinessChangeRow.session_id)).all()
        assert len(changes) == len(set(changes))
    finally:
        engine.dispose()
