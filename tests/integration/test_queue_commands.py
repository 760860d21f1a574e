"""`painauth queue`, run as a process on SQLite and PostgreSQL: the views with their counts, claim,
dates, the search, notes, and bad input said in one line naming the option or field."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session as DbSession

from tracker.authorizations import queue as queue_service
from tracker.authorizations.appeal_windows import STEP_WORDS
from tracker.authorizations.denials import OUTCOMES
from tracker.authorizations.overview import authorization_overview
from tracker.cli.queue import VIEWS, appeal, outcome
from tracker.store.tables import AuthorizationRow, PatientRow, SessionRow
from tracker.store.users import add_user

from .test_auth_staff_commands import painauth

AS_OF = "2026-12-01"


def _needed(engine: Engine) -> int:
    with DbSession(engine) as db:
        patient = PatientRow(mrn="SYN-7301", family_name="Cliffield", given_name="Dana",
                             birth_date=date(1959, 7, 7))
        db.add(patient)
        db.flush()
        assert patient.id is not None
        session = SessionRow(patient_id=patient.id, date=date(2026, 12, 29), status="scheduled")
        db.add(session)
        db.flush()
        assert session.id is not None
        auth = AuthorizationRow(session_id=session.id, payer="aetna", status="needed")
        db.add(auth)
        db.commit()
        assert auth.id is not None
        return auth.id


def test_the_command_choices_are_the_services() -> None:
    assert [v.replace("-", "_") for v in VIEWS] == list(queue_service.VIEWS)
    steps = next(p for p in appeal.params if p.name == "kind")
    assert list(steps.type.choices) == list(STEP_WORDS)  # type: ignore[attr-defined]
    outcomes = next(p for p in outcome.params if p.name == "outcome")
    assert tuple(outcomes.type.choices) == OUTCOMES  # type: ignore[attr-defined]


def test_a_coordinator_claims_dates_finds_and_notes_from_the_terminal(
        engine: Engine, database_url: str, tmp_path: Path) -> None:
    add_user(engine, "lee.billing", "billing", "synthetic-password-1")
    auth_id = _needed(engine)
    listed = painauth(database_url, tmp_path, "queue", "--as-of", AS_OF, "--json")
    assert listed.returncode == 0, listed.stderr
    document = json.loads(listed.stdout)
    assert document["counts"]["unassigned"] == 1
    assert [(i["authorization_id"], i["kind"], i["owner"]) for i in document["items"]] == [
        (auth_id, "prepare", None)]

    claimed = painauth(database_url, tmp_path, "queue", "claim", str(auth_id), "--by", "lee.billing")
    assert claimed.returncode == 0, claimed.stderr
    dated = painauth(database_url, tmp_path, "queue", "dates", str(auth_id), "--due", "2026-12-01",
                     "--by", "lee.billing")
    assert dated.returncode == 0, dated.stderr
    mine = painauth(database_url, tmp_path, "queue", "--view", "due-today", "--as-of", AS_OF)
    assert mine.returncode == 0, mine.stderr
    assert f"#{auth_id}" in mine.stdout and "owner lee.billing" in mine.stdout
    assert "Due today: 1" in mine.stdout

    found = painauth(database_url, tmp_path, "queue", "--search", "syn-7301")
    assert found.returncode == 0 and "Cliffield, Dana (SYN-7301)" in found.stdout
    assert "[matched MRN]" in found.stdout
    noted = painauth(database_url, tmp_path, "queue", "note", str(auth_id),
                     "Waiting on the MRI report", "--by", "lee.billing")
    assert noted.returncode == 0, noted.stderr
    on_patient = painauth(database_url, tmp_path, "queue", "patient-note", "SYN-7301",
                          "Prefers afternoon calls", "--by", "lee.billing")
    assert on_patient.returncode == 0, on_patient.stderr
    overview = authorization_overview(engine, auth_id)
    assert overview is not None
    assert [(n.author, n.text, n.on_patient) for n in overview.notes] == [
        ("lee.billing", "Waiting on the MRI report", False),
        ("lee.billing", "Prefers afternoon calls", True)]
    no_patient = painauth(database_url, tmp_path, "queue", "patient-note", "SYN-0000", "x")
    assert no_patient.returncode == 2 and "no patient with MRN 'SYN-0000'" in no_patient.stderr

    bad_date = painauth(database_url, tmp_path, "queue", "dates", str(auth_id), "--due", "1/12/26")
    assert bad_date.returncode == 2 and "--due" in bad_date.stderr
    nobody = painauth(database_url, tmp_path, "queue", "assign", str(auth_id), "--to", "ghost")
    assert nobody.returncode == 2 and "no active board user named 'ghost'" in nobody.stderr
    assert "Traceback" not in nobody.stderr + bad_date.stderr + no_patient.stderr


def test_a_denial_is_appealed_and_resubmitted_from_the_terminal(
        engine: Engine, database_url: str, tmp_path: Path) -> None:
    auth_id = _needed(engine)
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, auth_id)
        assert auth is not None
        auth.status = "denied"
        db.add(auth)
        db.commit()
    reason = painauth(database_url, tmp_path, "queue", "denial-reason", str(auth_id), "--reason",
                      "No conservative care on file", "--code", "N386", "--by", "lee.billing")
    assert reason.returncode == 0, reason.stderr
    opened = painauth(database_url, tmp_path, "queue", "appeal", str(auth_id), "--step",
                      "first_level", "--denied-on", "2026-11-25", "--by", "lee.billing")
    assert opened.returncode == 0, opened.stderr
    assert "first-level appeal" in opened.stdout and "due 2027-01-24" in opened.stdout
    still_open = painauth(database_url, tmp_path, "queue", "close-denial", str(auth_id),
                          "--reason", "not appealed")
    assert still_open.returncode == 2 and "record its outcome first" in still_open.stderr
    again = painauth(database_url, tmp_path, "queue", "resubmit", str(auth_id), "--correction",
                     "attached the PT notes", "--by", "lee.billing")
    assert again.returncode == 0 and f"painauth-auth{auth_id}-1" in again.stdout
    refused = painauth(database_url, tmp_path, "queue", "resubmit", str(auth_id), "--correction",
                       "again")
    assert refused.returncode == 2 and "only a denied or rejected request" in refused.stderr
