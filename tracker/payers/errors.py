"""What can go wrong when painauth talks to a payer: reading what it sent back, and sending to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.errors import PainauthError

if TYPE_CHECKING:
    from tracker.payers.response_errors import ResponseError


class PayerError(PainauthError):
    """Base of the errors of talking to payers."""


class UnreadablePayerResponse(PayerError):
    """A payer response painauth cannot interpret: not JSON, not FHIR, or no decision in it.

    `path` names where in the document the problem is (`$` for the whole document).
    """

    def __init__(self, message: str, path: str = "$") -> None:
        super().__init__(message if path == "$" else f"{path}: {message}")
        self.message = message
        self.path = path


class GatewayNotConfigured(PayerError):
    """A payer endpoint whose configuration is missing or wrong; `setting` names what to set."""

    def __init__(self, payer: str, setting: str, message: str) -> None:
        super().__init__(f"payer {payer!r}: {setting}: {message}")
        self.payer = payer
        self.setting = setting
        self.message = message


class GatewayError(PayerError):
    """A request to a payer that did not end in a readable answer.

    The subclasses say what the caller may do next, which is what exactly-once submission needs:

    - `NotSent`: nothing reached the payer (or the payer turned it away unprocessed): send again.
    - `OutcomeUnknown`: the payer may have received it and acted on it: ask with `$inquire` before
      any resubmission. For `$inquire` itself it only means "ask again later".
    - `RequestRejected`: the payer answered and refused it (4xx): fix the request, do not resend it
      as it is.
    """

    retry_safe: bool = False

    def __init__(self, message: str, *, payer: str, operation: str, attempts: int = 1) -> None:
        super().__init__(f"payer {payer!r} {operation}: {message}")
        self.message = message
        self.payer = payer
        self.operation = operation
        self.attempts = attempts


class NotSent(GatewayError):
    """The request never reached the payer (connection refused, no connection in time), or the
    payer said it did not process it (429, 503) until the attempts ran out. Sending it again —
    with the same Bundle identifier — is safe."""

    retry_safe = True


class PayerBusy(NotSent):
    """The payer kept answering 429 or 503; `retry_after` is the wait it asked for, in seconds."""

    def __init__(self, message: str, *, payer: str, operation: str, attempts: int = 1,
                 status_code: int, retry_after: float | None = None) -> None:
        super().__init__(message, payer=payer, operation=operation, attempts=attempts)
        self.status_code = status_code
        self.retry_after = retry_after


class AuthenticationFailed(NotSent):
    """The payer's token endpoint refused the credentials, or the payer answered 401 even with a
    fresh token. Nothing was adjudicated; fix the credentials, then send again."""


class OutcomeUnknown(GatewayError):
    """The request may have reached the payer and been acted on, but no readable answer came back
    (read timeout after sending, connection dropped mid-response, an unreadable 2xx body, a server
    error after the last attempt). Reconcile with `$inquire` before resubmitting anything."""


class MalformedReply(OutcomeUnknown):
    """The payer answered 2xx with a body that is not a readable PAS response.

    `status_code` is the HTTP status; `path` names where in the body the problem is.
    """

    def __init__(self, message: str, *, payer: str, operation: str, attempts: int = 1,
                 status_code: int, path: str = "$") -> None:
        super().__init__(message if path == "$" else f"{path}: {message}", payer=payer,
                         operation=operation, attempts=attempts)
        self.status_code = status_code
        self.path = path


class PayerServerError(OutcomeUnknown):
    """The payer kept answering 5xx (other than 503) until the attempts ran out. A 500 or 504 may
    come after the payer acted on the request, so this is an unknown outcome, not a refusal."""

    def __init__(self, message: str, *, payer: str, operation: str, attempts: int = 1,
                 status_code: int) -> None:
        super().__init__(message, payer=payer, operation=operation, attempts=attempts)
        self.status_code = status_code


class RequestRejected(GatewayError):
    """The payer answered 4xx: it did not accept the request. `errors` are the issues of its
    OperationOutcome (empty when the body carried none), each with a `message` staff can act on."""

    def __init__(self, message: str, *, payer: str, operation: str, attempts: int = 1,
                 status_code: int, errors: tuple[ResponseError, ...] = ()) -> None:
        super().__init__(message, payer=payer, operation=operation, attempts=attempts)
        self.status_code = status_code
        self.errors = errors
