"""What a provider account may reach: that provider's own patients — a patient with at least one
visit (session) the provider is booked for — and the authorizations of those patients' visits.
A peer-to-peer is the provider's own when the authorization is for a visit they perform.

The board asks these before it shows a provider anything, and answers "not found" otherwise,
so another provider's patient is never shown (docs/security.md)."""

from __future__ import annotations

from sqlalchemy import Engine, exists, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.store.tables import AuthorizationRow, SessionRow


def reaches_patient(engine: Engine, provider_id: int, patient_id: int) -> bool:
    """True when the provider is booked for at least one of the patient's visits."""
    with DbSession(engine) as db:
        return bool(db.execute(select(exists().where(
            col(SessionRow.patient_id) == patient_id,
            col(SessionRow.provider_id) == provider_id))).scalar())


def patient_of_authorization(engine: Engine, authorization_id: int) -> int | None:
    with DbSession(engine) as db:
        return db.execute(select(col(SessionRow.patient_id))
                          .join(AuthorizationRow,
                                col(AuthorizationRow.session_id) == col(SessionRow.id))
                          .where(col(AuthorizationRow.id) == authorization_id)).scalar()


def reaches_authorization(engine: Engine, provider_id: int, authorization_id: int) -> bool:
    """True when the authorization is for a visit of one of the provider's patients."""
    patient = patient_of_authorization(engine, authorization_id)
    return patient is not None and reaches_patient(engine, provider_id, patient)


def performs_authorization(engine: Engine, provider_id: int, authorization_id: int) -> bool:
    """True when the authorization is for a visit this provider performs: theirs to argue in a
    peer-to-peer."""
    with DbSession(engine) as db:
        return bool(db.execute(select(exists().where(
            col(AuthorizationRow.id) == authorization_id,
            col(AuthorizationRow.session_id) == col(SessionRow.id),
            col(SessionRow.provider_id) == provider_id))).scalar())


def patients_of_provider(engine: Engine, provider_id: int) -> set[int]:
    with DbSession(engine) as db:
        return set(db.execute(select(col(SessionRow.patient_id)).distinct()
                              .where(col(SessionRow.provider_id) == provider_id)).scalars())
