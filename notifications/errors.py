"""What can go wrong sending an alert: a failure worth retrying, or one that never will succeed."""

from __future__ import annotations

from tracker.errors import PainauthError


class SendFailure(Exception):
    """A channel could not send a message. `code` is the provider's error code when it gave one
    (a Twilio error number, an SMTP reply code); `detail` is safe to show and store."""

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


class TransientFailure(SendFailure):
    """Try again later: Twilio 5xx or 429, a network error, an SMTP 4xx reply."""


class PermanentFailure(SendFailure):
    """Sending again will not help (Twilio 21211 invalid number, an SMTP 5xx reply): fall back."""


class AlertsError(PainauthError):
    """An alert command cannot run as asked (e.g. a provider preference that is not valid)."""
