"""Finding a patient or an authorization from what a coordinator has in hand: a name, an MRN, the
payer's authorization number, the payer's or the fax/portal reference, or a request bundle's
identifier. Case does not matter; a name matches on family or given name, or "family, given"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Engine, func, or_
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.errors import InputError
from tracker.store.tables import AuthorizationRow, PatientRow, SessionRow, SubmissionAttemptRow

SHORTEST = 2
LONGEST = 100
MOST_FOUND = 50


@dataclass(frozen=True)
class FoundAuthorization:
    authorization_id: int
    patient_id: int
    patient_name: str
    mrn: str
    visit_date: date
    payer: str
    status: str
    auth_number: str | None
    matched: str  # what matched: "name", "MRN", "auth number", "payer reference", "bundle"


@dataclass(frozen=True)
class FoundPatient:
    patient_id: int
    name: str
    mrn: str
    birth_date: date


@dataclass(frozen=True)
class SearchResult:
    text: str
    patients: tuple[FoundPatient, ...]
    authorizations: tuple[FoundAuthorization, ...]


def checked_search(text: str | None) -> str:
    text = " ".join((text or "").split())
    if len(text) < SHORTEST:
        raise InputError("search", f"type at least {SHORTEST} characters of a name, MRN, "
                         "authorization number, payer reference or bundle identifier")
    if len(text) > LONGEST:
        raise InputError("search", f"search for at most {LONGEST} characters")
    return text


def search(engine: Engine, text: str) -> SearchResult:
    text = checked_search(text)
    pattern = f"%{_escaped(text.lower())}%"
    with DbSession(engine) as db:
        patients = db.exec(select(PatientRow).where(_patient_matches(text, pattern))
                           .order_by(col(PatientRow.family_name), col(PatientRow.given_name))
                           .limit(MOST_FOUND)).all()
        found = _authorizations(db, text, pattern, [p.id for p in patients if p.id is not None])
    return SearchResult(text=text, authorizations=tuple(found[:MOST_FOUND]),
                        patients=tuple(FoundPatient(patient_id=p.id or 0,
                                                    name=f"{p.family_name}, {p.given_name}",
                                                    mrn=p.mrn, birth_date=p.birth_date)
                                       for p in patients))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(column: Any, pattern: str) -> ColumnElement[bool]:
    return func.lower(column).like(pattern, escape="\\")


def _patient_matches(text: str, pattern: str) -> ColumnElement[bool]:
    clauses = [_like(PatientRow.mrn, pattern), _like(PatientRow.family_name, pattern),
               _like(PatientRow.given_name, pattern)]
    if "," in text:
        family, given = (part.strip().lower() for part in text.split(",", 1))
        clauses.append(func.lower(PatientRow.family_name).like(f"{_escaped(family)}%", escape="\\")
                       & func.lower(PatientRow.given_name).like(f"{_escaped(given)}%",
                                                                 escape="\\"))
    return or_(*clauses)


def _authorizations(db: DbSession, text: str, pattern: str,
                    patient_ids: list[int]) -> list[FoundAuthorization]:
    bundles = set(db.exec(select(SubmissionAttemptRow.authorization_id)
                          .where(_like(SubmissionAttemptRow.bundle_identifier, pattern))).all())
    query = (select(AuthorizationRow, SessionRow, PatientRow)
             .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
             .join(PatientRow, col(PatientRow.id) == col(SessionRow.patient_id))
             .where(or_(_like(AuthorizationRow.auth_number, pattern),
                        _like(AuthorizationRow.submission_id, pattern),
                        col(PatientRow.id).in_(patient_ids),
                        col(AuthorizationRow.id).in_(bundles)))
             .order_by(col(SessionRow.date).desc(), col(AuthorizationRow.id).desc()))
    needle = text.lower()
    found = []
    for auth, session, patient in db.exec(query).all():
        assert auth.id is not None and patient.id is not None
        if needle in (auth.auth_number or "").lower():
            matched = "auth number"
        elif needle in (auth.submission_id or "").lower():
            matched = "payer reference"
        elif auth.id in bundles:
            matched = "bundle"
        elif needle in patient.mrn.lower():
            matched = "MRN"
        else:
            matched = "name"
        found.append(FoundAuthorization(
            authorization_id=auth.id, patient_id=patient.id,
            patient_name=f"{patient.family_name}, {patient.given_name}", mrn=patient.mrn,
            visit_date=session.date, payer=auth.payer, status=auth.status,
            auth_number=auth.auth_number, matched=matched))
    return found
