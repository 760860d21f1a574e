"""The board's HTML pages: sign-in, upcoming visits (with CSV export), a patient, users."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.authorizations.updates import change_authorization_status
from tracker.errors import InputError
from tracker.roles import USER_ROLES
from tracker.store.tables import AUTHORIZATION_STATUSES, ProviderRow
from tracker.store.users import User, add_user, authenticate, list_users, set_user
from tracker.visits.patient_overview import patient_overview
from tracker.web.signing_in import (
    PageUser,
    RoleNeeded,
    check_form_token,
    form_token,
    sign_in,
    sign_out,
    signed_in_user,
)
from tracker.web.visit_filters import STATUS_CHOICES, VisitFilters
from tracker.web.visits_csv import visits_csv

router = APIRouter()
Billing = Annotated[User, Depends(RoleNeeded("billing", "Updating an authorization"))]
Admin = Annotated[User, Depends(RoleNeeded("admin", "Managing users"))]
FormText = Annotated[str, Form()]


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
    user = authenticate(request.app.state.board.engine, name, password)
    if user is None:
        return render(request, "login.html", None, status_code=401, next=_safe_next(next),
                      error="That name and password do not match an active account.")
    sign_in(request, user)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, user: PageUser, token: FormText) -> Response:
    check_form_token(request, token)
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home(user: PageUser) -> Response:
    return RedirectResponse("/visits", status_code=303)


@router.get("/visits")
def visits_page(request: Request, user: PageUser, start: str | None = None,
                end: str | None = None, provider: str | None = None,
                status: str | None = None) -> Response:
    board = request.app.state.board
    providers = _providers(board.engine)
    try:
        filters = VisitFilters.from_query(board.today(), start, end, provider, status)
    except InputError as err:
        fallback = VisitFilters.from_query(board.today())
        return render(request, "visits.html", user, status_code=400, filters=fallback,
                      visits=[], providers=providers, statuses=STATUS_CHOICES, error=str(err))
    return render(request, "visits.html", user, filters=filters, visits=filters.visits(board.engine),
                  providers=providers, statuses=STATUS_CHOICES, error=None)


@router.get("/visits.csv")
def visits_export(request: Request, user: PageUser, start: str | None = None,
                  end: str | None = None, provider: str | None = None,
                  status: str | None = None) -> Response:
    board = request.app.state.board
    try:
        filters = VisitFilters.from_query(board.today(), start, end, provider, status)
    except InputError as err:
        return Response(f"{err}\n", status_code=400, media_type="text/plain")
    name = f"upcoming-visits-{filters.start.isoformat()}-to-{filters.end.isoformat()}.csv"
    return Response(visits_csv(filters.visits(board.engine)), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/patients/{patient_id}")
def patient_page(request: Request, user: PageUser, patient_id: int) -> Response:
    board = request.app.state.board
    overview = patient_overview(board.engine, patient_id, board.today())
    if overview is None:
        return message_page(request, "No such patient", f"There is no patient with id {patient_id}.",
                            status_code=404)
    return render(request, "patient.html", user, patient=overview,
                  statuses=AUTHORIZATION_STATUSES, error=None)


@router.post("/authorizations/{authorization_id}/status")
def update_authorization(request: Request, user: Billing, authorization_id: int,
                         status: FormText, token: FormText,
                         reason: Annotated[str, Form()] = "",
                         auth_number: Annotated[str, Form()] = "",
                         patient: Annotated[int | None, Form()] = None) -> Response:
    check_form_token(request, token)
    try:
        change = change_authorization_status(
            request.app.state.board.engine, authorization_id, status, actor=user.name,
            reason=reason, auth_number=auth_number)
    except InputError as err:
        if patient is None:
            return message_page(request, "Not changed", str(err), status_code=400)
        return _patient_with_error(request, user, patient, str(err))
    return RedirectResponse(f"/patients/{change.patient_id}#authorizations", status_code=303)


@router.get("/users")
def users_page(request: Request, user: Admin) -> Response:
    return _users(request, user)


@router.post("/users")
def create_user(request: Request, user: Admin, name: FormText, role: FormText,
                password: FormText, token: FormText) -> Response:
    check_form_token(request, token)
    try:
        add_user(request.app.state.board.engine, name, role, password)
    except InputError as err:
        return _users(request, user, error=str(err), status_code=400)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{user_id}")
def change_user(request: Request, user: Admin, user_id: int, role: FormText, token: FormText,
                active: Annotated[str, Form()] = "") -> Response:
    check_form_token(request, token)
    if user_id == user.id and (role != "admin" or not active):
        return _users(request, user, status_code=400,
                      error="You cannot take away your own admin role or disable yourself; "
                            "ask another admin.")
    try:
        set_user(request.app.state.board.engine, user_id, role=role, active=bool(active))
    except InputError as err:
        return _users(request, user, error=str(err), status_code=400)
    return RedirectResponse("/users", status_code=303)


def _users(request: Request, user: User, error: str | None = None,
           status_code: int = 200) -> Response:
    return render(request, "users.html", user, status_code=status_code,
                  users=list_users(request.app.state.board.engine), roles=USER_ROLES, error=error)


def _patient_with_error(request: Request, user: User, patient_id: int, error: str) -> Response:
    board = request.app.state.board
    overview = patient_overview(board.engine, patient_id, board.today())
    if overview is None:
        return message_page(request, "Not changed", error, status_code=400)
    return render(request, "patient.html", user, status_code=400, patient=overview,
                  statuses=AUTHORIZATION_STATUSES, error=error)


def _providers(engine: Any) -> list[tuple[int, str]]:
    with DbSession(engine) as db:
        return [(pid, name) for pid, name in db.execute(
            select(col(ProviderRow.id), col(ProviderRow.name)).order_by(col(ProviderRow.name)))]


def _safe_next(target: str) -> str:
    """Only a path on this site: never another host (an open redirect)."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/visits"

