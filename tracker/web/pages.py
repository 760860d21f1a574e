"""The board's HTML pages: sign-in, upcoming visits (with CSV export), a patient, users."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi import Path as UrlPart
from fastapi.responses import RedirectResponse, StreamingResponse
from sqlalchemy import select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.authorizations.notes import add_patient_note, notes_on_patient
from tracker.authorizations.updates import change_authorization_status
from tracker.dates import parse_date
from tracker.errors import InputError
from tracker.roles import USER_ROLES
from tracker.store.page_cursor import page_size
from tracker.store.sign_in_failures import (
    forget_sign_in_failures,
    record_sign_in_failure,
    sign_in_throttled,
)
from tracker.store.tables import AUTHORIZATION_STATUSES, ProviderRow
from tracker.store.users import User, add_user, authenticate, list_users, set_user
from tracker.visits.patient_overview import patient_overview
from tracker.visits.pre_visit import check_patient_now
from tracker.visits.readiness import READINESS_MEANING
from tracker.visits.visit_pages import each_visit, visit_page
from tracker.web.auditing import audit
from tracker.web.provider_scope import check_patient, own_provider
from tracker.web.signing_in import (
    PageUser,
    ReaderNeeded,
    RoleNeeded,
    check_form_token,
    form_token,
    sign_in,
    sign_out,
    signed_in_user,
)
from tracker.web.visit_filters import (
    READINESS_CHOICES,
    STATUS_CHOICES,
    VisitFilters,
)
from tracker.web.visits_csv import csv_text

router = APIRouter()
Billing = Annotated[User, Depends(RoleNeeded("billing", "Updating an authorization"))]
Admin = Annotated[User, Depends(RoleNeeded("admin", "Managing users"))]
Staff = Annotated[User, Depends(RoleNeeded("scheduler", "This page"))]
Reader = Annotated[User, Depends(ReaderNeeded("Reading the board"))]
FormText = Annotated[str, Form()]
# A record's number in an address: past the databases' integer range it names nothing (404).
RecordId = Annotated[int, UrlPart(ge=1, le=2**31 - 1)]
THROTTLED = ("Too many failed sign-ins for this name or from this address. Wait a minute, then "
             "try again; ask an admin if you have forgotten your password.")


def render(request: Request, template: str, user: User | None, status_code: int = 200,
           **context: Any) -> Response:
    board = request.app.state.board
    response: Response = board.templates.TemplateResponse(
        request, template, {"user": user, "form_token": form_token(request), **context},
        status_code=status_code)
    return response


def message_page(request: Request, title: str, message: str, status_code: int) -> Response:
    return render(request, "message.html", signed_in_user(request), status_code=status_code,
                  title=title, message=message)


@router.get("/login")
def login_page(request: Request, next: str = "/visits") -> Response:
    if signed_in_user(request) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", None, next=_safe_next(next), error=None)


@router.post("/login")
def login(request: Request, name: FormText, password: FormText, token: FormText,
          next: Annotated[str, Form()] = "/visits") -> Response:
    check_form_token(request, token)
    engine = request.app.state.board.engine
    address = request.client.host if request.client else "unknown"
    if sign_in_throttled(engine, name, address):
        return render(request, "login.html", None, status_code=429, next=_safe_next(next),
                      error=THROTTLED)
    user = authenticate(engine, name, password)
    if user is None:
        record_sign_in_failure(engine, name, address)
        return render(request, "login.html", None, status_code=401, next=_safe_next(next),
                      error="That name and password do not match an active account.")
    forget_sign_in_failures(engine, name)
    sign_in(request, user)
    audit(request, user, "signed_in", f"user:{user.id}")
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, user: PageUser, token: FormText) -> Response:
    check_form_token(request, token)
    sign_out(request, user)
    audit(request, user, "signed_out", f"user:{user.id}")
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home(user: PageUser) -> Response:
    return RedirectResponse("/visits", status_code=303)


@router.get("/visits")
def visits_page(request: Request, user: Reader, start: str | None = None,
                end: str | None = None, provider: str | None = None,
                status: str | None = None, readiness: str | None = None,
                checked: str | None = None, after: str | None = None,
                size: str | None = None) -> Response:
    """Staff see every provider's visits; a provider sees only their own."""
    board = request.app.state.board
    providers = _providers(board.engine)
    own = own_provider(user)
    if own is not None:
        providers = [p for p in providers if p[0] == own]
        provider = str(own)
    context: dict[str, Any] = {
        "providers": providers, "statuses": STATUS_CHOICES, "readinesses": READINESS_CHOICES,
        "readiness_meaning": READINESS_MEANING, "checked": checked}
    try:
        filters = VisitFilters.from_query(board.today(), start, end, provider, status, readiness)
        per_page = page_size(size)
        page = visit_page(board.engine, filters.choice(), after=after, size=per_page)
    except InputError as err:
        fallback = VisitFilters.from_query(board.today())
        return render(request, "visits.html", user, status_code=400, filters=fallback,
                      visits=[], counts=dict.fromkeys(READINESS_MEANING, 0), total=0,
                      next_page=None, paged=False, error=str(err), **context)
    next_page = filters.page_link("/visits", page.after, per_page) if page.after else None
    return render(request, "visits.html", user, filters=filters, visits=page.visits,
                  counts=page.counts, total=page.total, next_page=next_page,
                  paged=bool(after) or next_page is not None, error=None, **context)


