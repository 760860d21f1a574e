"""The board's alert pages: the outbox with each alert's delivery state (/alerts), providers'
alert preferences (/providers, admin), and Twilio's signed status callback (/twilio/status)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from notifications.listing import alert_count, alert_lines, landing_of_alert, send_again
from notifications.provider_preferences import list_providers, read_preferences, save_preferences
from notifications.settings import load_alert_settings
from notifications.status_callback import record_status, signature_is_valid
from tracker.errors import InputError
from tracker.store.page_cursor import PAGE_SIZE, cursor_of, damaged, page_size, read_cursor
from tracker.store.tables import ALERT_STATUSES
from tracker.store.users import User
from tracker.web.auditing import audit
from tracker.web.pages import Reader, RecordId, message_page, render
from tracker.web.provider_scope import check_alert, own_provider
from tracker.web.signing_in import RoleNeeded, check_form_token

router = APIRouter()
Billing = Annotated[User, Depends(RoleNeeded("billing", "Sending an alert again"))]
Admin = Annotated[User, Depends(RoleNeeded("admin", "Editing providers' alert preferences"))]
FormText = Annotated[str, Form()]


@router.get("/alerts")
def alerts_page(request: Request, user: Reader, status: str | None = None,
                after: str | None = None, size: str | None = None) -> Response:
    """The newest alerts first, a page at a time (the cursor is the last alert's id). Staff see
    every alert; a provider sees the alerts addressed to them."""
    engine = request.app.state.board.engine
    chosen = status if status in ALERT_STATUSES else None
    try:
        per_page = page_size(size)
        before = _alert_id(after)
    except InputError as err:
        return message_page(request, "No such page", str(err), status_code=400)
    own = own_provider(user)
    found = alert_lines(engine, status=chosen, before=before, limit=per_page + 1, provider_id=own)
    filters = {k: v for k, v in (("status", chosen), ("size", str(per_page))) if v}
    if per_page == PAGE_SIZE:
        filters.pop("size")
    next_page = (f"/alerts?{urlencode({**filters, 'after': cursor_of([found[per_page - 1].id])})}"
                 if len(found) > per_page else None)
    return render(request, "alerts.html", user, alerts=found[:per_page], statuses=ALERT_STATUSES,
                  status=chosen, total=alert_count(engine, status=chosen, provider_id=own),
                  next_page=next_page,
                  first_page=f"/alerts?{urlencode(filters)}" if after else None)


def _alert_id(after: str | None) -> int | None:
    if not after:
        return None
    (alert_id,) = read_cursor(after, 1)
    if not isinstance(alert_id, int):
        raise damaged()
    return alert_id


@router.get("/alerts/{alert_id}")
def alert_link(request: Request, user: Reader, alert_id: RecordId) -> Response:
    """Where a text's link leads: the patient the alert is about (named only here), or for an
    appeal deadline the authorization's denial steps. A provider follows only their own alerts,
    which lead to their own patient."""
    check_alert(request, user, alert_id)
    landing = landing_of_alert(request.app.state.board.engine, alert_id)
    return RedirectResponse(landing or f"/alerts#alert-{alert_id}", status_code=303)


@router.post("/alerts/{alert_id}/send-again")
def alert_send_again(request: Request, user: Billing, alert_id: RecordId,
                     token: FormText) -> Response:
    check_form_token(request, token)
    if not send_again(request.app.state.board.engine, alert_id):
        return message_page(request, "Not sent again", f"Alert {alert_id} is not waiting on a "
                            "decision to send it again.", status_code=400)
    audit(request, user, "alert_sent_again", f"alert:{alert_id}")
    return RedirectResponse(f"/alerts#alert-{alert_id}", status_code=303)


@router.get("/providers")
def providers_page(request: Request, user: Admin) -> Response:
    return _providers(request, user)


@router.post("/providers/{provider_id}")
def update_provider(request: Request, user: Admin, provider_id: RecordId, token: FormText,
                    channels: Annotated[list[str] | None, Form()] = None,
                    phone: Annotated[str, Form()] = "", email: Annotated[str, Form()] = "",
                    time_zone: Annotated[str, Form()] = "UTC",
                    quiet_start: Annotated[str, Form()] = "", quiet_end: Annotated[str, Form()] = "",
                    digest: Annotated[str, Form()] = "") -> Response:
    check_form_token(request, token)
    try:
        preferences = read_preferences(channels or [], phone, email, time_zone, quiet_start,
                                       quiet_end, bool(digest))
        save_preferences(request.app.state.board.engine, provider_id, preferences)
    except InputError as err:
        return _providers(request, user, error=str(err), status_code=400)
    audit(request, user, "provider_preferences_edited", f"provider:{provider_id}",
          channels=list(preferences.channels), digest=preferences.digest,
          time_zone=preferences.time_zone)
    return RedirectResponse(f"/providers#provider-{provider_id}", status_code=303)


@router.post("/twilio/status")
async def twilio_status(request: Request) -> Response:
    """Twilio's status callback; only a request signed with our auth token is believed."""
    settings = load_alert_settings()
    form = await request.form()
    params = {key: str(value) for key, value in form.items()}
    url = settings.twilio_status_callback_url or str(request.url)
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else None
    if not signature_is_valid(token, url, params, request.headers.get("x-twilio-signature")):
        return Response("signature does not match\n", status_code=403, media_type="text/plain")
    record_status(request.app.state.board.engine, params.get("MessageSid", ""),
                  params.get("MessageStatus", ""), params.get("ErrorCode") or None)
    return Response(status_code=204)


def _providers(request: Request, user: User, error: str | None = None,
               status_code: int = 200) -> Response:
    return render(request, "providers.html", user, status_code=status_code,
                  providers=list_providers(request.app.state.board.engine), error=error,
                  channels=("sms", "email", "console"))
