"""PasGateway against the sandbox over HTTP: the payer's decisions as the practice reads them."""

from __future__ import annotations

import time

from tracker.payers.pas_gateway import PasGateway

from .conftest import Payer
from .notification_receiver import receiving
from .pas_requests import key_of, pas_request


def test_complete_package_is_approved_with_number_validity_and_units(
        payer: Payer, gateway: PasGateway) -> None:
    request = pas_request([("64483", 1)], evidence=("conservative-therapy",))
    reply = gateway.submit(request)
    assert reply.status_code == 200
    assert reply.decision == "approved"
    assert reply.attempts == 1
    assert reply.bundle_identifier == request["identifier"]
    assert reply.interpretation is not None
    assert reply.interpretation.bundle_identifier == request["identifier"]  # PAS echoes it
    (item,) = reply.interpretation.items
    assert item.decision == "approved"
    assert item.auth_number and item.auth_number.startswith("SBX")
    assert item.period == ("2031-03-14", "2031-06-12")
    assert item.quantity == 1
    assert len(payer.adjudications(key_of(request))) == 1


def test_more_units_than_the_payer_allows_is_a_partial_approval(payer: Payer, gateway: PasGateway) -> None:
    request = pas_request([("64635", 1), ("64636", 3)], evidence=("diagnostic-blocks",))
    reply = gateway.submit(request)
    assert reply.decision == "partial"
    assert reply.interpretation is not None
    first, second = reply.interpretation.items
    assert (first.decision, first.quantity) == ("approved", 1)
    assert second.decision == "partial"
    assert second.review_action is not None and second.review_action.code == "A2"
    assert second.quantity == 1
    assert second.auth_number == first.auth_number
    assert "Approved for 1 of 3 units requested" in [r.display for r in second.reasons]


def test_missing_evidence_is_denied_naming_what_is_missing(payer: Payer, gateway: PasGateway) -> None:
    reply = gateway.submit(pas_request([("64635", 1)], evidence=("conservative-therapy",)))
    assert reply.decision == "denied"
    assert reply.interpretation is not None
    (item,) = reply.interpretation.items
    assert item.auth_number is None
    assert [r.code for r in item.reasons] == ["evidence-missing"]
    assert item.reasons[0].display == "Missing: Diagnostic block results before radiofrequency ablation"


def test_conservative_care_without_its_outcome_is_denied_as_missing(payer: Payer,
                                                                   gateway: PasGateway) -> None:
    reply = gateway.submit(pas_request([("64483", 1)], evidence=("conservative-therapy",),
                                       with_detail=False))
    assert reply.decision == "denied"
    assert reply.interpretation is not None
    assert reply.interpretation.items[0].reasons[0].display == (
        "Missing: Conservative-therapy history: modality, dates, duration, outcome")


def test_a_payer_rule_denies_with_its_reason(payer: Payer, gateway: PasGateway) -> None:
    reply = gateway.submit(pas_request([("20553", 1)]))
    assert reply.decision == "denied"
    assert reply.interpretation is not None
    assert reply.interpretation.items[0].reasons[0].display == "Trigger point injections are not covered"


def test_a_modified_approval_names_the_code_the_payer_authorized(payer: Payer, gateway: PasGateway) -> None:
    reply = gateway.submit(pas_request([("64480", 1)], evidence=("conservative-therapy",)))
    assert reply.decision == "modified"
    assert reply.interpretation is not None
    assert reply.interpretation.items[0].authorized_service == "64479"


def test_pended_request_is_decided_and_the_practice_is_notified(payer: Payer, gateway: PasGateway) -> None:
    request = pas_request([("63650", 1)], evidence=("psych-evaluation",))
    with receiving() as receiver:
        subscription = payer.admin.post("/Subscription", json={
            "resourceType": "Subscription", "status": "requested",
            "criteria": "http://hl7.org/fhir/us/davinci-pas/SubscriptionTopic/PASSubscriptionTopic",
            "channel": {"type": "rest-hook", "endpoint": receiver.url, "payload": "application/fhir+json",
                        "header": ["X-Practice-Hook: synthetic-hook-secret"]}})
        assert subscription.status_code == 201
        assert subscription.json()["status"] == "active"  # the handshake reached the receiver
        reply = gateway.submit(request)
        assert reply.decision == "pended"
        assert reply.interpretation is not None and reply.interpretation.awaiting_decision

        handshake, event = receiver.wait_for(2)

    from tracker.payers import interpret_pas_response
    assert interpret_pas_response(handshake).notification is not None
    reading = interpret_pas_response(event)
    assert reading.kind == "notification"
    assert reading.notification is not None and reading.notification.type == "event-notification"
    assert reading.status == "approved"
    assert reading.bundle_identifier == request["identifier"]
    assert reading.items[0].auth_number
    assert receiver.headers[1]["x-practice-hook"] == "synthetic-hook-secret"
    assert receiver.headers[1]["content-type"] == "application/fhir+json"


def test_pended_request_is_followed_by_polling_inquire_until_decided(
        payer: Payer, gateway: PasGateway) -> None:
    request = pas_request([("63650", 1)], evidence=("psych-evaluation",))
    assert gateway.submit(request).decision == "pended"
    first = gateway.inquire(request)
    assert first.operation == "$inquire"
    assert first.decision == "pended"
    deadline = time.monotonic() + 60
    decision = first.decision
    while decision == "pended" and time.monotonic() < deadline:
        time.sleep(0.1)
        decision = gateway.inquire(request).decision
    assert decision == "approved"
    assert len(payer.received(key_of(request), "$submit")) == 1


def test_a_long_review_can_be_ended_now_by_the_sandbox_admin(payer: Payer, gateway: PasGateway) -> None:
    request = pas_request([("63685", 1)])
    assert gateway.submit(request).decision == "pended"
    payer.post("/_admin/decide_pended", {"bundle_identifier": request["identifier"]["value"],
                                         "decision": "deny"})
    assert gateway.inquire(request).decision == "denied"


def test_inquiry_about_a_request_never_sent_finds_nothing(payer: Payer, gateway: PasGateway) -> None:
    reply = gateway.inquire(pas_request([("62323", 1)]))
    assert reply.decision == "not_found"


def test_duplicate_bundle_identifier_gets_the_same_answer_and_is_not_adjudicated_again(
        payer: Payer, gateway: PasGateway) -> None:
    request = pas_request([("64483", 1)], evidence=("conservative-therapy",))
    first = gateway.submit(request)
    again = gateway.submit(request)
    assert again.response == first.response
    assert again.interpretation is not None and first.interpretation is not None
    assert again.interpretation.items[0].auth_number == first.interpretation.items[0].auth_number
    assert len(payer.adjudications(key_of(request))) == 1
    duplicates = payer.get("/_admin/duplicates")
    assert duplicates["count"] == 1
    assert duplicates["duplicates"][0]["bundle_identifier"] == key_of(request)