@router.post("/visits/check")
def check_again(request: Request, user: Staff, token: FormText,
                patient: Annotated[int, Form()],
                back: Annotated[str, Form()] = "/visits") -> Response:
    """"Check again now": re-run the pre-visit check for one patient, then show the result."""
    check_form_token(request, token)
    board = request.app.state.board
    summary = check_patient_now(board.engine, patient, board.today())
    audit(request, user, "visits_checked_again", f"patient:{patient}",
          evaluated=summary.evaluated, changed=summary.changed)
    target = _safe_next(back)
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}checked={patient}#patient-{patient}", status_code=303)


@router.get("/visits.csv")
def visits_export(request: Request, user: Staff, start: str | None = None,
                  end: str | None = None, provider: str | None = None,
                  status: str | None = None, readiness: str | None = None) -> Response:
    board = request.app.state.board
    try:
        filters = VisitFilters.from_query(board.today(), start, end, provider, status, readiness)
    except InputError as err:
        return Response(f"{err}\n", status_code=400, media_type="text/plain")
    name = f"upcoming-visits-{filters.start.isoformat()}-to-{filters.end.isoformat()}.csv"
    return StreamingResponse(csv_text(each_visit(board.engine, filters.choice())),
                             media_type="text/csv",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/patients/{patient_id}")
def patient_page(request: Request, user: Reader, patient_id: RecordId) -> Response:
    board = request.app.state.board
    check_patient(request, user, patient_id)
    overview = patient_overview(board.engine, patient_id, board.today())
    if overview is None:
        return message_page(request, "No such patient", f"There is no patient with id {patient_id}.",
                            status_code=404)
    return render(request, "patient.html", user, patient=overview,
                  statuses=AUTHORIZATION_STATUSES, notes=notes_on_patient(board.engine, patient_id),
                  error=None)


@router.post("/patients/{patient_id}/notes")
def patient_note(request: Request, user: Billing, patient_id: RecordId, token: FormText,
                 text: Annotated[str, Form()] = "") -> Response:
    """A note on the patient (billing and admin): shown here and in the history of each of the
    patient's authorizations; never in an alert."""
    check_form_token(request, token)
    try:
        add_patient_note(request.app.state.board.engine, patient_id, author=user.name, text=text)
    except InputError as err:
        return _patient_with_error(request, user, patient_id, str(err))
    audit(request, user, "patient_note_added", f"patient:{patient_id}")
    return RedirectResponse(f"/patients/{patient_id}#notes", status_code=303)


@router.post("/authorizations/{authorization_id}/status")
def update_authorization(request: Request, user: Billing, authorization_id: RecordId,
                         status: FormText, token: FormText,
                         reason: Annotated[str, Form()] = "",
                         auth_number: Annotated[str, Form()] = "",
                         valid_from: Annotated[str, Form()] = "",
                         valid_to: Annotated[str, Form()] = "",
                         patient: Annotated[int | None, Form()] = None) -> Response:
    check_form_token(request, token)
    try:
        change = change_authorization_status(
            request.app.state.board.engine, authorization_id, status, actor=user.name,
            reason=reason, auth_number=auth_number, valid_from=form_day("valid_from", valid_from),
            valid_to=form_day("valid_to", valid_to))
    except InputError as err:
        if patient is None:
            return message_page(request, "Not changed", str(err), status_code=400)
        return _patient_with_error(request, user, patient, str(err))
    audit(request, user, "authorization_status_changed", f"authorization:{authorization_id}",
          status=status, reason=reason)
    return RedirectResponse(f"/patients/{change.patient_id}#authorizations", status_code=303)


@router.get("/users")
def users_page(request: Request, user: Admin) -> Response:
    return _users(request, user)


@router.post("/users")
def create_user(request: Request, user: Admin, name: FormText, role: FormText,
                password: FormText, token: FormText,
                provider: Annotated[str, Form()] = "") -> Response:
    check_form_token(request, token)
    try:
        added = add_user(request.app.state.board.engine, name, role, password,
                         provider_id=_provider_choice(provider))
    except InputError as err:
        return _users(request, user, error=str(err), status_code=400)
    audit(request, user, "user_added", f"user:{added.id}", name=added.name, role=added.role,
          provider_id=added.provider_id)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}")
