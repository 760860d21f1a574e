"""Exactly once under faults: what PasGateway does when the payer fails, and what it tells the
caller — not sent (retry freely), outcome unknown (reconcile with $inquire), rejected."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from tracker.payers.errors import (
    MalformedReply,
    NotSent,
    OutcomeUnknown,
    PayerBusy,
    PayerServerError,
    RequestRejected,
)
from tracker.payers.pas_gateway import PasGateway
from tracker.payers.retry_policy import RetryPolicy, retry_after_seconds

from .conftest import READ_TIMEOUT, Payer, endpoint_for
from .pas_requests import key_of, pas_request
from .sandbox_server import free_port


def approvable() -> dict[str, Any]:
    return pas_request([("64483", 1)], evidence=("conservative-therapy",))


def test_server_errors_are_retried_and_the_request_adjudicated_once(
        payer: Payer, gateway: PasGateway) -> None:
    payer.fault(kind="5xx", count=2, status=502)
    request = approvable()
    reply = gateway.submit(request)
    assert reply.decision == "approved"
    assert reply.attempts == 3
    outcomes = [r["outcome"] for r in payer.received(key_of(request))]
    assert outcomes == ["fault:5xx", "fault:5xx", "adjudicated"]
    assert len(payer.adjudications(key_of(request))) == 1


def test_server_errors_past_the_last_attempt_leave_the_outcome_unknown(
        payer: Payer, gateway: PasGateway) -> None:
    payer.fault(kind="5xx", count=3, status=500)
    with pytest.raises(PayerServerError) as raised:
        gateway.submit(approvable())
    assert isinstance(raised.value, OutcomeUnknown) and not raised.value.retry_safe
    assert raised.value.status_code == 500
    assert raised.value.attempts == 3
    assert "reconcile with $inquire" in str(raised.value)


def test_unavailable_past_the_last_attempt_is_not_sent(payer: Payer, gateway: PasGateway) -> None:
    payer.fault(kind="5xx", count=3, status=503)
    with pytest.raises(PayerBusy) as raised:
        gateway.submit(approvable())
    assert isinstance(raised.value, NotSent) and raised.value.retry_safe


def test_too_many_requests_waits_as_long_as_retry_after_says(payer: Payer, gateway: PasGateway) -> None:
    payer.fault(kind="429", count=1, retry_after=1)
    request = approvable()
    started = time.monotonic()
    reply = gateway.submit(request)
    waited = time.monotonic() - started
    assert reply.decision == "approved"
    assert 0.9 <= waited < 2.5
    assert [r["outcome"] for r in payer.received(key_of(request))] == ["fault:429", "adjudicated"]


def test_retry_after_as_an_http_date_is_honoured(payer: Payer, gateway: PasGateway) -> None:
    payer.fault(kind="429", count=1, retry_after=2, retry_after_as_date=True)
    started = time.monotonic()
    assert gateway.submit(approvable()).decision == "approved"
    # an HTTP date has one-second resolution: the wait is between one and two seconds
    assert 0.5 <= time.monotonic() - started < 3


def test_a_retry_after_longer_than_the_gateway_will_wait_gives_up_saying_when(payer: Payer) -> None:
    payer.fault(kind="429", count=1, retry_after=600)
    with PasGateway(endpoint_for(payer.url, max_retry_after_seconds=5)) as gateway, \
            pytest.raises(PayerBusy) as raised:
        gateway.submit(approvable())
    assert raised.value.retry_after == 600
    assert raised.value.attempts == 1


def test_timeout_after_sending_is_an_unknown_outcome_reconciled_by_inquire(
        payer: Payer, gateway: PasGateway) -> None:
    payer.fault(kind="timeout", count=1, delay=READ_TIMEOUT * 3)
    request = approvable()
    with pytest.raises(OutcomeUnknown) as raised:
        gateway.submit(request)
    assert not raised.value.retry_safe
    assert raised.value.attempts == 1  # never re-sent by the gateway
    assert "reconcile with $inquire" in str(raised.value)
    assert len(payer.received(key_of(request))) == 1

    found = gateway.inquire(request)
    assert found.decision == "approved"
    assert found.interpretation is not None and found.interpretation.items[0].auth_number
    assert len(payer.received(key_of(request))) == 1  # reconciled, not resubmitted
    assert len(payer.adjudications(key_of(request))) == 1


def test_connection_dropped_mid_answer_is_an_unknown_outcome(payer: Payer, gateway: PasGateway) -> None:
    payer.fault(kind="drop_after_receive", count=1)
    request = approvable()
    with pytest.raises(OutcomeUnknown, match="dropped"):
        gateway.submit(request)
    assert len(payer.received(key_of(request))) == 1
    assert gateway.inquire(request).decision == "approved"


def test_unreadable_answer_is_a_clear_error_and_an_unknown_outcome(payer: Payer, gateway: PasGateway) -> None:
    payer.fault(kind="malformed", count=1)
    request = approvable()
    with pytest.raises(MalformedReply) as raised:
        gateway.submit(request)
    assert isinstance(raised.value, OutcomeUnknown)
    assert raised.value.status_code == 200
    assert "not JSON" in str(raised.value)
    assert len(payer.adjudications(key_of(request))) == 1
    assert gateway.inquire(request).decision == "approved"


def test_inquiry_is_retried_after_a_timeout_because_it_changes_nothing(
        payer: Payer, gateway: PasGateway) -> None:
    request = approvable()
    gateway.submit(request)
    payer.fault(kind="timeout", count=1, delay=READ_TIMEOUT * 3, operation="$inquire")
    reply = gateway.inquire(request)
    assert reply.decision == "approved"
    assert reply.attempts == 2


def test_malformed_request_is_rejected_with_the_payers_reasons(payer: Payer, gateway: PasGateway) -> None:
    request = approvable()
    request["entry"][0]["resource"]["use"] = "claim"
    del request["entry"][0]["resource"]["item"][0]["productOrService"]
    with pytest.raises(RequestRejected) as raised:
        gateway.submit(request)
    assert raised.value.status_code == 400
    assert not raised.value.retry_safe
    messages = [e.message for e in raised.value.errors]
    assert any("Claim.use must be 'preauthorization'" in m for m in messages)
    assert any("Claim.item[0].productOrService" in m for m in messages)
    assert payer.received(key_of(request))[0]["outcome"] == "invalid"


def test_nothing_listening_is_not_sent_after_every_attempt() -> None:
    slept: list[float] = []
    endpoint = endpoint_for(f"http://127.0.0.1:{free_port()}")
    with PasGateway(endpoint, sleep=slept.append) as gateway, pytest.raises(NotSent) as raised:
        gateway.submit(approvable())
    assert raised.value.retry_safe
    assert raised.value.attempts == 3
    assert len(slept) == 2
    assert "could not connect" in str(raised.value)


def test_no_more_requests_in_flight_than_the_payers_limit() -> None:
    in_flight = 0
    most = 0
    lock = threading.Lock()

    def slow_payer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.05)
        with lock:
            in_flight -= 1
        return httpx.Response(200, json={"resourceType": "OperationOutcome", "issue": [
            {"severity": "information", "code": "informational"}]})

    endpoint = endpoint_for("http://payer.invalid", max_concurrent=2)
    with PasGateway(endpoint, transport=httpx.MockTransport(slow_payer)) as gateway:
        threads = [threading.Thread(target=gateway.submit, args=(approvable(),)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert most == 2


def test_backoff_grows_exponentially_with_full_jitter() -> None:
    import random

    policy = RetryPolicy(backoff_seconds=1, max_backoff_seconds=5, jitter=random.Random(4))
    waits = [[policy.backoff(attempt) for _ in range(200)] for attempt in (1, 2, 3, 4)]
    assert [round(max(w)) for w in waits] == [1, 2, 4, 5]
    assert all(min(w) >= 0 for w in waits)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2031, 3, 14, 9, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None
