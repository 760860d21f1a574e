"""The payer sandbox: a Da Vinci PAS payer on loopback, for the demo and the tests.

    POST /Claim/$submit       a PAS request Bundle -> a PAS response Bundle (or 400 OperationOutcome)
    POST /Claim/$inquire      an inquiry (or the request) -> Parameters with 0..* response Bundles
    POST /Subscription        register a rest-hook; notified when a pended request is decided
    GET/DELETE /Subscription/{id}
    POST /oauth/token         OAuth 2.0 client credentials (when authentication is on)

and, for tests, the admin API: /_admin/faults, /_admin/received, /_admin/duplicates,
/_admin/adjudications, /_admin/notifications, /_admin/decide_pended, /_admin/rules,
/_admin/expire_tokens, /_admin/tokens, /_admin/reset.

A second `$submit` with a Bundle identifier already seen is a duplicate: it gets the answer the
first one got (as it stands now), is counted, and is never adjudicated again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from tracker.packages.evidence import evidence_codes
from tracker.payers.fhir_elements import objects, text
from tracker.payers.sandbox.adjudication import PENDED, Adjudicator, end_review
from tracker.payers.sandbox.config import SandboxConfig
from tracker.payers.sandbox.faults import BEFORE_PROCESSING, Fault
from tracker.payers.sandbox.notifications import (
    concerns,
    deliver,
    notification_bundle,
    subscription_issues,
)
from tracker.payers.sandbox.request_checks import Issue, request_issues, unwrap
from tracker.payers.sandbox.responses import inquiry_parameters, operation_outcome, response_bundle
from tracker.payers.sandbox.rules import rules_from
from tracker.payers.sandbox.state import SandboxState, Submission, bundle_key
from tracker.payers.sandbox.tokens import is_authorized, issue_token

log = logging.getLogger("tracker.payers.sandbox")

FHIR_JSON = "application/fhir+json"


class DroppedResponse(Response):
    """Starts a 200 answer and stops mid-body: the server closes the connection under the client."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", FHIR_JSON.encode()), (b"content-length", b"4096")]})
        await send({"type": "http.response.body", "body": b'{"resourceType": "Bundle", "entry": [',
                    "more_body": True})


