"""Da Vinci PAS over HTTP: `POST {base}/Claim/$submit` and `POST {base}/Claim/$inquire`.

Every failure ends in one of three answers for the caller (tracker.payers.errors):

- `NotSent` — the connection was never made (refused, connect or pool timeout), or the payer
  said 429/503 until the attempts ran out. Retried here with backoff; safe to send again later.
- `OutcomeUnknown` — the request went out and no readable answer came back: read timeout, the
  connection dropped mid-response, an unreadable 2xx body, 5xx until the attempts ran out. A
  `$submit` is never re-sent here after such a failure: the caller reconciles with `$inquire`.
  (`$inquire` changes nothing at the payer, so it is retried.)
- `RequestRejected` — 4xx: the payer refused it; the OperationOutcome says why.

A 5xx answer is retried for `$submit` too: it carries the same Bundle identifier, which PAS
payers use to recognize a resubmission, so a retry cannot be adjudicated twice.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from tracker.payers.credentials import BearerToken, ClientCredentials, Credentials, NoCredentials
from tracker.payers.endpoints import PayerEndpoint
from tracker.payers.errors import (
    AuthenticationFailed,
    GatewayError,
    MalformedReply,
    NotSent,
    OutcomeUnknown,
    PayerBusy,
    PayerServerError,
    RequestRejected,
    UnreadablePayerResponse,
)
from tracker.payers.fhir_elements import identifiers
from tracker.payers.gateway import GatewayReply
from tracker.payers.inquiry import Inquirable, StoredInquiry, inquiry_for
from tracker.payers.pas_response import PasResponse, interpret_pas_response
from tracker.payers.retry_policy import RetryPolicy, retry_after_seconds

log = logging.getLogger("tracker.payers")

FHIR_JSON = "application/fhir+json"
SUBMIT = "$submit"
INQUIRE = "$inquire"
# Transport failures that happen before a byte of the request can have reached the payer.
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol,
              httpx.LocalProtocolError, httpx.ProxyError)
BUSY = (429, 503)


class PasGateway:
    def __init__(self, endpoint: PayerEndpoint, *, transport: httpx.BaseTransport | None = None,
                 retry: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep,
                 credentials: Credentials | None = None) -> None:
        endpoint = endpoint.checked()
        assert endpoint.base_url is not None
        self.payer = endpoint.payer
        self.endpoint = endpoint
        self._base = endpoint.base_url.rstrip("/")
        self._retry = retry or RetryPolicy(
            max_attempts=endpoint.max_attempts, backoff_seconds=endpoint.backoff_seconds,
            max_backoff_seconds=endpoint.max_backoff_seconds,
            max_retry_after_seconds=endpoint.max_retry_after_seconds)
        self._sleep = sleep
        self._credentials = credentials or _credentials_for(endpoint)
        self._slots = threading.BoundedSemaphore(endpoint.max_concurrent)
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(endpoint.read_timeout, connect=endpoint.connect_timeout),
            limits=httpx.Limits(max_connections=endpoint.max_concurrent,
                                max_keepalive_connections=endpoint.max_concurrent),
            headers={"Accept": FHIR_JSON}, follow_redirects=False)

    def __enter__(self) -> PasGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def submit(self, bundle: dict[str, Any]) -> GatewayReply:
        """Send a PAS request Bundle to `Claim/$submit`."""
        return self._call(SUBMIT, bundle, idempotent=False)

    def inquire(self, bundle_or_inquiry: Inquirable) -> GatewayReply:
        """Ask `Claim/$inquire` about a request (the request Bundle, a PAS inquiry Bundle, or a
        stored inquiry sent as it is)."""
        if isinstance(bundle_or_inquiry, StoredInquiry):
            return self._call(INQUIRE, bundle_or_inquiry, idempotent=True)
        return self._call(INQUIRE, inquiry_for(bundle_or_inquiry), idempotent=True)

    # -- one call, with its retries ------------------------------------------------------------

    def _call(self, operation: str, bundle: dict[str, Any] | StoredInquiry, *,
              idempotent: bool) -> GatewayReply:
        url = f"{self._base}/Claim/{operation}"
        if isinstance(bundle, StoredInquiry):
            content = bundle.text.encode("utf-8")
            bundle_identifier = bundle.bundle_identifier
        else:
            content = json.dumps(bundle, ensure_ascii=False).encode("utf-8")
            found = identifiers(bundle.get("identifier"))
            bundle_identifier = found[0] if found else None
        attempt = 0
        renewed = False
        while True:
            attempt += 1
            try:
                response = self._send(operation, url, content, attempt)
            except httpx.TransportError as err:
                self._after_transport_error(err, operation, attempt, idempotent)
                continue
            status = response.status_code
            if status == 401 and not renewed and self._credentials.renew():
                renewed = True  # one fresh token, then the answer stands
                log.info("payer %s %s: 401, fetching a new token", self.payer, operation)
                attempt -= 1  # the payer refused it unread: not an attempt at the request
                continue
            if 200 <= status < 300:
                reading, body = self._read(response, operation, attempt)
                return GatewayReply(payer=self.payer, operation=operation, status_code=status,
                                    response=body, interpretation=reading,
                                    bundle_identifier=bundle_identifier, attempts=attempt)
            self._after_error_status(response, operation, attempt)

    def _send(self, operation: str, url: str, content: bytes, attempt: int) -> httpx.Response:
        with self._slots:
            headers = {"Content-Type": FHIR_JSON}
            authorization = self._credentials.authorization(self._client)
            if authorization:
                headers["Authorization"] = authorization
            started = time.monotonic()
            response = self._client.post(url, content=content, headers=headers)
        log.info("payer %s %s attempt %d: HTTP %d in %.0f ms", self.payer, operation, attempt,
                 response.status_code, (time.monotonic() - started) * 1000)
        return response

    def _after_transport_error(self, err: httpx.TransportError, operation: str, attempt: int,
                               idempotent: bool) -> None:
        """Wait before the next attempt, or raise what the failure means for the caller."""
        sent = not isinstance(err, NEVER_SENT)
        what = _describe(err)
        log.warning("payer %s %s attempt %d: %s", self.payer, operation, attempt, what)
        if sent and not idempotent:
            raise OutcomeUnknown(
                f"{what} after the request was sent; the payer may have received it — reconcile "
                "with $inquire before resubmitting", payer=self.payer, operation=operation,
                attempts=attempt) from None
        if attempt >= self._retry.max_attempts:
            error = NotSent if not sent else OutcomeUnknown
            raise error(f"{what} (gave up after {attempt} attempts)", payer=self.payer,
                        operation=operation, attempts=attempt) from None
        self._sleep(self._retry.backoff(attempt))

    def _after_error_status(self, response: httpx.Response, operation: str, attempt: int) -> None:
        status = response.status_code
        if status == 401:
            raise AuthenticationFailed(
                "the payer answered 401 Unauthorized" + (
                    " even with a fresh token" if isinstance(self._credentials, ClientCredentials)
                    else "; check the configured credentials"),
                payer=self.payer, operation=operation, attempts=attempt)
        if status in BUSY:
            wait = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt >= self._retry.max_attempts or (
                    wait is not None and wait > self._retry.max_retry_after_seconds):
                later = f"; it asked to retry after {wait:.0f} s" if wait is not None else ""
                raise PayerBusy(f"the payer answered {status} (gave up after {attempt} attempts{later})",
                                payer=self.payer, operation=operation, attempts=attempt,
                                status_code=status, retry_after=wait)
            self._sleep(wait if wait is not None else self._retry.backoff(attempt))
            return
        if status >= 500:
            if attempt >= self._retry.max_attempts:
                raise PayerServerError(
                    f"the payer answered {status} (gave up after {attempt} attempts); it may have "
                    "acted on the request — reconcile with $inquire before resubmitting",
                    payer=self.payer, operation=operation, attempts=attempt, status_code=status)
            self._sleep(self._retry.backoff(attempt))
            return
        raise _rejection(response, self.payer, operation, attempt)

    def _read(self, response: httpx.Response, operation: str,
              attempt: int) -> tuple[PasResponse, dict[str, Any]]:
        try:
            body = json.loads(response.content.decode("utf-8-sig"))
            return interpret_pas_response(body), body
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            problem, path = "the body is not JSON: expected a FHIR PAS response", "$"
        except UnreadablePayerResponse as err:
            problem, path = err.message, err.path
        raise MalformedReply(
            f"answered {response.status_code} but {problem}; it may have acted on the request — "
            "reconcile with $inquire", payer=self.payer, operation=operation, attempts=attempt,
            status_code=response.status_code, path=path)


def _credentials_for(endpoint: PayerEndpoint) -> Credentials:
    if endpoint.auth == "bearer":
        assert endpoint.token is not None
        return BearerToken(endpoint.token)
    if endpoint.auth == "client_credentials":
        assert endpoint.token_url and endpoint.client_id and endpoint.client_secret
        return ClientCredentials(payer=endpoint.payer, token_url=endpoint.token_url,
                                 client_id=endpoint.client_id, client_secret=endpoint.client_secret,
                                 scope=endpoint.scope)
    return NoCredentials()


def _rejection(response: httpx.Response, payer: str, operation: str, attempt: int) -> GatewayError:
    reading = None
    with contextlib.suppress(ValueError, UnreadablePayerResponse, RecursionError):
        reading = interpret_pas_response(response.json())
    errors = reading.errors if reading is not None else ()
    said = "; ".join(e.message for e in errors) or "no OperationOutcome in the body"
    return RequestRejected(f"the payer rejected the request (HTTP {response.status_code}): {said}",
                           payer=payer, operation=operation, attempts=attempt,
                           status_code=response.status_code, errors=errors)


def _describe(err: httpx.TransportError) -> str:
    names = {
        httpx.ConnectError: "could not connect",
        httpx.ConnectTimeout: "no connection within the connect timeout",
        httpx.PoolTimeout: "no free connection within the timeout",
        httpx.ReadTimeout: "no answer within the read timeout",
        httpx.WriteTimeout: "the request could not be written within the timeout",
        httpx.RemoteProtocolError: "the connection dropped before a complete answer",
        httpx.ReadError: "the connection failed while reading the answer",
        httpx.WriteError: "the connection failed while sending the request",
    }
    for kind, text in names.items():
        if isinstance(err, kind):
            return text
    return f"transport failure ({type(err).__name__})"
