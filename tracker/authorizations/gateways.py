"""The gateway to each payer, opened on first use and closed together: what the submit and
follow-up services are handed. Tests and the demo pass their own opener."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tracker.payers.channels import open_gateway
from tracker.payers.endpoints import load_payer_endpoints, payer_endpoint
from tracker.payers.gateway import PayerGateway

Opener = Callable[[str], PayerGateway]


def packet_path(packets: Path, bundle_identifier: str) -> Path:
    """Where the PDF packet of one submission attempt is written (before it is sent)."""
    return packets / f"{bundle_identifier}.pdf"


def fax_number(payer: str) -> str | None:
    """The fax number a packet for this payer goes to: set (`PAINAUTH_PAYER_<ID>_FAX`) for a
    payer reached by hand (`_CHANNEL=manual`); None for a payer reached over PAS."""
    endpoint = load_payer_endpoints().get(payer)
    if endpoint is None or endpoint.channel != "manual":
        return None
    return endpoint.fax or None


def configured_opener(packets: Path) -> Opener:
    """Gateways from the payer endpoint settings; a manual payer's packet is the one the submit
    service wrote for the attempt."""

    def written_packet(bundle: dict[str, Any]) -> Path:
        return packet_path(packets, str((bundle.get("identifier") or {}).get("value")))

    def opener(payer: str) -> PayerGateway:
        return open_gateway(payer_endpoint(payer), packet_writer=written_packet)

    return opener


class PayerGateways:
    def __init__(self, opener: Opener) -> None:
        self._opener = opener
        self._open: dict[str, PayerGateway] = {}

    def __call__(self, payer: str) -> PayerGateway:
        if payer not in self._open:
            self._open[payer] = self._opener(payer)
        return self._open[payer]

    def close(self) -> None:
        for gateway in self._open.values():
            gateway.close()
        self._open.clear()

    def __enter__(self) -> PayerGateways:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
