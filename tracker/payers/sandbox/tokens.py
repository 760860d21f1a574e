"""The sandbox's OAuth 2.0 token endpoint (client credentials) and its bearer-token check."""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any
from urllib.parse import parse_qs

from tracker.payers.sandbox.config import SandboxConfig
from tracker.payers.sandbox.state import SandboxState


def client_from(authorization: str | None, form: dict[str, list[str]]) -> tuple[str | None, str | None]:
    """The client id and secret, from HTTP Basic (client_secret_basic) or the form (client_secret_post)."""
    if authorization and authorization.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(authorization[6:].strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    ids, secrets_ = form.get("client_id", []), form.get("client_secret", [])
    return (ids[0] if ids else None), (secrets_[0] if secrets_ else None)


def issue_token(config: SandboxConfig, state: SandboxState, body: bytes,
                authorization: str | None) -> tuple[int, dict[str, Any]]:
    form = parse_qs(body.decode("utf-8", errors="replace"))
    if form.get("grant_type", [""])[0] != "client_credentials":
        return 400, {"error": "unsupported_grant_type"}
    client_id, secret = client_from(authorization, form)
    expected = config.clients.get(client_id or "")
    if expected is None or secret is None or not secrets.compare_digest(expected, secret):
        return 401, {"error": "invalid_client"}
    token = secrets.token_urlsafe(24)
    state.tokens[token] = config.clock() + config.token_lifetime_seconds
    state.tokens_issued += 1
    return 200, {"access_token": token, "token_type": "Bearer",
                 "expires_in": int(config.token_lifetime_seconds)}


def is_authorized(config: SandboxConfig, state: SandboxState, authorization: str | None) -> bool:
    if not config.require_auth:
        return True
    if not authorization or not authorization.lower().startswith("bearer "):
        return False
    token = authorization[7:].strip()
    if token in config.bearer_tokens:
        return True
    expiry = state.tokens.get(token)
    return expiry is not None and expiry > config.clock()
