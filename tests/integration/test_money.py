"""The practice's money on a small practice worked out by hand: revenue at risk on the upcoming
visits, what painauth protected, and the charges performed sessions did not bill — on SQLite
and PostgreSQL — and the fee schedule's CSV import."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tests.prefect_runs import published
from tracker.cli import main
from tracker.money.at_risk import protected, revenue_at_risk
from tracker.money.capture import missed_charges
from tracker.money.fee_schedule import load_fee_schedule
from tracker.money.headline import headline, weekly_markdown
from tracker.store.database import connect
from tracker.store.tables import (
    CoverageRow,
    EvaluationResultRow,
    FeeRow,
    PatientRow,
    ProviderRow,
    QuarantinedRow,
    SessionCodeRow,
    SessionRow,
)
from tracker.visits.readiness_history import record_readiness
from tracker.visits.upcoming import upcoming_visits

from .practice_files import run_import, seed_patient_and_provider

AS_OF = date(2026, 12, 1)  # a Tuesday
MORNING = datetime(2026, 12, 1, 14, tzinfo=UTC)
NEXT_DAY = datetime(2026, 12, 2, 14, tzinfo=UTC)

FEES = [  # (payer, code, cents, from, to)
    ("*", "64483", 27000, date(2020, 1, 1), date(2025, 12, 31)),
    ("*", "64483", 28500, date(2026, 1, 1), None),
    ("medicare", "64483", 25000, date(2026, 1, 1), None),
    ("*", "77003", 7200, date(2020, 1, 1), None),
    ("*", "20552", 6200, date(2020, 1, 1), None),
    ("*", "20553", 7800, date(2020, 1, 1), None),
    ("medicare", "J1010", 10, date(2020, 1, 1), None),
]


class Practice:
    """Rows written straight into the store, as the import and the pre-visit check leave them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with DbSession(engine) as db:
            provider = ProviderRow(npi="1234567893", name="Dr. Synthia Example")
            db.add(provider)
            for payer, code, cents, start, end in FEES:
                db.add(FeeRow(payer=payer, code=code, amount_cents=cents, effective_start=start,
                              effective_end=end))
            db.commit()
            self.provider_id = provider.id

    def patient(self, mrn: str, payer: str, *, covered_until: date | None = None) -> int:
        with DbSession(self.engine) as db:
            patient = PatientRow(mrn=mrn, family_name="Testperson", given_name=mrn,
                                 birth_date=date(1960, 1, 2))
            db.add(patient)
            db.flush()
            assert patient.id is not None
            db.add(CoverageRow(patient_id=patient.id, payer=payer, member_id=f"M-{mrn}",
                               effective_start=date(2024, 1, 1), effective_end=covered_until))
            db.commit()
            return patient.id

    def session(self, patient_id: int, day: date, codes: list[tuple[str, int]], *,
                status: str = "scheduled", evaluation: dict[str, Any] | None = None,
                payer: str = "", line_details: dict[str, dict[str, Any]] | None = None,
                **columns: Any) -> int:
        with DbSession(self.engine) as db:
            session = SessionRow(patient_id=patient_id, provider_id=self.provider_id, date=day,
                                 status=status, **columns)
            db.add(session)
            db.flush()
            assert session.id is not None
            for position, (code, units) in enumerate(codes):
                db.add(SessionCodeRow(session_id=session.id, position=position, code=code,
                                      units=units, **(line_details or {}).get(code, {})))
            if evaluation is not None:
                db.add(EvaluationResultRow(session_id=session.id, payer=payer,
                                           verdict=evaluation["verdict"],
                                           result={**evaluation, "scheduled_date": day.isoformat()},
                                           inputs_hash="test"))
            db.commit()
            return session.id

    def move(self, session_id: int, day: date, evaluation: dict[str, Any]) -> None:
        """The booking moved to `day`, and the pre-visit check evaluated it there."""
        with DbSession(self.engine) as db:
            session = db.get(SessionRow, session_id)
            result = db.exec(select(EvaluationResultRow)
                             .where(col(EvaluationResultRow.session_id) == session_id)).one()
            assert session is not None
            session.date = day
            result.verdict = evaluation["verdict"]
            result.result = {**evaluation, "scheduled_date": day.isoformat()}
            db.add(session)
            db.add(result)
            db.commit()


CLEAR = {"verdict": "allowed", "findings": [], "prior_auth_required": False}
BLOCKED = {"verdict": "blocked", "prior_auth_required": False, "next_eligible_date": "2026-12-21",
           "findings": [{"code": "FREQUENCY_LIMIT_REACHED", "severity": "block",
                         "message": "4 of 4 lumbar ESI sessions in 12 months"}]}
