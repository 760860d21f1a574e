"""Talking to payers: reading their Da Vinci PAS 2.2.1 responses (and the older shapes payers
still send) as the practice's decision, and sending requests through one gateway seam.

    from tracker.payers import read_pas_response
    decision = read_pas_response(body)          # str or bytes as received
    decision.status, decision.items[0].auth_number

    from tracker.payers import open_gateway, payer_endpoint
    reply = open_gateway(payer_endpoint("aetna")).submit(bundle)   # see tracker.payers.channels

Importing this package loads no HTTP library; `tracker.payers.pas_gateway` does.
"""

from tracker.payers.channels import open_gateway
from tracker.payers.claim_response import ItemDecision, Reason, ReviewAction
from tracker.payers.endpoints import PayerEndpoint, load_payer_endpoints, payer_endpoint
from tracker.payers.errors import (
    AuthenticationFailed,
    GatewayError,
    GatewayNotConfigured,
    MalformedReply,
    NotSent,
    OutcomeUnknown,
    PayerBusy,
    PayerError,
    PayerServerError,
    RequestRejected,
    UnreadablePayerResponse,
)
from tracker.payers.gateway import GatewayReply, PayerGateway
from tracker.payers.pas_response import (
    Notification,
    PasResponse,
    interpret_pas_response,
    read_pas_response,
)
from tracker.payers.response_errors import ResponseError

__all__ = [
    "AuthenticationFailed",
    "GatewayError",
    "GatewayNotConfigured",
    "GatewayReply",
    "ItemDecision",
    "MalformedReply",
    "NotSent",
    "OutcomeUnknown",
    "PayerBusy",
    "PayerEndpoint",
    "PayerGateway",
    "PayerServerError",
    "RequestRejected",
    "Notification",
    "PasResponse",
    "PayerError",
    "Reason",
    "ResponseError",
    "ReviewAction",
    "UnreadablePayerResponse",
    "interpret_pas_response",
    "load_payer_endpoints",
    "open_gateway",
    "payer_endpoint",
    "read_pas_response",
]
