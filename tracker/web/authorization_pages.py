"""The board's authorization pages: the list with status and flag filters, one authorization with
its history, attempts and payer answers, its packet and request bundle, and the forms billing
uses to record a fax or portal payer's submission and decision (tracker.authorizations.manual_entry)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from tracker.authorizations.appeal_windows import STEP_WORDS
from tracker.authorizations.denials import OUTCOMES
from tracker.authorizations.evidence_entry import evidence_on_file
from tracker.authorizations.listing import FLAGS, LISTED_STATUSES, checked_filters, list_authorizations
from tracker.authorizations.manual_entry import (
    CHANNELS,
    DECISIONS,
    PACKET_READY,
    record_manual_decision,
    record_manual_submission,
)
from tracker.authorizations.overview import AuthorizationOverview, authorization_overview
from tracker.errors import InputError, PainauthError
from tracker.packages.attachments import DOCUMENT_KINDS
from tracker.packages.errors import AuthorizationNotFound
from tracker.packages.package import CARE_OUTCOME_NAMES
from tracker.rules.session import CARE_KINDS, PSYCH_RESULTS
from tracker.settings import load_settings
from tracker.store.page_cursor import PAGE_SIZE, page_size
from tracker.store.users import User
from tracker.web.auditing import audit
from tracker.web.authorization_words import flag_words, status_meaning
from tracker.web.pages import Reader, RecordId, form_day, message_page, render, whole_number
from tracker.web.provider_scope import check_authorization, may_argue_peer_to_peer, own_provider
from tracker.web.signing_in import RoleNeeded, check_form_token

router = APIRouter()
Billing = Annotated[User, Depends(RoleNeeded("billing", "Recording a payer's answer"))]
FormText = Annotated[str, Form()]
OptionalText = Annotated[str, Form()]


@router.get("/authorizations")
def authorizations_page(request: Request, user: Reader, status: str | None = None,
                        flag: str | None = None, after: str | None = None,
                        size: str | None = None) -> Response:
    engine = request.app.state.board.engine
    context: dict[str, Any] = {"statuses": LISTED_STATUSES, "flags": FLAGS, "flag_words": flag_words}
    try:
        status, flag = checked_filters(status, flag)
        per_page = page_size(size)
        page = list_authorizations(engine, status=status, flag=flag, after=after, size=per_page,
                                   provider_id=own_provider(user))
    except InputError as err:
        return render(request, "authorizations.html", user, status_code=400, authorizations=[],
                      total=0, chosen_status=None, chosen_flag=None, next_page=None,
                      first_page=None, error=str(err), **context)
    filters = {k: v for k, v in (("status", status), ("flag", flag)) if v}
    if per_page != PAGE_SIZE:
        filters["size"] = str(per_page)
    next_page = (f"/authorizations?{urlencode({**filters, 'after': page.after})}"
                 if page.after else None)
    first_page = f"/authorizations?{urlencode(filters)}" if after else None
    return render(request, "authorizations.html", user, authorizations=page.authorizations,
                  total=page.total, chosen_status=status, chosen_flag=flag, next_page=next_page,
                  first_page=first_page, error=None, **context)


@router.get("/authorizations/{authorization_id}")
def authorization_page(request: Request, user: Reader, authorization_id: RecordId) -> Response:
    check_authorization(request, user, authorization_id)
    return _page(request, user, authorization_id)


@router.get("/authorizations/{authorization_id}/packet.pdf")
def packet_download(request: Request, user: Reader, authorization_id: RecordId) -> Response:
    from tracker.authorizations.files import packet_pdf

    check_authorization(request, user, authorization_id)
    board = request.app.state.board
    try:
        packet = packet_pdf(board.engine, authorization_id, _packets(), board.today())
    except AuthorizationNotFound as err:
        return message_page(request, "No such authorization", str(err), status_code=404)
    except PainauthError as err:
        return message_page(request, "No packet", str(err), status_code=409)
    return Response(packet.content, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{packet.name}"'})


@router.get("/authorizations/{authorization_id}/request.json")
def request_download(request: Request, user: Reader, authorization_id: RecordId) -> Response:
    from tracker.authorizations.files import request_bundle

    check_authorization(request, user, authorization_id)
    board = request.app.state.board
    try:
        name, bundle = request_bundle(board.engine, authorization_id, board.today())
    except AuthorizationNotFound as err:
        return message_page(request, "No such authorization", str(err), status_code=404)
    except PainauthError as err:
        return message_page(request, "No request bundle", str(err), status_code=409)
    return Response(json.dumps(bundle, indent=2, ensure_ascii=False), media_type="application/fhir+json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/authorizations/{authorization_id}/manual-submission")
def manual_submission(request: Request, user: Billing, authorization_id: RecordId, token: FormText,
                      channel: FormText, reference: OptionalText = "",
                      note: OptionalText = "") -> Response:
    check_form_token(request, token)
    try:
        record_manual_submission(request.app.state.board.engine, authorization_id,
                                 actor=user.name, channel=channel, reference=reference, note=note)
    except InputError as err:
        return _page(request, user, authorization_id, error=str(err), status_code=400)
    audit(request, user, "manual_submission_recorded", f"authorization:{authorization_id}",
          channel=channel, reference=reference)
    return RedirectResponse(f"/authorizations/{authorization_id}#history", status_code=303)


@router.post("/authorizations/{authorization_id}/manual-decision")
def manual_decision(request: Request, user: Billing, authorization_id: RecordId, token: FormText,
                    decision: FormText, auth_number: OptionalText = "",
                    valid_from: OptionalText = "", valid_to: OptionalText = "",
                    units: OptionalText = "", reason: OptionalText = "") -> Response:
    check_form_token(request, token)
    try:
        record_manual_decision(
            request.app.state.board.engine, authorization_id, actor=user.name, decision=decision,
            auth_number=auth_number, approved_units=whole_number("units", units),
            valid_from=form_day("valid_from", valid_from), valid_to=form_day("valid_to", valid_to),
            reason=reason)
    except InputError as err:
        return _page(request, user, authorization_id, error=str(err), status_code=400)
    audit(request, user, "manual_decision_recorded", f"authorization:{authorization_id}",
          decision=decision, auth_number=auth_number)
    return RedirectResponse(f"/authorizations/{authorization_id}#history", status_code=303)


@router.post("/authorizations/{authorization_id}/notes")
def note(request: Request, user: Billing, authorization_id: RecordId, token: FormText,
         text: OptionalText = "") -> Response:
    from tracker.authorizations.notes import add_note

    check_form_token(request, token)
    try:
        add_note(request.app.state.board.engine, authorization_id, author=user.name, text=text)
    except InputError as err:
        return _page(request, user, authorization_id, error=str(err), status_code=400)
    audit(request, user, "authorization_note_added", f"authorization:{authorization_id}")
    return RedirectResponse(f"/authorizations/{authorization_id}#history", status_code=303)


def show_authorization(request: Request, user: User, authorization_id: int,
                       error: str | None = None, status_code: int = 200,
                       entered: dict[str, str] | None = None) -> Response:
    """The authorization page, with `error` above its forms: what every form here returns to.
    `entered` holds the values of the form that failed (its name under "form"), shown again as
    typed so nothing is lost."""
    return _page(request, user, authorization_id, error, status_code, entered)


def _page(request: Request, user: User, authorization_id: int, error: str | None = None,
          status_code: int = 200, entered: dict[str, str] | None = None) -> Response:
    engine = request.app.state.board.engine
    overview = authorization_overview(engine, authorization_id)
    if overview is None:
        return message_page(request, "No such authorization",
                            f"There is no authorization with id {authorization_id}.", status_code=404)
    handed = _handed_to_staff(overview)
    return render(request, "authorization.html", user, status_code=status_code, auth=overview,
                  meaning=status_meaning(overview.shown_status), flag_words=flag_words,
                  channels=CHANNELS, decisions=DECISIONS, step_words=STEP_WORDS,
                  outcomes=OUTCOMES,
                  may_record_submission=overview.status == "ready" or handed,
                  may_record_decision=overview.status in ("submitted", "pended") and not handed,
                  may_argue=may_argue_peer_to_peer(request, user, authorization_id),
                  error=error, evidence=evidence_on_file(engine, authorization_id),
                  entered=entered or {}, care_kinds=CARE_KINDS, care_outcomes=CARE_OUTCOME_NAMES,
                  psych_results=PSYCH_RESULTS, document_kinds=DOCUMENT_KINDS)


def _handed_to_staff(overview: AuthorizationOverview) -> bool:
    """The submit run handed the packet to staff (a fax or portal payer) and no one has recorded
    sending it: `tracker.authorizations.manual_entry.awaiting_manual_submission`, on what is shown."""
    return overview.status == "submitted" and PACKET_READY in overview.flags


def _packets() -> Path:
    return load_settings().home / "packets"
