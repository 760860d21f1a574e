"""The payer sandbox over real HTTP on loopback, and PAS gateways pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tracker.payers.endpoints import PayerEndpoint
from tracker.payers.pas_gateway import PasGateway
from tracker.payers.sandbox import SandboxConfig, create_app
from tracker.payers.sandbox.rules import rules_from

from .sandbox_server import serving

# What the tests' payer decides, line by line (first match wins).
TEST_RULES: dict[str, Any] = {
    "lines": [
        {"codes": ["20553"], "decision": "deny", "reason": "Trigger point injections are not covered"},
        {"codes": ["64636"], "requires": ["diagnostic-blocks"], "max_units": 1},
        {"codes": ["64480"], "decision": "modify", "authorized_code": "64479"},
        {"families": ["esi", "facet_injection", "si_injection"], "requires": ["conservative-therapy"]},
        {"families": ["facet_rfa", "si_rfa"], "requires": ["diagnostic-blocks"]},
        {"codes": ["63650"], "requires": ["psych-evaluation"], "decision": "pend", "pend_seconds": 0.3,
         "then": "approve"},
        {"codes": ["63685"], "decision": "pend", "pend_seconds": 3600, "then": "approve"},
    ],
    "auth_valid_days": 90,
}
READ_TIMEOUT = 0.5


@dataclass
class Payer:
    """The running sandbox: its base URL and a client for its admin API."""

    url: str
    admin: httpx.Client

    def get(self, path: str) -> Any:
        response = self.admin.get(path)
        response.raise_for_status()
        return response.json()

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.admin.post(path, json=body or {})
        response.raise_for_status()
        return response.json()

    def fault(self, **fault: Any) -> None:
        self.post("/_admin/faults", fault)

    def received(self, key: str | None = None, operation: str = "$submit") -> list[dict[str, Any]]:
        return [r for r in self.get("/_admin/received")["received"]
                if r["operation"] == operation and (key is None or r["bundle_identifier"] == key)]

    def adjudications(self, key: str) -> list[dict[str, Any]]:
        return [a for a in self.get("/_admin/adjudications")["adjudications"]
                if a["bundle_identifier"] == key and not a.get("review_ended")]


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Payer]:
    config = SandboxConfig(rules=rules_from(TEST_RULES), review_tick_seconds=0.05)
    with serving(create_app(config)) as url, httpx.Client(base_url=url, timeout=5) as admin:
        yield Payer(url=url, admin=admin)


@pytest.fixture
def payer(sandbox: Payer) -> Payer:
    """The session's sandbox, emptied: no submissions, faults or subscriptions; the test rules."""
    sandbox.post("/_admin/reset")
    sandbox.admin.put("/_admin/rules", json=TEST_RULES).raise_for_status()
    return sandbox


def endpoint_for(url: str, **settings: Any) -> PayerEndpoint:
    defaults: dict[str, Any] = {"payer": "sandbox", "base_url": url, "connect_timeout": 0.5,
                                "read_timeout": READ_TIMEOUT, "max_attempts": 3,
                                "backoff_seconds": 0.01, "max_backoff_seconds": 0.05}
    return PayerEndpoint(**{**defaults, **settings})


@pytest.fixture
def gateway(payer: Payer) -> Iterator[PasGateway]:
    with PasGateway(endpoint_for(payer.url)) as opened:
        yield opened
