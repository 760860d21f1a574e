"""The payer sandbox the submission tests send to, over real HTTP on loopback, and a client for
its admin endpoints (what it received, adjudicated and counted as duplicates)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from payers.sandbox_server import serving

from tracker.payers.sandbox import SandboxConfig, create_app
from tracker.payers.sandbox.rules import rules_from


class Sandbox:
    def __init__(self, url: str, admin: httpx.Client, rules: dict[str, Any]) -> None:
        self.url, self.admin, self.rules = url, admin, rules

    def post(self, path: str, body: Any = None) -> Any:
        return self.admin.post(path, json=body or {}).raise_for_status().json()

    def reset(self) -> Sandbox:
        """Forget every request and put the test module's rules back."""
        self.post("/_admin/reset")
        self.admin.put("/_admin/rules", json=self.rules).raise_for_status()
        return self

    def submits(self) -> list[dict[str, Any]]:
        return [r for r in self.admin.get("/_admin/received").json()["received"]
                if r["operation"] == "$submit"]

    def submits_received(self) -> int:
        return len(self.submits())

    def adjudicated(self) -> list[str]:
        """The bundle identifiers adjudicated (`painauth-auth<ID>-<N>`), in order."""
        return [a["bundle_identifier"].rsplit("|", 1)[-1] for a in
                self.admin.get("/_admin/adjudications").json()["adjudications"]]

    def duplicates(self) -> int:
        return len(self.admin.get("/_admin/duplicates").json()["duplicates"])


@contextmanager
def running_sandbox(rules: dict[str, Any]) -> Iterator[Sandbox]:
    app = create_app(SandboxConfig(rules=rules_from(rules), review_tick_seconds=0.05))
    with serving(app) as url, httpx.Client(base_url=url, timeout=10) as admin:
        yield Sandbox(url, admin, rules)
