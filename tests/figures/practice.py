"""A small practice whose figures are worked out by hand (see test_figures.py's docstring):
two providers, nine authorizations with known submission and decision times, two denials with
their reasons and three steps against them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session as DbSession

from tracker.store.tables import (
    AuthorizationRow,
    DenialStepRow,
    PatientRow,
    ProviderRow,
    SessionCodeRow,
    SessionRow,
)

NOVEMBER_3 = datetime(2026, 11, 3, 10, tzinfo=UTC)
# (payer, program, provider, code, status, hours to the decision, clock hours or None, submitted)
REQUESTS = [
    ("medicare", "medicare-opd", 0, "64483", "approved", 24, None, NOVEMBER_3),  # clock: 7 days
    ("medicare", "medicare-opd", 0, "64483", "approved", 48, 168, NOVEMBER_3),
    ("medicare", "medicare-opd", 1, "64635", "denied", 120, 168, NOVEMBER_3),
    ("aetna", "aetna-precertification", 1, "64483", "partial", 72, 120, NOVEMBER_3),
    ("aetna", "aetna-precertification", 0, "62323", "approved", 200, 120, NOVEMBER_3),
    ("aetna", "aetna-precertification", 1, "64483", "denied", 12, 120, NOVEMBER_3),
    ("aetna", "aetna-precertification", 1, "64483", "pended", None, 120, NOVEMBER_3),
    ("medicare", "medicare-opd", 0, "64483", "approved", 30, 168,
     datetime(2026, 10, 5, 9, tzinfo=UTC)),
    ("aetna", "aetna-precertification", 0, "64483", "rejected", 5, 120, NOVEMBER_3),
]
DENIAL_REASONS = {2: ("CO-50", "not medically necessary"), 5: (None, "no conservative care")}


def load_hand_worked_practice(engine: Engine) -> list[int]:
    """The practice's rows; returns the authorizations' ids in REQUESTS' order."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    with DbSession(engine) as db:
        providers = [ProviderRow(npi="1234567893", name="Dr. Ada Lumbar"),
                     ProviderRow(npi="1245319599", name="Dr. Ben Facet")]
        patient = PatientRow(mrn="SYN-FIG-1", family_name="Figure", given_name="Faye",
                             birth_date=date(1960, 1, 1))
        db.add_all([*providers, patient])
        db.flush()
        ids = []
        for index, (payer, program, provider, code, status, hours, clock, submitted) in \
                enumerate(REQUESTS):
            session = SessionRow(patient_id=patient.id or 0, provider_id=providers[provider].id,
                                 date=submitted.date() + timedelta(days=20 + index),
                                 status="scheduled")
            db.add(session)
            db.flush()
            assert session.id is not None
            db.add_all([SessionCodeRow(session_id=session.id, position=0, code="77003"),
                        SessionCodeRow(session_id=session.id, position=1, code=code)])
            code_and_reason = DENIAL_REASONS.get(index, (None, None))
            auth = AuthorizationRow(
                session_id=session.id, payer=payer, program=program, status=status,
                submitted_at=submitted,
                decided_at=submitted + timedelta(hours=hours) if status != "pended" else None,
                decision_due_at=submitted + timedelta(hours=clock) if clock else None,
                denial_code=code_and_reason[0], decision_reason=code_and_reason[1],
                created_at=submitted, updated_at=now)
            db.add(auth)
            db.flush()
            assert auth.id is not None
            ids.append(auth.id)
        denied_on = date(2026, 11, 8)
        db.add_all([
            DenialStepRow(authorization_id=ids[2], kind="peer_to_peer", denied_on=denied_on,
                          deadline=denied_on + timedelta(days=14), opened_by="bea.billing",
                          outcome="upheld"),
            DenialStepRow(authorization_id=ids[2], kind="first_level", denied_on=denied_on,
                          deadline=denied_on + timedelta(days=60), opened_by="bea.billing",
                          outcome="overturned"),
            DenialStepRow(authorization_id=ids[5], kind="first_level", denied_on=denied_on,
                          deadline=denied_on + timedelta(days=60), opened_by="bea.billing")])
        db.commit()
        return ids