NEEDS_AUTH = {"verdict": "allowed", "findings": [], "prior_auth_required": True}


@pytest.fixture
def practice(engine: Engine) -> Practice:
    """Four upcoming visits, each readiness worked out by hand:

    A  medicare  Dec 3   64483 + 64484x2   not evaluated -> act    $250 (64484: no fee on file)
    B  aetna     Dec 10  20552             coverage ended -> stop  $62 (no payer: any-payer fee)
    C  cigna     Dec 4   64483             clear                   not at risk
    D  medicare  Dec 20  64483 + 77003     blocked -> stop         $250 + $72 = $322
    E  aetna     Dec 8   64483             authorization not yet submitted -> act   $285
    """
    p = Practice(engine)
    a = p.patient("A", "medicare")
    p.session(a, date(2026, 12, 3), [("64483", 1), ("64484", 2)])
    b = p.patient("B", "aetna", covered_until=date(2026, 11, 30))
    p.session(b, date(2026, 12, 10), [("20552", 1)], muscles=2)
    c = p.patient("C", "cigna")
    p.session(c, date(2026, 12, 4), [("64483", 1)], evaluation=CLEAR, payer="cigna")
    d = p.patient("D", "medicare")
    p.d = p.session(d, date(2026, 12, 20), [("64483", 1), ("77003", 1)],  # type: ignore[attr-defined]
                    evaluation=BLOCKED, payer="medicare")
    e = p.patient("E", "aetna")
    p.session(e, date(2026, 12, 8), [("64483", 1)], evaluation=NEEDS_AUTH, payer="aetna")
    return p


def test_revenue_at_risk_is_the_stop_and_act_visits_times_their_fees(practice: Practice) -> None:
    risk = revenue_at_risk(practice.engine, AS_OF, 21, now=MORNING)

    assert {v.mrn: (v.readiness, v.reason, v.amount_cents, v.unpriced) for v in risk.visits} == {
        "A": ("act", "NOT_EVALUATED", 25000, ("64484",)),
        "B": ("stop", "NO_COVERAGE", 6200, ()),
        "D": ("stop", "POLICY_BLOCKED", 32200, ()),
        "E": ("act", "NOT_SUBMITTED", 28500, ()),
    }
    assert risk.total_cents == 25000 + 6200 + 32200 + 28500
    assert risk.by_reason == {"POLICY_BLOCKED": 32200, "NOT_SUBMITTED": 28500,
                              "NOT_EVALUATED": 25000, "NO_COVERAGE": 6200}
    assert risk.by_payer == {"medicare": 57200, "aetna": 28500, "no coverage": 6200}
    assert risk.by_provider == {"Dr. Synthia Example": 91900}
    assert risk.by_days_to_visit == {"0-2 days": 25000, "3-7 days": 28500, "8-14 days": 6200,
                                     "15+ days": 32200}
    assert risk.by_week == {date(2026, 11, 30): 25000, date(2026, 12, 7): 28500 + 6200,
                            date(2026, 12, 14): 32200}
    assert risk.visits_without_fee == 1

    already_read = upcoming_visits(practice.engine, AS_OF, 21, now=MORNING)
    assert revenue_at_risk(practice.engine, AS_OF, 21, visits=already_read) == risk
    next_seven_days = revenue_at_risk(practice.engine, AS_OF, 6, now=MORNING)  # Dec 1-7
    assert next_seven_days.total_cents == 25000


def test_a_blocked_visit_moved_to_an_eligible_date_is_protected_with_its_amount(
        practice: Practice) -> None:
    engine = practice.engine
    assert record_readiness(engine, upcoming_visits(engine, AS_OF, 21, now=MORNING),
                            at=MORNING) == 5
    practice.move(practice.d, date(2026, 12, 21), CLEAR)  # type: ignore[attr-defined]
    later = upcoming_visits(engine, AS_OF, 21, now=NEXT_DAY)
    assert record_readiness(engine, later, at=NEXT_DAY) == 1  # only D changed
    assert record_readiness(engine, later, at=NEXT_DAY) == 0

    saved = protected(engine, AS_OF, date(2026, 12, 7))

    assert [(v.mrn, v.flagged, v.reason, v.flagged_at, v.cleared_at, v.visit_date,
             v.amount_cents) for v in saved.visits] == [
        ("D", "stop", "POLICY_BLOCKED", AS_OF, date(2026, 12, 2), date(2026, 12, 21), 32200)]
    assert saved.total_cents == 32200
    assert saved.by_reason == {"POLICY_BLOCKED": 32200}
    assert saved.by_week == {date(2026, 11, 30): 32200}
    assert protected(engine, date(2026, 12, 3), date(2026, 12, 7)).total_cents == 0
    assert revenue_at_risk(engine, AS_OF, 21, now=NEXT_DAY).total_cents == 25000 + 6200 + 28500


