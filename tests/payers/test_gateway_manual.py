"""Payers reached by fax or portal: the packet goes to staff, who record what happened."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import SQLModel, col, select

from tracker.authorizations.manual_entry import record_manual_decision, record_manual_submission
from tracker.errors import InputError
from tracker.payers.manual_gateway import ManualGateway
from tracker.store.database import connect
from tracker.store.tables import AuthorizationEventRow, AuthorizationRow, PatientRow, SessionRow

from .pas_requests import pas_request


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = connect(f"sqlite:///{tmp_path / 'manual.sqlite'}")
    SQLModel.metadata.create_all(engine)
    return engine


@pytest.fixture
def authorization_id(engine: Engine) -> int:
    with DbSession(engine) as db:
        patient = PatientRow(mrn="SYN-0001", family_name="Synthetic", given_name="Pat",
                             birth_date=date(1961, 5, 2))
        db.add(patient)
        db.flush()
        assert patient.id is not None
        session = SessionRow(patient_id=patient.id, date=date(2031, 3, 14), status="scheduled")
        db.add(session)
        db.flush()
        assert session.id is not None
        auth = AuthorizationRow(session_id=session.id, payer="cigna", status="ready")
        db.add(auth)
        db.commit()
        assert auth.id is not None
        return auth.id


def test_submitting_to_a_manual_payer_writes_the_packet_and_awaits_entry(tmp_path: Path) -> None:
    written: list[dict[str, Any]] = []

    def write_packet(bundle: dict[str, Any]) -> Path:
        written.append(bundle)
        return tmp_path / "packet.pdf"

    gateway = ManualGateway("cigna", write_packet)
    request = pas_request([("63650", 1)], evidence=("psych-evaluation",))
    reply = gateway.submit(request)
    assert written == [request]
    assert reply.awaiting_manual_entry and reply.decision == "awaiting_manual_entry"
    assert reply.packet == tmp_path / "packet.pdf"
    assert reply.status_code is None and reply.interpretation is None
    assert reply.bundle_identifier == request["identifier"]
    assert gateway.inquire(request).awaiting_manual_entry


def test_staff_record_the_fax_then_the_approval_each_as_an_event(engine: Engine,
                                                                 authorization_id: int) -> None:
    sent = record_manual_submission(engine, authorization_id, actor="billing.lee", channel="fax",
                                    reference="FAX-20310301-7")
    assert (sent.from_status, sent.to_status) == ("ready", "submitted")
    decided = record_manual_decision(engine, authorization_id, actor="billing.lee", decision="approved",
                                     auth_number="CG-991", approved_units=1, valid_from=date(2031, 3, 1),
                                     valid_to=date(2031, 5, 30))
    assert decided.to_status == "approved"
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, authorization_id)
        assert auth is not None
        assert (auth.status, auth.auth_number, auth.approved_units) == ("approved", "CG-991", 1)
        assert auth.submission_id == "FAX-20310301-7"
        assert auth.submitted_at is not None and auth.decided_at is not None
        events = db.exec(select(AuthorizationEventRow).order_by(col(AuthorizationEventRow.id))).all()
        assert [(e.from_status, e.to_status, e.actor) for e in events] == [
            ("ready", "submitted", "billing.lee"), ("submitted", "approved", "billing.lee")]
        assert events[0].reason == "sent by fax, reference FAX-20310301-7"


def test_a_denial_needs_the_payers_reason(engine: Engine, authorization_id: int) -> None:
    record_manual_submission(engine, authorization_id, actor="billing.lee", channel="portal")
    with pytest.raises(InputError, match="reason"):
        record_manual_decision(engine, authorization_id, actor="billing.lee", decision="denied")
    record_manual_decision(engine, authorization_id, actor="billing.lee", decision="denied",
                           reason="No psychological evaluation on file")
    with DbSession(engine) as db:
        auth = db.get(AuthorizationRow, authorization_id)
        assert auth is not None and auth.decision_reason == "No psychological evaluation on file"


def test_a_decision_before_the_submission_is_refused(engine: Engine, authorization_id: int) -> None:
    with pytest.raises(InputError, match="record the submission before the decision"):
        record_manual_decision(engine, authorization_id, actor="billing.lee", decision="approved",
                               auth_number="X1", valid_from=date(2026, 12, 1),
                               valid_to=date(2027, 2, 28))


@pytest.mark.parametrize("missing", ["valid_from", "valid_to"])
def test_an_approval_needs_the_payers_validity_window(engine: Engine, authorization_id: int,
                                                      missing: str) -> None:
    record_manual_submission(engine, authorization_id, actor="billing.lee", channel="fax")
    window = {"valid_from": date(2026, 12, 1), "valid_to": date(2027, 2, 28)}
    del window[missing]
    with pytest.raises(InputError, match=f"{missing}.*validity window"):
        record_manual_decision(engine, authorization_id, actor="billing.lee", decision="approved",
                               auth_number="UHC-1", **window)


def test_an_approval_needs_the_authorization_number(engine: Engine, authorization_id: int) -> None:
    record_manual_submission(engine, authorization_id, actor="billing.lee", channel="fax")
    with pytest.raises(InputError, match="auth_number"):
        record_manual_decision(engine, authorization_id, actor="billing.lee", decision="approved")