def change_user(request: Request, user: Admin, user_id: RecordId, role: FormText, token: FormText,
                active: Annotated[str, Form()] = "",
                provider: Annotated[str, Form()] = "") -> Response:
    check_form_token(request, token)
    if user_id == user.id and (role != "admin" or not active):
        return _users(request, user, status_code=400,
                      error="You cannot take away your own admin role or disable yourself; "
                            "ask another admin.")
    engine = request.app.state.board.engine
    before = next((u for u in list_users(engine) if u.id == user_id), None)
    try:
        changed = set_user(engine, user_id, role=role, active=bool(active),
                           provider_id=_provider_choice(provider))
    except InputError as err:
        return _users(request, user, error=str(err), status_code=400)
    if before is not None and (before.role, before.provider_id) != (changed.role,
                                                                   changed.provider_id):
        audit(request, user, "user_role_changed", f"user:{user_id}", name=changed.name,
              from_role=before.role, to_role=changed.role, provider_id=changed.provider_id)
    if before is not None and before.active != changed.active:
        audit(request, user, "user_enabled" if changed.active else "user_disabled",
              f"user:{user_id}", name=changed.name)
    return RedirectResponse("/users", status_code=303)


def _users(request: Request, user: User, error: str | None = None,
           status_code: int = 200) -> Response:
    return render(request, "users.html", user, status_code=status_code,
                  users=list_users(request.app.state.board.engine), roles=USER_ROLES,
                  providers=_providers(request.app.state.board.engine),
                  error=error)


def _patient_with_error(request: Request, user: User, patient_id: int, error: str) -> Response:
    board = request.app.state.board
    overview = patient_overview(board.engine, patient_id, board.today())
    if overview is None:
        return message_page(request, "Not changed", error, status_code=400)
    return render(request, "patient.html", user, status_code=400, patient=overview,
                  statuses=AUTHORIZATION_STATUSES, notes=notes_on_patient(board.engine, patient_id),
                  error=error)


def _providers(engine: Any) -> list[tuple[int, str]]:
    with DbSession(engine) as db:
        return [(pid, name) for pid, name in db.execute(
            select(col(ProviderRow.id), col(ProviderRow.name)).order_by(col(ProviderRow.name)))]


def _provider_choice(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise InputError("provider", "choose the provider from the list")
    return int(text)


def form_day(name: str, text: str) -> date | None:
    """A date field of a form: empty is none; anything else must be YYYY-MM-DD."""
    if not text.strip():
        return None
    try:
        return parse_date(text.strip())
    except ValueError:
        raise InputError(name, f"{text!r} is not a date; write it as YYYY-MM-DD") from None


def whole_number(name: str, text: str) -> int | None:
    """A whole-number field of a form: empty is none."""
    if not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise InputError(name, f"{text!r} is not a whole number") from None


def number(name: str, text: str) -> float | None:
    """A number field of a form (a percentage, a score): empty is none; a trailing % is allowed."""
    text = text.strip().removesuffix("%").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(name, f"{text!r} is not a number") from None


def _safe_next(target: str) -> str:
    """Only a path on this site: never another host (an open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/visits"

