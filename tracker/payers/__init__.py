"""Talking to payers. Today: reading their Da Vinci PAS 2.2.1 responses (and the older shapes
payers still send) as the practice's decision, per line and for the request.

    from tracker.payers import read_pas_response
    decision = read_pas_response(body)          # str or bytes as received
    decision.status, decision.items[0].auth_number
"""

from tracker.payers.claim_response import ItemDecision, Reason, ReviewAction
from tracker.payers.errors import PayerError, UnreadablePayerResponse
from tracker.payers.pas_response import (
    Notification,
    PasResponse,
    interpret_pas_response,
    read_pas_response,
)
from tracker.payers.response_errors import ResponseError

__all__ = [
    "ItemDecision",
    "Notification",
    "PasResponse",
    "PayerError",
    "Reason",
    "ResponseError",
    "ReviewAction",
    "UnreadablePayerResponse",
    "interpret_pas_response",
    "read_pas_response",
]
