"""The board's FastAPI application: sessions, security headers, error pages, routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from tracker.settings import load_settings
from tracker.visits.readiness import READINESS_WORDS
from tracker.web.alert_pages import router as alert_router
from tracker.web.api import router as api_router
from tracker.web.authorization_pages import router as authorization_router
from tracker.web.denial_pages import router as denial_router
from tracker.web.document_pages import router as document_router
from tracker.web.evidence_pages import router as evidence_router
from tracker.web.exemption_pages import router as exemption_router
from tracker.web.money_pages import router as money_router
from tracker.web.pages import message_page
from tracker.web.pages import router as page_router
from tracker.web.payer_notifications import router as notifications_router
from tracker.web.practice_pages import router as practice_router
from tracker.web.provider_scope import OutOfReach
from tracker.web.queue_pages import router as queue_router
from tracker.web.signing_in import (
    SESSION_COOKIE,
    SESSION_HOURS,
    ApiSignInRequired,
    BadFormToken,
    NotAllowed,
    SignInRequired,
)
from tracker.web.verdict_words import VERDICT_WORDS, local_time, status_words

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


@dataclass(frozen=True)
class Board:
    """What every route needs: the database, what day it is, and the page templates."""

    engine: Engine
    today: Callable[[], date]
    templates: Jinja2Templates


def create_app(engine: Engine, secret_key: str, *, today: Callable[[], date] = date.today,
               https_only: bool | None = None, time_zone: str | None = None) -> FastAPI:
    """The board over `engine`; `secret_key` signs the session cookie. `today` is injectable so
    tests and demos can look at a fixed day. `https_only` (default: the PAINAUTH_COOKIE_SECURE
    setting) marks the cookie Secure and sends HSTS: set it when TLS is in front of the board.
    Times show in `time_zone` (default: the PAINAUTH_PRACTICE_TIMEZONE setting)."""
    if https_only is None:
        https_only = load_settings().cookie_secure
    zone = ZoneInfo(time_zone or load_settings().practice_timezone)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.globals.update(verdict_words=VERDICT_WORDS, status_words=status_words,
                                 readiness_words=READINESS_WORDS)
    templates.env.filters["local_time"] = lambda moment: local_time(moment, zone)
    app = FastAPI(title="painauth status board", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.board = Board(engine=engine, today=today, templates=templates)
    app.middleware("http")(_bounded_uploads)  # inside the session: its refusal is a board page
    app.add_middleware(SessionMiddleware, secret_key=secret_key, session_cookie=SESSION_COOKIE,
                       max_age=SESSION_HOURS * 3600, same_site="lax", https_only=https_only)
    app.middleware("http")(_security_headers(https_only))
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.include_router(api_router)
    app.include_router(page_router)
    app.include_router(authorization_router)
    app.include_router(notifications_router)
    app.include_router(alert_router)
    app.include_router(exemption_router)
    app.include_router(money_router)
    app.include_router(queue_router)
    app.include_router(denial_router)
    app.include_router(practice_router)
    app.include_router(evidence_router)
    app.include_router(document_router)
    app.add_exception_handler(SignInRequired, _to_login)
    app.add_exception_handler(ApiSignInRequired, _unauthorized)
    app.add_exception_handler(NotAllowed, _forbidden)
    app.add_exception_handler(OutOfReach, _out_of_reach)
    app.add_exception_handler(BadFormToken, _bad_form_token)
    app.add_exception_handler(RequestValidationError, _bad_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    return app


def board_from_settings() -> FastAPI:
    """The board in one of `painauth serve --workers N`'s processes (uvicorn's app factory): the
    configured database and session key. The parent checked the schema and handed every worker
    its key in PAINAUTH_SECRET_KEY, so a cookie signed by one worker is good at all of them."""
    from tracker.store.database import connect
    from tracker.web.secret_key import session_secret

    settings = load_settings()
    return create_app(connect(settings.resolved_database_url()), session_secret(settings))


Middleware = Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]


def _security_headers(https_only: bool) -> Middleware:
    async def add_headers(request: Request,
                          call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        hashes = getattr(request.state, "style_hashes", None)
        if hashes:  # a page's own style elements (the Practice page's charts), by hash only
            response.headers["Content-Security-Policy"] += "; style-src 'self' " + " ".join(hashes)
        if https_only:
            response.headers["Strict-Transport-Security"] = HSTS
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    return add_headers


# Room for the form's other fields beside the largest document allowed.
FORM_ALLOWANCE = 1_000_000


async def _bounded_uploads(request: Request,
                           call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Refuse an upload larger than PAINAUTH_DOCUMENT_MAX_MB before its body is read: the form
    parser would otherwise spool it to disk, even for someone not signed in."""
    if request.method == "POST" and request.headers.get("content-type", "").startswith(
            "multipart/form-data"):
        limit = load_settings().document_max_mb
        length = request.headers.get("content-length", "")
        if not length.isdigit():
            return message_page(request, "Length required", "An upload must say its length; "
                                "send it from the board's form.", status_code=411)
        if int(length) > limit * 1_000_000 + FORM_ALLOWANCE:
            return message_page(request, "Too large", f"This upload is {int(length) / 1e6:.1f} "
                                f"MB; the board takes documents up to {limit:g} MB "
                                "(PAINAUTH_DOCUMENT_MAX_MB). Scan it at a lower resolution, or "
                                "split it.", status_code=413)
    return await call_next(request)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/payer-notifications/"))


