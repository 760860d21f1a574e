"""What the demo runs beside the flows, all on loopback: the payer sandbox standing in for the
payers' PAS endpoints, and the board's notification endpoint receiving their rest-hooks."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine

from tracker.payers.endpoints import PayerEndpoint, env_name
from tracker.payers.subscription import subscribe_to_decisions
from tracker.web.local_server import serving

PAS_PAYERS = ("medicare", "aetna", "cigna")
MANUAL_PAYERS = ("unitedhealthcare",)  # reached by fax: the packet is handed to staff
PEND_SECONDS = 2.0

# How the demo's payers decide, line by line (first match wins): evidence required per family,
# one RFA joint approved of several, stimulator requests pended, then approved.
DEMO_RULES: dict[str, Any] = {
    "lines": [
        {"codes": ["63650", "63655", "63685"], "requires": ["psych-evaluation"],
         "decision": "pend", "pend_seconds": PEND_SECONDS, "then": "approve"},
        {"codes": ["64636", "64634"], "requires": ["diagnostic-blocks"], "max_units": 1},
        {"families": ["facet_rfa", "si_rfa"], "requires": ["diagnostic-blocks"]},
        {"families": ["esi", "facet_injection", "si_injection"],
         "requires": ["conservative-therapy"]},
    ],
    "auth_valid_days": 60,
}


@contextmanager
def payer_sandbox() -> Iterator[str]:
    from tracker.payers.sandbox import SandboxConfig, create_app
    from tracker.payers.sandbox.rules import rules_from

    app = create_app(SandboxConfig(rules=rules_from(DEMO_RULES, "demo rules"),
                                   review_tick_seconds=0.2))
    with serving(app) as url:
        yield url


@contextmanager
def notification_endpoint(engine: Engine) -> Iterator[tuple[str, str]]:
    """The board app (for its /payer-notifications endpoint); yields its URL and the token."""
    from tracker.web.app import create_app

    with serving(create_app(engine, secrets.token_urlsafe(32))) as url:
        yield url, secrets.token_urlsafe(24)


def payer_settings(sandbox_url: str) -> dict[str, str]:
    settings = {env_name(p, "URL"): sandbox_url for p in PAS_PAYERS}
    settings |= {env_name(p, "CHANNEL"): "manual" for p in MANUAL_PAYERS}
    # a fictitious utilization-review fax line (555-01xx numbers are reserved for fiction)
    settings |= {env_name(p, "FAX"): "+1 555 0100 0142" for p in MANUAL_PAYERS}
    return settings


# The demo practice as payers know it: synthetic, with reserved fictitious numbers.
PRACTICE_IDENTITY = {
    "PAINAUTH_PRACTICE_NAME": "Lakeside Spine & Pain Associates (synthetic)",
    "PAINAUTH_PRACTICE_ADDRESS": "200 Example Road NE, Suite 300, Albuquerque, NM 87101",
    "PAINAUTH_PRACTICE_PHONE": "+1 555 0100 0100",
    "PAINAUTH_PRACTICE_FAX": "+1 555 0100 0101",
    "PAINAUTH_PRACTICE_TAX_ID": "00-0000000",
    "PAINAUTH_PRACTICE_NPI": "1234567893",
}


def decide_pended_reviews(sandbox_url: str) -> list[str]:
    """The payer ends its reviews of the pended requests now (as it would in a day or two) and
    notifies before it answers: the follow-up flow that runs next finds every decision, with no
    wait on a clock. The bundle identifiers decided."""
    import httpx

    answer = httpx.post(f"{sandbox_url}/_admin/decide_pended", json={}, timeout=120)
    answer.raise_for_status()
    decided: list[str] = answer.json()["decided"]
    return decided


def subscribe_payers(sandbox_url: str, board_url: str, token: str) -> None:
    """One subscription: the sandbox answers for every PAS payer, like a clearinghouse."""
    subscribe_to_decisions(PayerEndpoint(payer="sandbox", base_url=sandbox_url),
                           f"{board_url}/payer-notifications/sandbox", token)


def record_one_fax_send(engine: Engine) -> int | None:
    """Billing faxes the packet handed to staff whose visit is furthest off (so the payer's clock
    ends before it) and records the send with its confirmation: the demo shows both a request
    waiting on a fax payer and packets still to send."""
    from sqlmodel import Session as DbSession
    from sqlmodel import col, select

    from tracker.authorizations.manual_entry import PACKET_READY, record_manual_submission
    from tracker.store.tables import AuthorizationRow, SessionRow

    with DbSession(engine) as db:
        handed = [a.id for a, _ in db.exec(
            select(AuthorizationRow, SessionRow)
            .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
            .where(AuthorizationRow.status == "submitted")
            .order_by(col(SessionRow.date).desc(), col(AuthorizationRow.id)))
            if PACKET_READY in (a.flags or [])]
    if not handed or handed[0] is None:
        return None
    record_manual_submission(engine, handed[0], actor="demo.billing", channel="fax",
                             reference="FAX-DEMO-0001")
    return handed[0]
