"""Where payers' rest-hook notifications arrive: `POST /payer-notifications/{payer}`.

A payer's Subscription carries the header `Authorization: Bearer <PAINAUTH_NOTIFICATION_TOKEN>`;
a notification without it is refused. Accepted notifications are stored as they came; the
follow-up flow applies them (tracker.authorizations.follow_up)."""

from __future__ import annotations

import hmac
import json
import os

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from tracker.authorizations.follow_up import receive_notification

router = APIRouter()
TOKEN_VARIABLE = "PAINAUTH_NOTIFICATION_TOKEN"


def _authorized(request: Request) -> bool:
    expected = os.environ.get(TOKEN_VARIABLE, "")
    given = request.headers.get("authorization", "")
    return bool(expected) and hmac.compare_digest(given, f"Bearer {expected}")


@router.post("/payer-notifications/{payer}")
async def payer_notification(payer: str, request: Request) -> Response:
    if not _authorized(request):
        return JSONResponse({"error": {"message": f"missing or wrong bearer token; payers must "
                                       f"send the one in {TOKEN_VARIABLE}", "path": None}},
                            status_code=401)
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return JSONResponse({"error": {"message": "the body is not JSON", "path": None}},
                            status_code=400)
    if not isinstance(body, dict):
        return JSONResponse({"error": {"message": "expected a FHIR resource", "path": None}},
                            status_code=400)
    notification_id = receive_notification(request.app.state.board.engine, payer, body)
    return JSONResponse({"received": notification_id}, status_code=202)