def _bad_request(request: Request, exc: Exception) -> Response:
    """A malformed id, query or form: the board's own page (404 for an address naming nothing),
    or the API's error object — never FastAPI's raw 422."""
    problems = exc.errors() if isinstance(exc, RequestValidationError) else []
    first = problems[0] if problems else {}
    where = [str(part) for part in first.get("loc", ())]
    field = where[-1] if where else None
    in_path = bool(where) and where[0] == "path"
    if _wants_json(request):
        return JSONResponse({"error": {"message": f"{field or 'the request'} is not valid: "
                                       f"{first.get('msg', 'bad input')}", "path": field}},
                            status_code=404 if in_path else 400)
    if in_path:
        return message_page(request, "Not found", f"{request.url.path} does not name anything "
                            f"on the board: {field} must be a record's number.", status_code=404)
    return message_page(request, "Not understood", f"{field or 'The form'} is not valid "
                        f"({first.get('msg', 'bad input')}); go back and correct it.",
                        status_code=400)


def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, StarletteHTTPException) else 500
    if _wants_json(request):
        return JSONResponse({"error": {"message": str(getattr(exc, "detail", "error")),
                                       "path": None}}, status_code=status)
    if status == 404:
        return message_page(request, "Not found", f"There is no page at {request.url.path}.",
                            status_code=404)
    if status == 405:
        return message_page(request, "Not allowed here", "This address does not take that kind "
                            "of request.", status_code=405)
    return message_page(request, "Not understood", str(getattr(exc, "detail", "bad request")),
                        status_code=status)


def _to_login(request: Request, exc: Exception) -> Response:
    target = request.url.path
    if request.method == "GET" and target not in ("/", "/login", "/logout"):
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    return RedirectResponse("/login", status_code=303)


def _unauthorized(request: Request, exc: Exception) -> Response:
    return JSONResponse({"error": {"message": "sign in first: POST /login sets the session cookie",
                                   "path": None}}, status_code=401)


def _forbidden(request: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, NotAllowed) else "not allowed"
    if _wants_json(request):
        return JSONResponse({"error": {"message": message, "path": None}}, status_code=403)
    return message_page(request, "Not allowed", message, status_code=403)


def _out_of_reach(request: Request, exc: Exception) -> Response:
    """A provider asking for another provider's patient: the same 404 as a missing record."""
    what = exc.what if isinstance(exc, OutOfReach) else "record"
    message = exc.message if isinstance(exc, OutOfReach) else "not found"
    return message_page(request, f"No such {what}", message, status_code=404)


def _bad_form_token(request: Request, exc: Exception) -> Response:
    return message_page(request, "Form expired",
                              "This form is out of date or did not come from the board. Go back, "
                              "reload the page and send it again.", status_code=403)
