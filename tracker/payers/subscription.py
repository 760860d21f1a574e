"""Asking a payer to tell us when it decides: a PAS rest-hook Subscription (FHIR R5 backport on R4),
shaped as the IG's Subscription-PASSubscriptionExample."""

from __future__ import annotations

from typing import Any

import httpx

from tracker.payers.endpoints import PayerEndpoint

BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
PAS_TOPIC = "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic"


def decision_subscription(endpoint_url: str, token: str, org_identifier: str | None = None
                          ) -> dict[str, Any]:
    """A Subscription sending each decision, in full, to `endpoint_url` with our bearer token."""
    subscription: dict[str, Any] = {
        "resourceType": "Subscription",
        "meta": {"profile": ["http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
                             "profile-subscription"]},
        "status": "requested",
        "reason": "Decisions on prior authorization requests sent by painauth",
        "criteria": PAS_TOPIC,
        "channel": {
            "type": "rest-hook",
            "endpoint": endpoint_url,
            "payload": "application/fhir+json",
            "_payload": {"extension": [{"url": BACKPORT + "backport-payload-content",
                                        "valueCode": "full-resource"}]},
            "header": [f"Authorization: Bearer {token}"],
        },
    }
    if org_identifier:
        subscription["_criteria"] = {"extension": [{
            "url": BACKPORT + "backport-filter-criteria",
            "valueString": f"orgIdentifier={org_identifier}"}]}
    return subscription


def subscribe_to_decisions(endpoint: PayerEndpoint, notification_url: str, token: str,
                           org_identifier: str | None = None) -> str:
    """Register the subscription at the payer; returns the Subscription id it assigned."""
    endpoint = endpoint.checked()
    assert endpoint.base_url is not None
    with httpx.Client(base_url=endpoint.base_url.rstrip("/") + "/",
                      timeout=endpoint.read_timeout) as client:
        response = client.post("Subscription", json=decision_subscription(
            notification_url, token, org_identifier),
            headers={"Content-Type": "application/fhir+json"})
        response.raise_for_status()
        return str(response.json().get("id", ""))
