"""The board's document routes (billing): upload a typed, dated document on an authorization (a
psychological evaluation letter may record the evaluation in the same form), download one by its
id, withdraw one (tracker.authorizations.documents). Files are served as attachments under a name
the board makes, never by a path."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from tracker.authorizations.documents import Upload, document_file, upload_document, withdraw_document
from tracker.authorizations.evidence_entry import PsychEvaluationEntry, psych_evaluation_entry
from tracker.errors import InputError
from tracker.settings import load_settings
from tracker.store.users import User
from tracker.web.auditing import audit
from tracker.web.authorization_pages import show_authorization
from tracker.web.pages import RecordId, form_day, message_page
from tracker.web.signing_in import RoleNeeded, check_form_token

router = APIRouter()
Billing = Annotated[User, Depends(RoleNeeded("billing", "Uploading or reading documents"))]
FormText = Annotated[str, Form()]
OptionalFile = Annotated[UploadFile | None, File()]


@router.post("/authorizations/{authorization_id}/documents")
def upload(request: Request, user: Billing, authorization_id: RecordId, token: FormText,
           kind: FormText = "", document_date: FormText = "", title: FormText = "",
           file: OptionalFile = None, evaluation_date: FormText = "", evaluator: FormText = "",
           result: FormText = "") -> Response:
    check_form_token(request, token)
    entered = {"form": "document", "kind": kind, "document_date": document_date, "title": title,
               "evaluation_date": evaluation_date, "evaluator": evaluator, "result": result}
    board = request.app.state.board
    try:
        evaluation = _evaluation(kind, evaluation_date, evaluator, result, board.today())
        stored = store_upload(request, user, authorization_id, kind=kind, on_text=document_date,
                              title=title, file=file, evaluation=evaluation)
    except InputError as err:
        return show_authorization(request, user, authorization_id, str(err), 400, entered)
    audit(request, user, "document_uploaded", f"authorization:{authorization_id}",
          document=stored.document.id, kind=kind, sha256=stored.document.sha256,
          evaluation_recorded=evaluation is not None)
    return RedirectResponse(f"/authorizations/{authorization_id}#documents", status_code=303)


def store_upload(request: Request, user: User, authorization_id: int, *, kind: str, on_text: str,
                 title: str, file: UploadFile | None,
                 evaluation: PsychEvaluationEntry | None = None) -> Upload:
    """Read the uploaded file (no more than the limit and one byte, so a huge file is refused
    without holding it) and keep it; shared by the denial and appeal forms' letters."""
    if file is None or not file.filename:
        raise InputError("file", "choose the document's file (PDF, PNG or JPEG)")
    settings = load_settings()
    limit = int(settings.document_max_mb * 1_000_000)
    content = file.file.read(limit + 1)
    board = request.app.state.board
    return upload_document(board.engine, settings.home, authorization_id, actor=user.name,
                           kind=kind, on=form_day("document_date", on_text), title=title,
                           file_name=file.filename, content=content, max_bytes=limit,
                           as_of=board.today(), evaluation=evaluation)


@router.get("/documents/{document_id}")
def download(request: Request, user: Billing, document_id: RecordId) -> Response:
    found = document_file(request.app.state.board.engine, load_settings().home, document_id)
    if found is None:
        return message_page(request, "No such document", f"There is no document {document_id} "
                            "in force (it may have been withdrawn).", status_code=404)
    document, content = found
    audit(request, user, "document_read", f"document:{document_id}")
    return Response(content, media_type=document.content_type, headers={
        "Content-Disposition": f'attachment; filename="{document.download_name}"'})


@router.post("/documents/{document_id}/withdraw")
def withdraw(request: Request, user: Billing, document_id: RecordId, token: FormText,
             reason: FormText = "", back: Annotated[int | None, Form()] = None) -> Response:
    check_form_token(request, token)
    board = request.app.state.board
    try:
        withdrawn = withdraw_document(board.engine, document_id, actor=user.name, reason=reason,
                                      as_of=board.today())
    except InputError as err:
        if back is None:
            return message_page(request, "Not withdrawn", str(err), status_code=400)
        return show_authorization(request, user, back, str(err), 400)
    audit(request, user, "document_withdrawn", f"document:{document_id}", reason=reason)
    target = withdrawn.document.authorization_id or back
    if target is None:
        return RedirectResponse(f"/patients/{withdrawn.document.patient_id}", status_code=303)
    return RedirectResponse(f"/authorizations/{target}#documents", status_code=303)


def _evaluation(kind: str, on: str, evaluator: str, result: str,
                today: date) -> PsychEvaluationEntry | None:
    """The evaluation a psych letter's upload records, when any of its fields is filled."""
    if kind != "psych_evaluation" or not (on.strip() or evaluator.strip() or result.strip()):
        return None
    return psych_evaluation_entry(form_day("evaluation_date", on), evaluator, result.strip(),
                                  as_of=today)
