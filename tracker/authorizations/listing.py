"""The practice's authorizations, newest change first, filtered by status and by flag, a page at
a time (keyset: the cursor is the last row's change time and id): the board's Authorizations
page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, String, cast, func, select, tuple_
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.errors import InputError
from tracker.store.page_cursor import PAGE_SIZE, cursor_of, damaged, page_size, read_cursor
from tracker.store.tables import AUTHORIZATION_STATUSES, AuthorizationRow, PatientRow, SessionRow

FLAGS: tuple[str, ...] = ("decision_overdue", "expires_before_visit", "starts_after_visit",
                          "units_short", "contact_payer", "billing_review", "information_requested",
                          "packet_ready", "denial_closed")
# "rejected" is set by the submit service when a payer refuses a request as sent.
LISTED_STATUSES: tuple[str, ...] = (*AUTHORIZATION_STATUSES, "rejected")


@dataclass(frozen=True)
class AuthorizationListing:
    id: int
    patient_id: int
    patient_name: str
    mrn: str
    session_date: date
    payer: str
    status: str
    flags: tuple[str, ...]
    auth_number: str | None
    decision_due_at: datetime | None
    updated_at: datetime

    @property
    def shown_status(self) -> str:
        """A packet handed to staff reads "packet ready to send" until someone records the send."""
        return "packet_ready" if self.status == "submitted" and "packet_ready" in self.flags \
            else self.status


def checked_filters(status: str | None, flag: str | None) -> tuple[str | None, str | None]:
    """The filters as given, empty ones as None; InputError naming an unknown one."""
    status, flag = (status or "").strip() or None, (flag or "").strip() or None
    if status is not None and status not in LISTED_STATUSES:
        raise InputError("status", f"unknown status {status!r}; choose one of "
                         + ", ".join(LISTED_STATUSES))
    if flag is not None and flag not in FLAGS:
        raise InputError("flag", f"unknown flag {flag!r}; choose one of " + ", ".join(FLAGS))
    return status, flag


@dataclass(frozen=True)
class AuthorizationPage:
    authorizations: list[AuthorizationListing]
    total: int  # how many match, on all pages
    after: str | None  # the cursor of the next page, None on the last one


def list_authorizations(engine: Engine, *, status: str | None = None, flag: str | None = None,
                        after: str | None = None, size: int = PAGE_SIZE,
                        provider_id: int | None = None) -> AuthorizationPage:
    """A page of matching authorizations, most recently changed first (then newest id), after
    the cursor `after`, and how many match in all (one COUNT). With `provider_id`, only those
    of that provider's own patients (a patient with a visit the provider is booked for:
    tracker.visits.provider_reach)."""
    size = page_size(size)
    key = _key(after)
    filters = []
    if status is not None:
        filters.append(col(AuthorizationRow.status) == status)
    if flag is not None:  # flags are a JSON list of names from FLAGS: its text holds "name"
        filters.append(cast(col(AuthorizationRow.flags), String).like(f'%"{flag}"%'))
    if provider_id is not None:
        own = select(col(SessionRow.patient_id)).where(col(SessionRow.provider_id) == provider_id)
        filters.append(col(AuthorizationRow.session_id).in_(
            select(col(SessionRow.id)).where(col(SessionRow.patient_id).in_(own))))
    order = (col(AuthorizationRow.updated_at), col(AuthorizationRow.id))
    query = (select(AuthorizationRow, SessionRow, PatientRow)
             .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
             .join(PatientRow, col(PatientRow.id) == col(SessionRow.patient_id))
             .where(*filters)
             .order_by(col(AuthorizationRow.updated_at).desc(), col(AuthorizationRow.id).desc()))
    if key is not None:
        query = query.where(tuple_(*order) < tuple_(*key))
    with DbSession(engine) as db:
        rows = db.execute(query.limit(size + 1)).all()
        total = db.execute(select(func.count()).select_from(AuthorizationRow)
                           .where(*filters)).scalar_one()
    found = [_listing(auth, session, patient) for auth, session, patient in rows[:size]]
    last = found[-1] if len(rows) > size else None
    return AuthorizationPage(
        authorizations=found, total=int(total),
        after=cursor_of([last.updated_at.isoformat(), last.id]) if last is not None else None)


def _key(after: str | None) -> tuple[datetime, int] | None:
    if not after:
        return None
    moment, authorization_id = read_cursor(after, 2)
    try:
        if not isinstance(authorization_id, int):
            raise ValueError(after)
        return datetime.fromisoformat(moment), authorization_id
    except (TypeError, ValueError):
        raise damaged() from None


def _listing(auth: AuthorizationRow, session: SessionRow, patient: PatientRow) -> AuthorizationListing:
    assert auth.id is not None and patient.id is not None
    return AuthorizationListing(
        id=auth.id, patient_id=patient.id, patient_name=f"{patient.family_name}, {patient.given_name}",
        mrn=patient.mrn, session_date=session.date, payer=auth.payer, status=auth.status,
        flags=tuple(auth.flags or ()), auth_number=auth.auth_number,
        decision_due_at=auth.decision_due_at, updated_at=auth.updated_at)
