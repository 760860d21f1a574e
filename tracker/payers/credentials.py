"""How painauth proves who it is to a payer: nothing, a fixed bearer token, or an OAuth 2.0
client-credentials grant (RFC 6749 §4.4) whose token is cached until shortly before it expires.

The token is fetched through the gateway's own httpx client, so a test transport sees it too.
Secrets never leave this module except in the Authorization header itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

import httpx
from pydantic import SecretStr

from tracker.payers.errors import AuthenticationFailed, NotSent

# Renew this long before the payer's stated expiry, so a token does not lapse in flight.
EXPIRY_MARGIN_SECONDS = 30.0
DEFAULT_LIFETIME_SECONDS = 300.0


class Credentials(Protocol):
    def authorization(self, client: httpx.Client) -> str | None:
        """The Authorization header value to send, or None for none."""
        ...

    def renew(self) -> bool:
        """Forget the current token after a 401; True when fetching a new one may help."""
        ...


class NoCredentials:
    def authorization(self, client: httpx.Client) -> str | None:
        return None

    def renew(self) -> bool:
        return False


class BearerToken:
    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def authorization(self, client: httpx.Client) -> str | None:
        return f"Bearer {self._token.get_secret_value()}"

    def renew(self) -> bool:
        return False  # a fixed token cannot be renewed

    def __repr__(self) -> str:
        return "BearerToken(**********)"


class ClientCredentials:
    def __init__(self, *, payer: str, token_url: str, client_id: str, client_secret: SecretStr,
                 scope: str | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._payer = payer
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        return f"ClientCredentials(token_url={self._token_url!r}, client_id={self._client_id!r})"

    def authorization(self, client: httpx.Client) -> str | None:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                self._token, lifetime = self._fetch(client)
                self._expires_at = self._clock() + max(0.0, lifetime - EXPIRY_MARGIN_SECONDS)
            return f"Bearer {self._token}"

    def renew(self) -> bool:
        with self._lock:
            self._token = None
        return True

    def _fetch(self, client: httpx.Client) -> tuple[str, float]:
        form = {"grant_type": "client_credentials"}
        if self._scope:
            form["scope"] = self._scope
        try:
            # client_secret_basic: the method RFC 6749 §2.3.1 requires every server to support
            response = client.post(self._token_url, data=form,
                                   auth=(self._client_id, self._client_secret.get_secret_value()),
                                   headers={"Accept": "application/json"})
        except httpx.TransportError as err:
            raise NotSent(f"cannot reach the token endpoint {self._token_url} "
                          f"({type(err).__name__})", payer=self._payer, operation="token") from None
        if response.status_code != 200:
            raise AuthenticationFailed(
                f"the token endpoint {self._token_url} refused the client credentials "
                f"(HTTP {response.status_code}{_oauth_error(response)})",
                payer=self._payer, operation="token")
        try:
            body = response.json()
            token = body["access_token"]
            lifetime = float(body.get("expires_in") or DEFAULT_LIFETIME_SECONDS)
        except (ValueError, KeyError, TypeError):
            raise AuthenticationFailed(
                f"the token endpoint {self._token_url} answered without a readable access_token",
                payer=self._payer, operation="token") from None
        if not isinstance(token, str) or not token:
            raise AuthenticationFailed(f"the token endpoint {self._token_url} sent an empty token",
                                       payer=self._payer, operation="token")
        return token, lifetime


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return f": {error}" if isinstance(error, str) else ""
