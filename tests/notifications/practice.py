"""A small synthetic practice written straight into the store: providers, patients, scheduled
visits with a stored evaluation and, when given, an authorization. Every name is invented."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session as DbSession

from tracker.store.tables import (
    AuthorizationRow,
    CoverageRow,
    EvaluationResultRow,
    PatientRow,
    ProviderRow,
    SessionCodeRow,
    SessionRow,
)

AS_OF = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 09:00 in Chicago
PATIENT_NAMES = [("Testperson", "Avery", date(1958, 3, 14)), ("Sampleton", "Jordan", date(1971, 11, 2)),
                 ("Fakename", "Riley", date(1949, 7, 23)), ("Notreal", "Casey", date(1983, 1, 30))]
DIAGNOSES = ["M54.16", "M51.16"]
LUMBAR_COUNTER = {"family": "esi", "region": "lumbar_sacral",
                  "window": {"kind": "rolling_months", "months": 12}, "used": 3, "limit": 4,
                  "policy": "medicare"}


def add_provider(engine: Engine, name: str, npi: str, *, phone: str | None = "+15555550101",
                 email: str | None = "synthia.example@example.org", channels: tuple[str, ...] = ("sms",),
                 time_zone: str = "America/Chicago", quiet: tuple[time, time] | None = None,
                 digest: bool = False) -> int:
    with DbSession(engine) as db:
        row = ProviderRow(npi=npi, name=name, phone=phone, email=email, time_zone=time_zone,
                          alert_channels=list(channels), digest=digest,
                          quiet_hours_start=quiet[0] if quiet else None,
                          quiet_hours_end=quiet[1] if quiet else None)
        db.add(row)
        db.commit()
        assert row.id is not None
        return row.id


def add_visit(engine: Engine, provider_id: int, mrn: str, day: date, *, verdict: str = "needs_auth",
              findings: tuple[str, ...] = (), auth: dict[str, Any] | None = None,
              patient: int = 0) -> int:
    family, given, birth = PATIENT_NAMES[patient % len(PATIENT_NAMES)]
    with DbSession(engine) as db:
        person = PatientRow(mrn=mrn, family_name=family, given_name=given, birth_date=birth)
        db.add(person)
        db.flush()
        assert person.id is not None
        # covered on the date, so the visit's readiness reads its authorization, not NO_COVERAGE
        db.add(CoverageRow(patient_id=person.id, payer="medicare", member_id=f"M{mrn}",
                           effective_start=date(2026, 1, 1)))
        session = SessionRow(patient_id=person.id, provider_id=provider_id, date=day,
                             status="scheduled", diagnoses=DIAGNOSES)
        db.add(session)
        db.flush()
        assert session.id is not None
        db.add(SessionCodeRow(session_id=session.id, position=0, code="64483"))
        result = {"verdict": verdict, "prior_auth_required": True, "coding_ok": True,
                  "payer": "medicare", "scheduled_date": day.isoformat(), "procedures": [],
                  "counters": [LUMBAR_COUNTER], "next_eligible_date": "2027-03-01",
                  "findings": [{"code": code, "severity": "warn", "message": f"{code} (synthetic)",
                                "policy": "medicare", "source": "synthetic"} for code in findings]}
        db.add(EvaluationResultRow(session_id=session.id, payer="medicare", verdict=verdict,
                                   result=result, inputs_hash="0" * 64))
        if auth is not None:
            db.add(AuthorizationRow(session_id=session.id, payer="medicare", **auth))
        db.commit()
        return session.id


def set_authorization(engine: Engine, session_id: int, **values: Any) -> None:
    from sqlalchemy import update
    from sqlmodel import col

    with DbSession(engine) as db:
        db.execute(update(AuthorizationRow).where(col(AuthorizationRow.session_id) == session_id)
                   .values(**values))
        db.commit()
