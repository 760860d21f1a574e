"""The JSON API: upcoming visits, the `painauth check` contract over HTTP, and a health check.

Signed-in users reach it with the board's session cookie. Errors have the shape the CLI prints:
`{"error": {"message": ..., "path": ...}}`, `path` naming the field at fault.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from tracker.errors import InputError, PainauthError, PolicyErrors
from tracker.importers.json_document import load_json_document
from tracker.store.page_cursor import page_size
from tracker.store.users import User
from tracker.visits.checking import check
from tracker.visits.visit_pages import visit_page
from tracker.web.signing_in import ApiRoleNeeded
from tracker.web.visit_filters import VisitFilters

router = APIRouter()
# The API reads the whole practice: staff only (a provider account reads its own on the board).
ApiUser = Annotated[User, Depends(ApiRoleNeeded("scheduler", "The JSON API"))]


def error(message: str, path: str | None, status_code: int) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "path": path}}, status_code=status_code)


@router.get("/healthz")
def health(request: Request) -> Response:
    try:
        with request.app.state.board.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/api/visits")
def visits(request: Request, user: ApiUser, start: str | None = None, end: str | None = None,
           provider: str | None = None, status: str | None = None,
           readiness: str | None = None, after: str | None = None,
           size: str | None = None) -> Response:
    """A page of visits (`size`, default 100, at most 500); `next` is the address of the next
    page with the same filters, null on the last."""
    board = request.app.state.board
    try:
        filters = VisitFilters.from_query(board.today(), start, end, provider, status, readiness)
        per_page = page_size(size)
        page = visit_page(board.engine, filters.choice(), after=after, size=per_page)
    except InputError as err:
        return error(err.message, err.path, 400)
    return JSONResponse({"start": filters.start.isoformat(), "end": filters.end.isoformat(),
                         "provider": filters.provider_id, "status": filters.status or None,
                         "readiness": filters.readiness or None,
                         "counts": page.counts, "count": page.total,
                         "after": page.after,
                         "next": filters.page_link("/api/visits", page.after, per_page)
                         if page.after else None,
                         "visits": [v.as_json() for v in page.visits]})


@router.post("/api/check")
async def check_visit(request: Request, user: ApiUser) -> Response:
    body = await request.body()  # read raw: the depth-limited reader parses it, not FastAPI
    try:
        document: Any = load_json_document(body)
        result = await run_in_threadpool(check, document, request.app.state.board.today())
    except InputError as err:
        return error(err.message, err.path, 400)
    except PolicyErrors as err:
        return error(f"the payer policies are broken: {err}", None, 500)
    except PainauthError as err:
        return error(str(err), None, 400)
    return JSONResponse(result)