class Sandbox:
    """The payer's behaviour, apart from the HTTP plumbing."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.state = SandboxState.open(config.state_file)
        self.adjudicator = Adjudicator(config.rules)
        self.client: httpx.AsyncClient | None = None

    # -- $submit -------------------------------------------------------------------------------

    def submit(self, request: dict[str, Any]) -> tuple[Submission, bool]:
        """The submission for this request and whether it is a duplicate of an earlier one."""
        key = bundle_key(request)
        assert key is not None
        existing = self.state.submissions.get(key)
        if existing is not None:
            self.state.duplicates.append({"bundle_identifier": key, "number": existing.number,
                                          "at": self._now_text()})
            return existing, True
        claim = request["entry"][0]["resource"]
        now = self.config.clock()
        lines = self.adjudicator.decide(claim, evidence_codes(request), now)
        submission = Submission(key=key, number=self.state.new_number(self.config.rules.auth_number_prefix),
                                request=request, lines=lines, received_at=self._now_text(),
                                service_date=_service_date(request, now).isoformat())
        if not submission.pended:
            submission.decided_at = submission.received_at
        self.state.submissions[key] = submission
        self.state.adjudications.append({"bundle_identifier": key, "number": submission.number,
                                         "at": submission.received_at,
                                         "review_actions": [line.review_action for line in lines]})
        return submission, False

    def response_for(self, submission: Submission, inquiry: bool = False) -> dict[str, Any]:
        return response_bundle(
            submission.request, submission.request["entry"][0]["resource"], submission.lines,
            number=submission.number, created=submission.decided_at or submission.received_at,
            service_date=date.fromisoformat(submission.service_date),
            valid_days=self.config.rules.auth_valid_days, inquiry=inquiry)

    # -- pended requests -----------------------------------------------------------------------

    async def end_reviews(self, *, force: bool = False, key: str | None = None,
                          outcome: str | None = None) -> list[str]:
        """Decide the pended lines whose review is over (all of them when forced); notify."""
        now = self.config.clock()
        decided = []
        for submission in list(self.state.submissions.values()):
            if not submission.pended or (key is not None and key not in (
                    submission.key, submission.key.partition("|")[2])):
                continue
            due = [line for line in submission.lines if line.review_action == PENDED
                   and (force or (line.decide_at is not None and line.decide_at <= now))]
            if not due:
                continue
            submission.lines = [end_review(line, outcome) if line in due else line
                                for line in submission.lines]
            if not submission.pended:
                submission.decided_at = self._now_text()
            self.state.adjudications.append({
                "bundle_identifier": submission.key, "number": submission.number,
                "at": self._now_text(), "review_ended": True,
                "review_actions": [line.review_action for line in submission.lines]})
            decided.append(submission.key)
            self.state.save()
            await self.notify(submission)
        return decided

    async def notify(self, submission: Submission) -> None:
        for subscription in list(self.state.subscriptions.values()):
            if subscription.get("status") != "active" or not concerns(subscription, submission.request):
                continue
            subscription["_events"] = int(subscription.get("_events", 0)) + 1
            bundle = notification_bundle(_public(subscription), "event-notification",
                                         subscription["_events"], self.response_for(submission))
            self.state.notifications.append(await deliver(self._client(), subscription, bundle))
        self.state.save()

    async def subscribe(self, subscription: dict[str, Any]) -> dict[str, Any]:
        subscription = dict(subscription)
        subscription["id"] = f"sub-{len(self.state.subscriptions) + 1}"
        subscription["_events"] = 0
        handshake = await deliver(self._client(), subscription,
                                  notification_bundle(subscription, "handshake", 0, None))
        self.state.notifications.append(handshake)
        ok = 200 <= int(handshake.get("status_code") or 0) < 300
        subscription["status"] = "active" if ok else "error"
        if not ok:
            subscription["error"] = [{"text": "the handshake to the endpoint failed"}]
        self.state.subscriptions[subscription["id"]] = subscription
        self.state.save()
        return _public(subscription)

    def _client(self) -> httpx.AsyncClient:
        if self.client is None:
            self.client = httpx.AsyncClient(timeout=self.config.notification_timeout_seconds)
        return self.client

    def _now_text(self) -> str:
        return datetime.fromtimestamp(self.config.clock(), UTC).isoformat(timespec="seconds")

    def record(self, operation: str, key: str | None, outcome: str, fault: Fault | None = None) -> None:
        entry = {"operation": operation, "bundle_identifier": key, "outcome": outcome,
                 "at": self._now_text()}
        if fault is not None:
            entry["fault"] = fault.kind
        self.state.received.append(entry)
        self.state.save()


def create_app(config: SandboxConfig | None = None) -> FastAPI:
    sandbox = Sandbox(config or SandboxConfig())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        reviews = asyncio.create_task(_review_loop(sandbox))
        try:
            yield
        finally:
            reviews.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reviews
            if sandbox.client is not None:
                await sandbox.client.aclose()

    app = FastAPI(title="painauth payer sandbox (Da Vinci PAS 2.2.1)", lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.sandbox = sandbox

    @app.post("/Claim/$submit")
    async def submit(request: Request) -> Response:
        return await _pas_operation(sandbox, request, "$submit")

    @app.post("/Claim/$inquire")
    async def inquire(request: Request) -> Response:
        return await _pas_operation(sandbox, request, "$inquire")

    @app.post("/Subscription")
    async def subscribe(request: Request) -> Response:
        if not is_authorized(sandbox.config, sandbox.state, request.headers.get("authorization")):
            return _unauthorized()
        document = _json(await request.body())
        issues = subscription_issues(document)
        if issues:
            return _fhir(operation_outcome(issues), 400)
        created = await sandbox.subscribe(document)
        return _fhir(created, 201, {"Location": f"/Subscription/{created['id']}"})

    @app.get("/Subscription/{subscription_id}")
    async def subscription(subscription_id: str) -> Response:
        found = sandbox.state.subscriptions.get(subscription_id)
        if found is None:
            return _fhir(operation_outcome([("not-found", f"no Subscription {subscription_id}", None)]), 404)
        return _fhir(_public(found))

    @app.delete("/Subscription/{subscription_id}")
    async def unsubscribe(subscription_id: str) -> Response:
        sandbox.state.subscriptions.pop(subscription_id, None)
        sandbox.state.save()
        return Response(status_code=204)

    @app.post("/oauth/token")
    async def token(request: Request) -> Response:
        status, body = issue_token(sandbox.config, sandbox.state, await request.body(),
                                   request.headers.get("authorization"))
        return Response(json.dumps(body), status_code=status, media_type="application/json",
                        headers={"Cache-Control": "no-store"})

    _add_admin_routes(app, sandbox)
    return app


def _add_admin_routes(app: FastAPI, sandbox: Sandbox) -> None:
    state = sandbox.state

    @app.post("/_admin/faults")
    async def add_fault(request: Request) -> Response:
        try:
            fault = Fault.model_validate(_json(await request.body()))
        except ValidationError as err:
            return Response(json.dumps({"error": err.errors(include_url=False, include_context=False)},
                                       default=str), status_code=422, media_type="application/json")
        state.faults.append(fault)
        return _plain({"faults": [f.model_dump() for f in state.faults]})

    @app.get("/_admin/faults")
    async def faults() -> Response:
        return _plain({"faults": [f.model_dump() for f in state.faults]})

    @app.get("/_admin/received")
    async def received() -> Response:
        return _plain({"received": state.received})

    @app.get("/_admin/duplicates")
    async def duplicates() -> Response:
        return _plain({"duplicates": state.duplicates, "count": len(state.duplicates)})

    @app.get("/_admin/adjudications")
    async def adjudications() -> Response:
        return _plain({"adjudications": state.adjudications})

    @app.get("/_admin/notifications")
    async def notifications() -> Response:
        return _plain({"notifications": state.notifications})

    @app.post("/_admin/decide_pended")
    async def decide_pended(request: Request) -> Response:
        asked = _json(await request.body()) or {}
        if not isinstance(asked, dict) or asked.get("decision") not in (None, "approve", "deny"):
            return _plain({"error": "expected {\"bundle_identifier\"?: …, \"decision\"?: approve|deny}"}, 422)
        decided = await sandbox.end_reviews(force=True, key=asked.get("bundle_identifier"),
                                            outcome=asked.get("decision"))
        return _plain({"decided": decided})

    @app.get("/_admin/rules")
    async def rules() -> Response:
        return _plain(sandbox.config.rules.model_dump())

    @app.put("/_admin/rules")
    async def replace_rules(request: Request) -> Response:
        try:
            sandbox.config.rules = rules_from(_json(await request.body()), "rules")
        except Exception as err:  # SandboxRulesError, or a body that is not JSON
            return _plain({"error": str(err)}, 422)
        sandbox.adjudicator.rules = sandbox.config.rules
        return _plain(sandbox.config.rules.model_dump())

    @app.post("/_admin/expire_tokens")
    async def expire_tokens() -> Response:
        state.tokens.clear()
        return _plain({"tokens": 0})

    @app.get("/_admin/tokens")
    async def tokens() -> Response:
        return _plain({"issued": state.tokens_issued, "live": len(state.tokens)})

    @app.post("/_admin/reset")
    async def reset() -> Response:
        state.reset()
        return _plain({"reset": True})


async def _pas_operation(sandbox: Sandbox, request: Request, operation: str) -> Response:
    if not is_authorized(sandbox.config, sandbox.state, request.headers.get("authorization")):
        sandbox.record(operation, None, "unauthorized")
        return _unauthorized()
    fault = sandbox.state.take_fault(operation)
    body = await request.body()
    document = unwrap(_json(body))
    key = bundle_key(document) if isinstance(document, dict) else None
    if fault is not None and fault.kind in BEFORE_PROCESSING:
        sandbox.record(operation, key, f"fault:{fault.kind}", fault)
        return _fault_answer(fault)
    issues: list[Issue] = (request_issues(document, inquiry=operation == "$inquire") if body.strip()
                           else [("structure", "the body is empty: expected a PAS Bundle", None)])
    if document is _NOT_JSON:
        issues = [("structure", "the body is not JSON: expected a FHIR JSON PAS Bundle", None)]
    if issues:
        sandbox.record(operation, key, "invalid")
        return _fhir(operation_outcome(issues), 400)
    if operation == "$submit":
        submission, duplicate = sandbox.submit(document)
        sandbox.record(operation, key, "duplicate" if duplicate else "adjudicated", fault)
        answer = sandbox.response_for(submission)
    else:
        found = sandbox.state.find(document)
        sandbox.record(operation, key, f"found {len(found)}", fault)
        answer = inquiry_parameters([sandbox.response_for(s, inquiry=True) for s in found])
    if fault is not None:
        if fault.kind == "timeout":
            await asyncio.sleep(fault.delay)
        elif fault.kind == "malformed":
            return Response(b'{"resourceType": "Bundle", "entry": [{"resource": ', media_type=FHIR_JSON)
        elif fault.kind == "drop_after_receive":
            return DroppedResponse()
    return _fhir(answer)


async def _review_loop(sandbox: Sandbox) -> None:
    while True:
        await asyncio.sleep(sandbox.config.review_tick_seconds)
        try:
            await sandbox.end_reviews()
        except Exception:  # keep reviewing whatever one bad submission does
            log.exception("the sandbox could not end a review")


def _fault_answer(fault: Fault) -> Response:
    if fault.kind == "429":
        headers = {}
        if fault.retry_after is not None:
            later = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=fault.retry_after)
            headers["Retry-After"] = (format_datetime(later, usegmt=True) if fault.retry_after_as_date
                                      else str(int(round(fault.retry_after))))
        return _fhir(operation_outcome([("throttled", "too many requests; retry later", None)]), 429, headers)
    return _fhir(operation_outcome([("transient", "the payer system is unavailable", None)]), fault.status)


_NOT_JSON = object()


def _json(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return _NOT_JSON


def _service_date(request: dict[str, Any], now: float) -> date:
    claim = request["entry"][0]["resource"]
    for item in objects(claim.get("item")):
        served = text(item.get("servicedDate")) or text((item.get("servicedPeriod") or {}).get("start"))
        if served:
            with contextlib.suppress(ValueError):
                return date.fromisoformat(served[:10])
    return datetime.fromtimestamp(now, UTC).date()


def _public(subscription: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in subscription.items() if not k.startswith("_") or k in (
        "_criteria", "_payload")}


def _unauthorized() -> Response:
    return _fhir(operation_outcome([("login", "a valid bearer token is required", None)]), 401,
                 {"WWW-Authenticate": 'Bearer realm="sandbox"'})


def _fhir(resource: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(resource), status_code=status, media_type=FHIR_JSON, headers=headers)


def _plain(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body, default=str), status_code=status, media_type="application/json")
