"""The board's forms against a denial (billing): the payer's reason and code, a peer-to-peer or
an appeal level opened with its deadline, the peer-to-peer's time and physician, each step's
outcome, and correct-and-resubmit (tracker.authorizations.denials). The reason and appeal forms
take the payer's denial letter and the appeal letter as uploads (tracker.web.document_pages).
Each returns to the authorization's history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from tracker.authorizations import denials
from tracker.errors import InputError
from tracker.store.users import User
from tracker.web.auditing import audit
from tracker.web.authorization_pages import show_authorization
from tracker.web.document_pages import store_upload
from tracker.web.pages import Reader, RecordId
from tracker.web.provider_scope import check_authorization, may_argue_peer_to_peer
from tracker.web.signing_in import NotAllowed, RoleNeeded, check_form_token

router = APIRouter()
Billing = Annotated[User, Depends(RoleNeeded("billing", "Working a denial"))]
FormText = Annotated[str, Form()]
OptionalFile = Annotated[UploadFile | None, File()]


@router.post("/authorizations/{authorization_id}/denial-reason")
def denial_reason(request: Request, user: Billing, authorization_id: RecordId, token: FormText,
                  reason: FormText = "", code: FormText = "", letter: OptionalFile = None,
                  letter_date: FormText = "") -> Response:
    check_form_token(request, token)
    try:
        denials.record_denial_reason(request.app.state.board.engine, authorization_id,
                                     actor=user.name, worded=reason, code=code)
    except InputError as err:
        return show_authorization(request, user, authorization_id, str(err), 400)
    audit(request, user, "denial_reason_recorded", f"authorization:{authorization_id}", code=code)
    return _with_letter(request, user, authorization_id, "denial_letter", letter, letter_date,
                        "The payer's reason is recorded")


@router.post("/authorizations/{authorization_id}/denial-steps")
def open_denial_step(request: Request, user: Billing, authorization_id: RecordId,
                     token: FormText, kind: FormText = "", letter: OptionalFile = None,
                     letter_date: FormText = "") -> Response:
    check_form_token(request, token)
    try:
        step = denials.open_step(request.app.state.board.engine, authorization_id, kind,
                                 actor=user.name)
    except InputError as err:
        return show_authorization(request, user, authorization_id, str(err), 400)
    audit(request, user, "denial_step_opened", f"authorization:{authorization_id}", kind=kind,
          deadline=step.deadline.isoformat())
    return _with_letter(request, user, authorization_id, "appeal_letter", letter, letter_date,
                        f"The {step.words.lower()} is open")


@router.post("/authorizations/{authorization_id}/denial-steps/{step_id}/schedule")
def schedule(request: Request, user: Billing, authorization_id: RecordId, step_id: RecordId,
             token: FormText, at: FormText = "", physician: FormText = "") -> Response:
    check_form_token(request, token)
    try:
        denials.schedule_peer_to_peer(request.app.state.board.engine, step_id, actor=user.name,
                                      at=_moment(at), physician=physician)
    except InputError as err:
        return show_authorization(request, user, authorization_id, str(err), 400)
    audit(request, user, "peer_to_peer_scheduled", f"authorization:{authorization_id}", at=at)
    return _history(authorization_id)


@router.post("/authorizations/{authorization_id}/denial-steps/{step_id}/outcome")
def outcome(request: Request, user: Reader, authorization_id: RecordId, step_id: RecordId,
            token: FormText, outcome: FormText = "", note: FormText = "") -> Response:
    """Billing records any step's outcome; a provider, the peer-to-peer of a visit they
    perform (and only that: an appeal's outcome stays with billing)."""
    check_form_token(request, token)
    check_authorization(request, user, authorization_id)
    if not may_argue_peer_to_peer(request, user, authorization_id):
        raise NotAllowed("Recording a peer-to-peer's outcome is for billing or the provider who "
                         f"performs the visit; you are signed in as {user.name} ({user.role})")
    kinds = tuple(denials.STEP_WORDS) if user.may("billing") else ("peer_to_peer",)
    try:
        denials.record_outcome(request.app.state.board.engine, step_id, actor=user.name,
                               outcome=outcome, note=note, authorization_id=authorization_id,
                               kinds=kinds)
    except InputError as err:
        return show_authorization(request, user, authorization_id, str(err), 400)
    audit(request, user, "denial_step_outcome", f"authorization:{authorization_id}",
          outcome=outcome)
    return _history(authorization_id)


@router.post("/authorizations/{authorization_id}/denial-close")
def close_denial(request: Request, user: Billing, authorization_id: RecordId, token: FormText,
                 reason: FormText = "") -> Response:
    """Accept the denial: it leaves the work queue; the visit still reads denied."""
    check_form_token(request, token)
    try:
        denials.close_denial(request.app.state.board.engine, authorization_id, actor=user.name,
                             reason=reason)
    except InputError as err:
        return show_authorization(request, user, authorization_id, str(err), 400)
    audit(request, user, "denial_closed", f"authorization:{authorization_id}")
    return _history(authorization_id)


@router.post("/authorizations/{authorization_id}/resubmission")
def resubmission(request: Request, user: Billing, authorization_id: RecordId, token: FormText,
                 correction: FormText = "") -> Response:
    check_form_token(request, token)
    try:
        following = denials.resubmit(request.app.state.board.engine, authorization_id,
                                     actor=user.name, correction=correction)
    except InputError as err:
        return show_authorization(request, user, authorization_id, str(err), 400)
    audit(request, user, "authorization_resubmitted", f"authorization:{authorization_id}",
          next_request=following)
    return _history(authorization_id)


def _with_letter(request: Request, user: User, authorization_id: int, kind: str,
                 letter: UploadFile | None, letter_date: str, done: str) -> Response:
    """Keep the letter uploaded with a denial form, if one was chosen (dated today unless
    given); the step itself is recorded either way, and the page says so if the letter fails."""
    if letter is None or not letter.filename:
        return _history(authorization_id)
    today = request.app.state.board.today()
    try:
        kept = store_upload(request, user, authorization_id, kind=kind,
                            on_text=letter_date or today.isoformat(), title="", file=letter)
    except InputError as err:
        return show_authorization(request, user, authorization_id,
                                  f"{done}, but the letter was not kept: {err}", 400)
    audit(request, user, "document_uploaded", f"authorization:{authorization_id}",
          document=kept.document.id, kind=kind, sha256=kept.document.sha256)
    return _history(authorization_id)


def _moment(text: str) -> datetime:
    """A datetime-local field ("2026-12-03T15:30"), read as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError("at", f"{text!r} is not a date and time; write it as "
                         "YYYY-MM-DDTHH:MM") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _history(authorization_id: int) -> Response:
    return RedirectResponse(f"/authorizations/{authorization_id}#history", status_code=303)
