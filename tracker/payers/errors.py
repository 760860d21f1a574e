"""What can go wrong when painauth reads what a payer sent back."""

from __future__ import annotations

from tracker.errors import PainauthError


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