def test_a_bilateral_transforaminal_line_is_at_risk_and_protected_at_150_percent(
        practice: Practice) -> None:
    """F aetna Dec 9: 64483-50, one unit (both sides of one level) at the any-payer $285 ->
    $285 x 150 % = $427.50. G aetna Dec 11: 20552-50 -> $62: trigger points are not a code
    the catalog pays bilaterally, so modifier 50 changes nothing."""
    engine = practice.engine
    f = practice.patient("F", "aetna")
    bilateral = practice.session(f, date(2026, 12, 9), [("64483", 1)], evaluation=NEEDS_AUTH,
                                 payer="aetna", line_details={"64483": {"modifiers": ["50"]}})
    g = practice.patient("G", "aetna")
    practice.session(g, date(2026, 12, 11), [("20552", 1)], evaluation=NEEDS_AUTH,
                     payer="aetna", line_details={"20552": {"modifiers": ["50"]}})

    risk = revenue_at_risk(engine, AS_OF, 21, now=MORNING)

    amounts = {v.mrn: v.amount_cents for v in risk.visits}
    assert amounts["F"] == 42750 and amounts["G"] == 6200
    assert risk.total_cents == 25000 + 6200 + 32200 + 28500 + 42750 + 6200
    assert risk.by_reason["NOT_SUBMITTED"] == 28500 + 42750 + 6200
    already_read = upcoming_visits(engine, AS_OF, 21, now=MORNING)
    assert revenue_at_risk(engine, AS_OF, 21, visits=already_read) == risk

    record_readiness(engine, already_read, at=MORNING)
    practice.move(bilateral, date(2026, 12, 10), CLEAR)  # approved, moved a day
    record_readiness(engine, upcoming_visits(engine, AS_OF, 21, now=NEXT_DAY), at=NEXT_DAY)
    saved = protected(engine, AS_OF, date(2026, 12, 7))
    assert [(v.mrn, v.payer, v.amount_cents) for v in saved.visits] == [("F", "aetna", 42750)]
    assert saved.total_cents == 42750


def performed_with_charges_to_capture(practice: Practice) -> None:
    """November: P1 20552 for 4 muscles under ultrasound -> 20553 instead ($78 - $62 = $16) and
    76942 (no fee on file); P2 medicare 64483 with 40 mg J1010 discarded, no JW line -> 40 units
    at $0.10 = $4; P3 a stimulator trial under fluoroscopy given dexamethasone -> 77003 $72 and
    J1100 (no fee on file). October: P4 62322 under fluoroscopy -> 62323 (no fee on file)."""
    one = practice.patient("P1", "aetna")
    practice.session(one, date(2026, 11, 3), [("20552", 1)], status="performed", muscles=4,
                     guidance="ultrasound")
    two = practice.patient("P2", "medicare")
    practice.session(two, date(2026, 11, 12), [("64483", 1), ("J1010", 40)],
                     status="performed", guidance="fluoroscopy",
                     drugs_given=[{"code": "J1010", "dose_mg": 40, "wasted_mg": 40}],
                     line_details={"J1010": {"dose_mg": 40, "container": "single_dose"}})
    three = practice.patient("P3", "cigna")
    practice.session(three, date(2026, 11, 20), [("63650", 1)], status="performed",
                     intent="trial", guidance="fluoroscopy",
                     drugs_given=[{"code": "J1100", "dose_mg": 10, "wasted_mg": 0}])
    four = practice.patient("P4", "aetna")
    practice.session(four, date(2026, 10, 14), [("62322", 1)], status="performed",
                     guidance="fluoroscopy")


