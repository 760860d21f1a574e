"""SMS through Twilio's Messages API with the official `twilio` client.

`PAINAUTH_TWILIO_API_URL` points the client at another server speaking the same API (a local
stand-in in tests): the client's documented `http_client` seam takes a `TwilioHttpClient`
subclass that rewrites https://api.twilio.com to that base URL, the approach Twilio's "custom HTTP
client" guide describes. Nothing else changes: the same requests, auth and error handling.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from notifications.errors import PermanentFailure, TransientFailure
from notifications.messages import OutgoingMessage

# How far back a reconciliation looks for a message it may have sent.
RECENT_MESSAGES = 100


class BaseUrlHttpClient(TwilioHttpClient):
    """Sends every Twilio request to `base_url` instead of the Twilio host, same path and query."""

    def __init__(self, base_url: str, timeout: float = 20.0) -> None:
        super().__init__(timeout=timeout)
        self.base = urlsplit(base_url.rstrip("/"))

    def request(self, method: str, url: str, params: dict[str, object] | None = None,
                data: dict[str, object] | None = None, headers: dict[str, str] | None = None,
                auth: tuple[str, str] | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Response:
        parts = urlsplit(url)
        rewritten = urlunsplit((self.base.scheme, self.base.netloc, self.base.path + parts.path,
                                parts.query, parts.fragment))
        return super().request(method, rewritten, params=params, data=data, headers=headers,
                               auth=auth, timeout=timeout, allow_redirects=allow_redirects)


class TwilioSms:
    name = "sms"

    def __init__(self, account_sid: str, auth_token: str, from_number: str, *,
                 api_url: str | None = None, status_callback: str | None = None,
                 timeout: float = 20.0) -> None:
        http_client = (BaseUrlHttpClient(api_url, timeout=timeout) if api_url
                       else TwilioHttpClient(timeout=timeout))
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_number = from_number
        self.status_callback = status_callback

    def send(self, message: OutgoingMessage) -> str:
        options: dict[str, Any] = {}
        if self.status_callback:
            options["status_callback"] = self.status_callback
        try:
            created = self.client.messages.create(to=message.to, from_=self.from_number,
                                                  body=message.text, **options)
        except TwilioRestException as err:
            raise _failure(err) from None
        except (requests.RequestException, TwilioException) as err:
            raise TransientFailure(f"Twilio could not be reached ({type(err).__name__})") from None
        return str(created.sid)

    def find_sent(self, message: OutgoingMessage) -> str | None:
        """The SID of a message Twilio holds from our number to this one with this exact body."""
        try:
            recent = self.client.messages.list(to=message.to, from_=self.from_number,
                                               limit=RECENT_MESSAGES)
        except TwilioRestException as err:
            raise _failure(err) from None
        except (requests.RequestException, TwilioException) as err:
            raise TransientFailure(f"Twilio could not be reached ({type(err).__name__})") from None
        for sent in recent:
            if (sent.body or "").strip() == message.text.strip():
                return str(sent.sid)
        return None


def _failure(err: TwilioRestException) -> TransientFailure | PermanentFailure:
    code = str(err.code) if err.code is not None else str(err.status)
    detail = f"Twilio answered {err.status}" + (f", error {err.code}" if err.code else "")
    if err.msg:
        detail += f": {err.msg}"
    if err.status >= 500 or err.status == 429:
        return TransientFailure(detail, code)
    return PermanentFailure(detail, code)
