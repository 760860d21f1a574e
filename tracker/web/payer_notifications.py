"""Where payers' rest-hook notifications arrive: `POST /payer-notifications/{payer}`.

Each payer's Subscription carries the header `Authorization: Bearer <token>`, the token being
`PAINAUTH_PAYER_<PAYER>_NOTIFICATION_TOKEN` (e.g. `PAINAUTH_PAYER_AETNA_NOTIFICATION_TOKEN`) or,
for payers without their own, `PAINAUTH_NOTIFICATION_TOKEN`. A notification is refused unless
the payer is one painauth knows (a policy or an endpoint), the token matches (compared in
constant time, as bytes, so any header is merely wrong, never a crash), and the body is a PAS
notification the response reader understands. A redelivery — same payer, same Bundle id (or the
very same body) — is recognised and stored once. The follow-up flow applies them
(tracker.authorizations.follow_up)."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from contextlib import suppress
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from tracker.authorizations.follow_up import receive_notification
from tracker.errors import InputError, PainauthError
from tracker.importers.json_document import load_json_document
from tracker.payers.endpoints import NOTIFICATION_TOKEN, env_name, load_payer_endpoints
from tracker.payers.errors import PayerError
from tracker.payers.pas_response import interpret_pas_response
from tracker.rules import policies_in_force

router = APIRouter()
TOKEN_VARIABLE = "PAINAUTH_NOTIFICATION_TOKEN"
_PAYER_ID = re.compile(r"[a-z][a-z0-9_-]{0,63}")
MAX_BODY = 5 * 1024 * 1024


def _error(message: str, status_code: int, path: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "path": path}}, status_code=status_code)


def known_payers() -> set[str]:
    """Payers with a policy or a configured endpoint."""
    known = set(policies_in_force())
    with suppress(PainauthError):  # a broken endpoint file: the policies still name the payers
        known |= set(load_payer_endpoints())
    return known


def token_for(payer: str) -> tuple[str, str]:
    """(the variable that holds this payer's token, its value or '')."""
    own = env_name(payer, NOTIFICATION_TOKEN)
    if os.environ.get(own):
        return own, os.environ[own]
    return TOKEN_VARIABLE, os.environ.get(TOKEN_VARIABLE, "")


def _authorized(request: Request, expected: str) -> bool:
    given = request.headers.get("authorization", "")
    # headers arrive as latin-1 text: compare bytes, which hmac takes whatever they hold
    return bool(expected) and hmac.compare_digest(given.encode("latin-1", "replace"),
                                                  f"Bearer {expected}".encode())


def _bundle_id(body: dict[str, Any], raw: bytes) -> str:
    given = body.get("id")
    if isinstance(given, str) and 0 < len(given) <= 64:
        return f"id:{given}"
    return "sha256:" + hashlib.sha256(raw).hexdigest()


@router.post("/payer-notifications/{payer}")
async def payer_notification(payer: str, request: Request) -> Response:
    if not _PAYER_ID.fullmatch(payer) or payer not in await run_in_threadpool(known_payers):
        return _error(f"no payer {payer[:64]!r} is configured here", 404, "payer")
    variable, expected = token_for(payer)
    if not _authorized(request, expected):
        return _error(f"missing or wrong bearer token; {payer} must send the one in {variable}",
                      401)
    raw = await request.body()
    if len(raw) > MAX_BODY:
        return _error(f"the notification is larger than {MAX_BODY // (1024 * 1024)} MB", 413)
    try:
        body = load_json_document(raw)
    except InputError as err:
        return _error(f"the body is not JSON: {err.message}", 400, err.path)
    if not isinstance(body, dict) or body.get("resourceType") not in ("Bundle", "Parameters"):
        return _error("expected a PAS notification: a FHIR Bundle (or Parameters)", 400, "$")
    try:
        reading = interpret_pas_response(body)
    except (PayerError, AttributeError, TypeError, ValueError, KeyError) as err:
        return _error(f"not a notification painauth can read: {err}", 400, "$")
    if reading.kind != "notification":
        return _error("expected a subscription notification (a history or "
                      "subscription-notification Bundle opening with its status)", 400, "$")
    notification_id, new = await run_in_threadpool(
        receive_notification, request.app.state.board.engine, payer, body,
        _bundle_id(body, json.dumps(body, sort_keys=True).encode()))
    return JSONResponse({"received": notification_id, "duplicate": not new},
                        status_code=202 if new else 200)
