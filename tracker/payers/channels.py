"""Open the gateway a payer's channel calls for: Da Vinci PAS over HTTP, or manual (fax or portal).
httpx is loaded only when a PAS gateway is opened."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracker.payers.endpoints import PayerEndpoint
from tracker.payers.gateway import PacketWriter, PayerGateway

if TYPE_CHECKING:
    import httpx


def open_gateway(endpoint: PayerEndpoint, *, packet_writer: PacketWriter | None = None,
                 transport: httpx.BaseTransport | None = None) -> PayerGateway:
    """The gateway an endpoint's channel calls for: PAS over HTTP, or manual (fax or portal)."""
    endpoint = endpoint.checked()
    if endpoint.channel == "manual":
        from tracker.payers.manual_gateway import ManualGateway

        if packet_writer is None:
            raise ValueError(f"payer {endpoint.payer!r} is reached by hand: pass a packet_writer")
        return ManualGateway(endpoint.payer, packet_writer)
    from tracker.payers.pas_gateway import PasGateway

    return PasGateway(endpoint, transport=transport)
