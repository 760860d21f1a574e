"""Payers reached by fax or portal: "submitting" hands staff the packet to send.

The decision comes back by phone, fax or portal and is typed in by staff through
`tracker.authorizations.manual_entry` (record_manual_submission, record_manual_decision).
"""

from __future__ import annotations

from typing import Any

from tracker.payers.fhir_elements import identifiers
from tracker.payers.gateway import GatewayReply, PacketWriter
from tracker.payers.inquiry import Inquirable, StoredInquiry


class ManualGateway:
    def __init__(self, payer: str, packet_writer: PacketWriter) -> None:
        self.payer = payer
        self._write_packet = packet_writer

    def submit(self, bundle: dict[str, Any]) -> GatewayReply:
        """Write the packet for staff; the reply says the request awaits manual entry."""
        packet = self._write_packet(bundle)
        found = identifiers(bundle.get("identifier"))
        return GatewayReply(payer=self.payer, operation="$submit", status_code=None, response=None,
                            interpretation=None, bundle_identifier=found[0] if found else None,
                            awaiting_manual_entry=True, packet=packet)

    def inquire(self, bundle_or_inquiry: Inquirable) -> GatewayReply:
        """Nothing to ask electronically: staff record the decision when the payer gives it."""
        if isinstance(bundle_or_inquiry, StoredInquiry):
            identifier = bundle_or_inquiry.bundle_identifier
        else:
            found = identifiers(bundle_or_inquiry.get("identifier"))
            identifier = found[0] if found else None
        return GatewayReply(payer=self.payer, operation="$inquire", status_code=None,
                            response=None, interpretation=None,
                            bundle_identifier=identifier,
                            awaiting_manual_entry=True)

    def close(self) -> None:
        return None
