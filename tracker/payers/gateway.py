"""The one seam between painauth and every payer: submit a PAS request, ask about it later.

    gateway = open_gateway(payer_endpoint("aetna"))
    reply = gateway.submit(bundle)           # a PAS request Bundle (FHIR JSON as a dict)
    reply.decision                           # approved | partial | denied | pended | …
    later = gateway.inquire(bundle)          # the request itself, or a PAS inquiry Bundle

`PasGateway` speaks Da Vinci PAS over HTTP; `ManualGateway` produces the packet for staff who
fax it or type it into a portal. What can go wrong is in `tracker.payers.errors` (`NotSent`,
`OutcomeUnknown`, `RequestRejected`); `tracker.payers.channels.open_gateway` opens the gateway
an endpoint's channel calls for. This module imports no HTTP library.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tracker.payers.inquiry import Inquirable
from tracker.payers.pas_response import PasResponse

AWAITING_MANUAL_ENTRY = "awaiting_manual_entry"

# Builds the human-readable packet (PDF) for a request Bundle and says where it is.
PacketWriter = Callable[[dict[str, Any]], Path]


@dataclass(frozen=True)
class GatewayReply:
    """What came back from one gateway call."""

    payer: str
    operation: str  # "$submit" | "$inquire"
    status_code: int | None  # the HTTP status; None when nothing was sent over HTTP
    response: dict[str, Any] | None  # the payer's response as parsed JSON
    interpretation: PasResponse | None  # read by tracker.payers.interpret_pas_response
    bundle_identifier: dict[str, str | None] | None = None  # of the request sent
    attempts: int = 1
    awaiting_manual_entry: bool = False
    packet: Path | None = None

    @property
    def decision(self) -> str:
        if self.awaiting_manual_entry or self.interpretation is None:
            return AWAITING_MANUAL_ENTRY
        return self.interpretation.status


class PayerGateway(Protocol):
    payer: str

    def submit(self, bundle: dict[str, Any]) -> GatewayReply:
        """Send a PAS request Bundle; the same Bundle identifier must be reused on any resend."""
        ...

    def inquire(self, bundle_or_inquiry: Inquirable) -> GatewayReply:
        """Ask for the current answer to an earlier request (the request Bundle, an inquiry
        Bundle, or a stored inquiry)."""
        ...

    def close(self) -> None:
        ...
