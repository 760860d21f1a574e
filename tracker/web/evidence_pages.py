"""The board's evidence forms (billing), on the authorization page: a conservative-care episode,
a performed session's outcome (a diagnostic block's relief too), a psychological evaluation
(tracker.authorizations.evidence_entry). A bad value re-shows the page with the error naming the
field and every value as typed; a good one goes to the history, and the package is checked again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from tracker.authorizations import evidence_entry as evidence
from tracker.authorizations.recheck import Recheck
from tracker.errors import InputError
from tracker.store.users import User
from tracker.web.auditing import audit
from tracker.web.authorization_pages import show_authorization
from tracker.web.pages import RecordId, form_day, number, whole_number
from tracker.web.signing_in import RoleNeeded, check_form_token

router = APIRouter()
Billing = Annotated[User, Depends(RoleNeeded("billing", "Entering evidence"))]
FormText = Annotated[str, Form()]


@router.post("/authorizations/{authorization_id}/evidence/care")
def care_episode(request: Request, user: Billing, authorization_id: RecordId, token: FormText,
                 kind: FormText = "", start: FormText = "", end: FormText = "",
                 outcome: FormText = "", drugs: FormText = "", visits: FormText = "",
                 episode: FormText = "") -> Response:
    check_form_token(request, token)
    entered = {"form": "care", "kind": kind, "start": start, "end": end, "outcome": outcome,
               "drugs": drugs, "visits": visits, "episode": episode}
    board = request.app.state.board
    try:
        entry = evidence.care_episode_entry(
            kind, form_day("start", start), form_day("end", end), outcome, drugs,
            whole_number("visits", visits), as_of=board.today())
        recheck = evidence.save_care_episode(board.engine, authorization_id, entry,
                                             actor=user.name, as_of=board.today(),
                                             episode_id=whole_number("episode", episode))
    except InputError as err:
        return show_authorization(request, user, authorization_id, str(err), 400, entered)
    return _saved(request, user, authorization_id, "conservative_care_entered", recheck,
                  kind=kind, start=start)


@router.post("/authorizations/{authorization_id}/evidence/outcome")
def session_outcome(request: Request, user: Billing, authorization_id: RecordId,
                    token: FormText, session: FormText = "", relief_percent: FormText = "",
                    duration_days: FormText = "", pain_before: FormText = "",
                    pain_after: FormText = "") -> Response:
    check_form_token(request, token)
    entered = {"form": f"outcome-{session}", "relief_percent": relief_percent,
               "duration_days": duration_days, "pain_before": pain_before,
               "pain_after": pain_after}
    board = request.app.state.board
    try:
        session_id = whole_number("session", session)
        if session_id is None:
            raise InputError("session", "choose the session the outcome is of")
        entry = evidence.session_outcome_entry(
            number("relief_percent", relief_percent), whole_number("duration_days", duration_days),
            whole_number("pain_before", pain_before), whole_number("pain_after", pain_after))
        recheck = evidence.save_session_outcome(board.engine, authorization_id, session_id,
                                                entry, actor=user.name, as_of=board.today())
    except InputError as err:
        return show_authorization(request, user, authorization_id, str(err), 400, entered)
    return _saved(request, user, authorization_id, "session_outcome_entered", recheck,
                  session=session)


@router.post("/authorizations/{authorization_id}/evidence/psych")
def psych_evaluation(request: Request, user: Billing, authorization_id: RecordId,
                     token: FormText, evaluation_date: FormText = "", evaluator: FormText = "",
                     result: FormText = "") -> Response:
    check_form_token(request, token)
    entered = {"form": "psych", "evaluation_date": evaluation_date, "evaluator": evaluator,
               "result": result}
    board = request.app.state.board
    try:
        entry = evidence.psych_evaluation_entry(form_day("evaluation_date", evaluation_date),
                                                evaluator, result, as_of=board.today())
        recheck = evidence.save_psych_evaluation(board.engine, authorization_id, entry,
                                                 actor=user.name, as_of=board.today())
    except InputError as err:
        return show_authorization(request, user, authorization_id, str(err), 400, entered)
    return _saved(request, user, authorization_id, "psych_evaluation_entered", recheck,
                  date=evaluation_date, result=result)


def _saved(request: Request, user: User, authorization_id: int, action: str, recheck: Recheck,
           **detail: str) -> Response:
    audit(request, user, action, f"authorization:{authorization_id}",
          package=recheck.status_of(authorization_id), **detail)
    return RedirectResponse(f"/authorizations/{authorization_id}#evidence", status_code=303)
