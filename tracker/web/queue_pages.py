"""The board's work queue (billing and admin): the authorization work that needs a person, by
view, due date first, with claim, reassign and dates set by hand, and a search across patients
and authorizations (tracker.authorizations.queue, assignment and search)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from tracker.authorizations.assignment import assign, claim, set_dates
from tracker.authorizations.queue import KINDS, VIEWS, checked_view, work_queue
from tracker.authorizations.search import SearchResult, search
from tracker.errors import InputError
from tracker.store.page_cursor import PAGE_SIZE, page_size
from tracker.store.users import User, list_users
from tracker.web.auditing import audit
from tracker.web.pages import RecordId, form_day, render
from tracker.web.signing_in import RoleNeeded, check_form_token

router = APIRouter()
Worker = Annotated[User, Depends(RoleNeeded("billing", "The work queue"))]
FormText = Annotated[str, Form()]


@router.get("/queue")
def queue_page(request: Request, user: Worker, view: str = "all", q: str = "",
               after: str | None = None, size: str | None = None) -> Response:
    """`q` is the search box: a name, MRN, auth number, payer reference or bundle identifier."""
    return _page(request, user, view, q, after=after, size=size)


@router.post("/queue/{authorization_id}/claim")
def claim_item(request: Request, user: Worker, authorization_id: RecordId, token: FormText,
               view: FormText = "all") -> Response:
    check_form_token(request, token)
    try:
        claim(request.app.state.board.engine, authorization_id, actor=user.name)
    except InputError as err:
        return _page(request, user, view, "", error=str(err), status_code=400)
    audit(request, user, "queue_item_claimed", f"authorization:{authorization_id}")
    return _back(view)


@router.post("/queue/{authorization_id}/assign")
def assign_item(request: Request, user: Worker, authorization_id: RecordId, token: FormText,
                owner: FormText = "", view: FormText = "all") -> Response:
    check_form_token(request, token)
    try:
        assign(request.app.state.board.engine, authorization_id, owner=owner, actor=user.name)
    except InputError as err:
        return _page(request, user, view, "", error=str(err), status_code=400)
    audit(request, user, "queue_item_assigned", f"authorization:{authorization_id}",
          owner=owner or None)
    return _back(view)


@router.post("/queue/{authorization_id}/dates")
def set_item_dates(request: Request, user: Worker, authorization_id: RecordId, token: FormText,
                   due_on: FormText = "", next_touch_on: FormText = "",
                   view: FormText = "all") -> Response:
    check_form_token(request, token)
    try:
        due, touch = form_day("due_on", due_on), form_day("next_touch_on", next_touch_on)
        set_dates(request.app.state.board.engine, authorization_id, actor=user.name,
                  due_on=due, next_touch_on=touch)
    except InputError as err:
        return _page(request, user, view, "", error=str(err), status_code=400)
    audit(request, user, "queue_item_dated", f"authorization:{authorization_id}",
          due_on=due_on or None, next_touch_on=next_touch_on or None)
    return _back(view)


def _page(request: Request, user: User, view: str, text: str, error: str | None = None,
          status_code: int = 200, after: str | None = None, size: str | None = None) -> Response:
    board = request.app.state.board
    found: SearchResult | None = None
    per_page, queue = PAGE_SIZE, None
    try:
        view = checked_view(view)
        per_page = page_size(size)
        if text.strip():
            found = search(board.engine, text)
        queue = work_queue(board.engine, board.today(), view=view, user=user.name, after=after,
                           size=per_page)
    except InputError as err:
        error, status_code, view = str(err), 400, "all" if view not in VIEWS else view
        after = None
    if queue is None:
        queue = work_queue(board.engine, board.today(), view=view, user=user.name, size=per_page)
    shown = {"view": view, **({"size": str(per_page)} if per_page != PAGE_SIZE else {})}
    next_page = f"/queue?{urlencode({**shown, 'after': queue.after})}" if queue.after else None
    workers = [u.name for u in list_users(board.engine)
               if u.active and u.role in ("billing", "admin")]
    return render(request, "queue.html", user, status_code=status_code, queue=queue, views=VIEWS,
                  kinds=KINDS, today=board.today(), found=found, search_text=text,
                  workers=workers, error=error, next_page=next_page,
                  first_page=f"/queue?{urlencode(shown)}" if after else None)


def _back(view: str) -> Response:
    view = view if view in VIEWS else "all"
    return RedirectResponse(f"/queue?view={view}", status_code=303)