def test_missed_charges_on_performed_sessions_are_priced_from_the_fee_schedule(
        practice: Practice, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The charges of `performed_with_charges_to_capture`, priced."""
    engine = practice.engine
    performed_with_charges_to_capture(practice)

    missed = missed_charges(engine, date(2026, 10, 1), date(2026, 11, 30))

    assert [(c.mrn, c.kind, c.code, c.units, c.amount_cents) for c in missed.charges] == [
        ("P4", "guidance_not_billed", "62323", 1, None),
        ("P1", "guidance_not_billed", "76942", 1, None),
        ("P1", "trigger_point_muscles", "20553", 1, 1600),
        ("P2", "waste_not_billed", "J1010", 40, 400),
        ("P3", "guidance_not_billed", "77003", 1, 7200),
        ("P3", "drug_not_billed", "J1100", 10, None),
    ]
    assert missed.total_cents == 9200
    assert missed.by_kind == {"guidance_not_billed": 7200, "trigger_point_muscles": 1600,
                              "waste_not_billed": 400}
    assert missed.by_month == {date(2026, 11, 1): 9200}
    assert missed.without_fee == 3
    assert missed_charges(engine, date(2026, 11, 13), date(2026, 11, 30)).total_cents == 7200

    top = headline(engine, AS_OF)
    report = weekly_markdown(top, missed_charges(engine, date(2026, 11, 14), AS_OF))
    assert "Not captured in November 2026: $92.00 in 5 charge(s)" in report
    assert "(2 of them with no fee on file, not counted)" in report
    assert "| 2026-11-20 | P3 | cigna | imaging guidance not billed | 77003 | $72.00 |" in report
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["money", "--as-of", "2026-12-01", "--since", "2026-11-01"]) == 0
    out = capsys.readouterr().out
    assert "Not captured in November 2026: $92.00" in out and "no fee on file" in out
    assert main(["money", "--as-of", "2026-12-01", "--since", "2026-12-02"]) == 2
    assert "--since 2026-12-02 is after --as-of 2026-12-01" in capsys.readouterr().err


def test_a_missed_charge_billed_after_all_leaves_the_list_and_a_new_session_joins_it(
        practice: Practice) -> None:
    """The misses are kept per session (charge_checks): billing adding the missing line, a
    corrected procedure note, a newly imported session and a new release of the rules each
    show on the next read."""
    from sqlalchemy import update

    from tracker.store.tables import ChargeCheckRow

    engine = practice.engine
    one = practice.patient("P1", "medicare")
    trial = practice.session(one, date(2026, 11, 20), [("63650", 1)], status="performed",
                             intent="trial", guidance="fluoroscopy")
    two = practice.patient("P2", "aetna")
    points = practice.session(two, date(2026, 11, 3), [("20552", 1)], status="performed",
                              muscles=4)

    def found() -> list[tuple[str, str, str]]:
        return [(c.mrn, c.kind, c.code) for c in
                missed_charges(engine, date(2026, 11, 1), date(2026, 11, 30)).charges]

    assert found() == [("P2", "trigger_point_muscles", "20553"),
                       ("P1", "guidance_not_billed", "77003")]
    with DbSession(engine) as db:  # billing adds the fluoroscopy line the note supports
        db.add(SessionCodeRow(session_id=trial, position=1, code="77003", units=1))
        db.commit()
    assert found() == [("P2", "trigger_point_muscles", "20553")]
    with DbSession(engine) as db:  # the note is corrected: two muscles, as billed
        session = db.get(SessionRow, points)
        assert session is not None
        session.muscles = 2
        db.add(session)
        db.commit()
    assert found() == []
    three = practice.patient("P3", "cigna")
    practice.session(three, date(2026, 11, 25), [("62322", 1)], status="performed",
                     guidance="fluoroscopy")
    assert found() == [("P3", "guidance_not_billed", "62323")]
    with engine.begin() as connection:  # checks kept under an earlier release of the rules
        connection.execute(update(ChargeCheckRow).values(rules="earlier", missed=0, misses=[]))
    assert found() == [("P3", "guidance_not_billed", "62323")]


def test_the_charges_to_capture_flow_publishes_the_revenue_headline_as_a_markdown_artifact(
        prefect_server: None, practice: Practice, monkeypatch: pytest.MonkeyPatch) -> None:
    """The weekly flow on a temporary Prefect server, as of 2 December: at risk December 2-8,
    A $250 (act; 64484 has no fee) and E $285 (act); protected, D's $322 (stop on 1 December,
    moved to an eligible date on the 2nd); not captured in November, the $92 of
    `performed_with_charges_to_capture`; this week, P5's stimulator trial of 1 December under
    fluoroscopy without its 77003 ($72)."""
    from flows.charges_to_capture import charges_to_capture

    engine = practice.engine
    performed_with_charges_to_capture(practice)
    five = practice.patient("P5", "cigna")
    practice.session(five, date(2026, 12, 1), [("63650", 1)], status="performed",
                     intent="trial", guidance="fluoroscopy")
    record_readiness(engine, upcoming_visits(engine, AS_OF, 21, now=MORNING), at=MORNING)
    practice.move(practice.d, date(2026, 12, 21), CLEAR)  # type: ignore[attr-defined]
    record_readiness(engine, upcoming_visits(engine, AS_OF, 21, now=NEXT_DAY), at=NEXT_DAY)
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", engine.url.render_as_string(hide_password=False))

    state = charges_to_capture(as_of=date(2026, 12, 2), return_state=True)

    assert state.is_completed(), state.message
    assert state.result() == {"at_risk_cents": 25000 + 28500, "protected_cents": 32200,
                              "not_captured_last_month_cents": 9200, "charges_this_week": 1,
                              "charges_this_week_cents": 7200}
    [artifact] = published(state, "charges-to-capture")
    assert artifact.type == "markdown"
    for line in (
            "# Money, week of 2026-12-02",
            "- At risk this week: $535.00 on 2 visit(s) marked stop or act (1 of them book a "
            "code with no fee on file, not counted)",
            "- Protected in the last 7 days: $322.00 on 1 visit(s) fixed or moved after "
            "painauth flagged them",
            "- Not captured in November 2026: $92.00 in 5 charge(s) documented but not billed "
            "(2 of them with no fee on file, not counted)",
            "## Charges to capture, performed 2026-11-26 to 2026-12-02",
            "| 2026-12-01 | P5 | cigna | imaging guidance not billed | 77003 | $72.00 |"):
        assert line in artifact.data, line


def test_fees_import_quarantines_bad_rows_naming_the_field(
        tmp_path: Path, sqlite_url: str, empty_tables: Callable[[str], str]) -> None:
    engine = connect(empty_tables(sqlite_url))
    try:
        seed_patient_and_provider(engine, tmp_path)
        fees = tmp_path / "fee_schedule.csv"
        fees.write_text(
            "payer,code,amount,effective_start,effective_end,per_unit\n"
            "*,64483,285,2026-01-01,,\n"
            'medicare,63650,"$1,850.00",2026-01-01,2026-12-31,true\n'
            "*,J1010,0.10,2026-01-01,,yes\n"
            "*,64490,two hundred,2026-01-01,,\n"
            "*,6449,245,2026-01-01,,\n"
            "Medicare Part B,64490,245,2026-01-01,,\n"
            "*,64490,245.005,2026-01-01,,\n"
            "*,64490,245,2026-01-01,2025-01-01,\n", encoding="utf-8")
        sessions = tmp_path / "sessions.csv"
        sessions.write_text(
            "patient_mrn,date,status,codes,muscles,guidance,drugs_given\n"
            "P-1,2026-11-02,performed,20552,4,ultrasound,J1010 dose=40\n"
            "P-1,2026-12-20,scheduled,20552,2,ultrasound,\n"
            "P-1,2026-11-03,performed,64483,,laser,\n"
            "P-1,2026-11-04,performed,64483,,,J9999 dose=4\n"
            "P-1,2026-11-05,performed,64483,,,J1010 wasted=4\n", encoding="utf-8")

        report = run_import(engine, fees, sessions)

        assert report.totals()["fees"].loaded == 3
        assert report.totals()["sessions"].loaded == 1
        with DbSession(engine) as db:
            refused = {(q.kind, q.line): (q.field, q.reason)
                       for q in db.exec(select(QuarantinedRow))}
            stored = db.exec(select(SessionRow)).one()
        assert {key: field for key, (field, _) in refused.items()} == {
            ("fees", 5): "amount", ("fees", 6): "code", ("fees", 7): "payer",
            ("fees", 8): "amount", ("fees", 9): "effective_end",
            ("sessions", 3): "guidance", ("sessions", 4): "guidance",
            ("sessions", 5): "drugs_given", ("sessions", 6): "drugs_given"}
        assert "performed sessions" in refused[("sessions", 3)][1]
        assert "e.g. 285" in refused[("fees", 5)][1]
        assert (stored.guidance, stored.drugs_given) == (
            "ultrasound", [{"code": "J1010", "dose_mg": 40.0, "wasted_mg": 0.0}])
        schedule = load_fee_schedule(engine)
        fee = schedule.expected_fee("medicare", "63650", date(2026, 6, 1))
        assert fee is not None and fee.amount_cents == 185000
        assert schedule.expected_fee("medicare", "63650", date(2027, 1, 1)) is None
        fee = schedule.expected_fee("aetna", "J1010", date(2026, 6, 1))
        assert fee is not None and (fee.amount_cents, fee.per_unit) == (10, True)
        assert json.loads(json.dumps(sorted(refused)))  # every refusal has its line
    finally:
        engine.dispose()
