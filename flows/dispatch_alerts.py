"""Send alerts, step two: deliver the outbox by SMS, email or the console outbox, exactly once.

Retries and backoff live in the outbox (next_attempt_at), not in Prefect task retries: a retry must
go through the same claim as the first send so a crash can never double it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow

from flows.run_names import dated
from notifications.dispatch import dispatch_alerts as deliver_outbox
from tracker.settings import load_settings
from tracker.store.database import connect


@flow(name="dispatch-alerts", flow_run_name=dated("dispatch-alerts"), log_prints=True)
def dispatch_alerts(now: datetime | None = None) -> dict[str, object]:
    """Send every alert that is due, honouring quiet hours, digests and backoff."""
    engine = connect(load_settings().resolved_database_url())
    try:
        summary = deliver_outbox(engine, now or datetime.now(UTC))
    finally:
        engine.dispose()
    for failure in summary.channel_failures:
        print(f"channel failure: {failure}")
    print(f"dispatch at {summary.now:%Y-%m-%d %H:%M} UTC: {summary.as_json()}")
    return summary.as_json()
