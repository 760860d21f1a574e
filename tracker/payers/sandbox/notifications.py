"""Rest-hook subscriptions, as PAS uses the FHIR R5 Subscriptions Backport on R4.

A provider registers a Subscription (`channel.type = rest-hook`, an `endpoint`, optional
`channel.header` lines, payload `full-resource` or `id-only` in the backport-payload-content
extension). The sandbox sends a handshake notification, then one event notification each time a
pended request is decided: a `history` Bundle whose first entry is the backport Parameters
(subscription, topic, type, event number, focus) and, for full-resource, the response Bundle
itself — the shape of the PAS example Bundle-PASSubscriptionNotification.
"""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime
from typing import Any

import httpx

from tracker.payers.fhir_elements import objects, text
from tracker.payers.sandbox.request_checks import Issue

log = logging.getLogger("tracker.payers.sandbox")

BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
PAS_TOPIC = "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic"
BASE = "https://sandbox.painauth.example.org/fhir"


def subscription_issues(subscription: Any) -> list[Issue]:
    if not isinstance(subscription, dict) or subscription.get("resourceType") != "Subscription":
        return [("structure", "expected a Subscription resource", None)]
    channel: dict[str, Any] = subscription.get("channel") or {}
    if not isinstance(channel, dict):
        channel = {}
    issues: list[Issue] = []
    if channel.get("type") != "rest-hook":
        issues.append(("not-supported", "only rest-hook channels are supported", "Subscription.channel.type"))
    endpoint = text(channel.get("endpoint"))
    if not endpoint or not endpoint.startswith(("http://", "https://")):
        issues.append(("required", "a rest-hook needs an http(s) endpoint", "Subscription.channel.endpoint"))
    return issues


def payload_content(subscription: dict[str, Any]) -> str:
    for extension in objects(((subscription.get("channel") or {}).get("_payload") or {}).get("extension")):
        if str(extension.get("url", "")).endswith("backport-payload-content"):
            return str(extension.get("valueCode") or "full-resource")
    return "full-resource"


def org_filter(subscription: dict[str, Any]) -> str | None:
    """The `orgIdentifier=…` filter of the PAS subscription topic, if any."""
    for extension in objects((subscription.get("_criteria") or {}).get("extension")):
        value = text(extension.get("valueString")) or ""
        if str(extension.get("url", "")).endswith("backport-filter-criteria") and "=" in value:
            name, _, wanted = value.partition("=")
            if name.strip() == "orgIdentifier":
                return wanted.strip()
    return None


def concerns(subscription: dict[str, Any], request: dict[str, Any]) -> bool:
    """Whether a request belongs to the subscriber: any organization or practitioner identifier
    in the request matching the filter (no filter: every request)."""
    wanted = org_filter(subscription)
    if wanted is None:
        return True
    for entry in objects(request.get("entry")):
        resource = entry.get("resource") or {}
        if resource.get("resourceType") in ("Organization", "Practitioner", "PractitionerRole") and any(
                text(i.get("value")) == wanted for i in objects(resource.get("identifier"))):
            return True
    return False


def notification_bundle(subscription: dict[str, Any], kind: str, event_number: int,
                        focus: dict[str, Any] | None) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    reference = f"{BASE}/Subscription/{subscription['id']}"
    parameters: list[dict[str, Any]] = [
        {"name": "subscription", "valueReference": {"reference": reference}},
        {"name": "topic", "valueCanonical": text(subscription.get("criteria")) or PAS_TOPIC},
        {"name": "status", "valueCode": "active"},
        {"name": "type", "valueCode": kind},
        {"name": "events-since-subscription-start", "valueString": str(event_number)},
    ]
    entries: list[dict[str, Any]] = []
    content = payload_content(subscription)
    if focus is not None and content != "empty":
        focus_url = f"{BASE}/Bundle/{focus['id']}"
        parameters.append({"name": "notification-event", "part": [
            {"name": "event-number", "valueString": str(event_number)},
            {"name": "timestamp", "valueInstant": now},
            {"name": "focus", "valueReference": {"reference": focus_url}}]})
        if content == "full-resource":
            entries.append({"fullUrl": focus_url, "resource": copy.deepcopy(focus)})
    status = {"fullUrl": f"urn:uuid:{subscription['id']}-{event_number}",
              "resource": {"resourceType": "Parameters", "parameter": parameters},
              "request": {"method": "GET", "url": f"{reference}/$status"},
              "response": {"status": "200"}}
    return {"resourceType": "Bundle", "type": "history", "timestamp": now,
            "meta": {"profile": [BACKPORT + "backport-subscription-notification-r4"]},
            "entry": [status, *entries]}


async def deliver(client: httpx.AsyncClient, subscription: dict[str, Any],
                  bundle: dict[str, Any]) -> dict[str, Any]:
    """POST a notification to the subscriber; what happened, for `GET /_admin/notifications`."""
    channel = subscription.get("channel") or {}
    headers = {"Content-Type": "application/fhir+json"}
    for line in channel.get("header") or []:
        name, _, value = str(line).partition(":")
        if name.strip() and value.strip():
            headers[name.strip()] = value.strip()
    kind = next((p.get("valueCode") for p in bundle["entry"][0]["resource"]["parameter"]
                 if p.get("name") == "type"), None)
    record: dict[str, Any] = {"subscription": subscription["id"], "endpoint": channel.get("endpoint"),
                              "type": kind, "at": datetime.now(UTC).isoformat()}
    try:
        response = await client.post(str(channel.get("endpoint")), json=bundle, headers=headers)
        record["status_code"] = response.status_code
    except httpx.HTTPError as err:
        record["error"] = type(err).__name__
        log.warning("notification to %s failed: %s", channel.get("endpoint"), type(err).__name__)
    return record
