"""Send alerts, step one: turn the upcoming visits' states into alerts in the outbox, each once."""

from __future__ import annotations

from datetime import UTC, datetime

from prefect import flow

from flows.run_names import dated
from notifications.outbox import queue_alerts
from tracker.settings import load_settings
from tracker.store.database import connect


@flow(name="send-alerts", flow_run_name=dated("send-alerts"), log_prints=True)
def send_alerts(as_of: datetime | None = None) -> dict[str, object]:
    """Raise the alerts of every visit in the horizon and queue the ones not queued before."""
    engine = connect(load_settings().resolved_database_url())
    try:
        summary = queue_alerts(engine, as_of or datetime.now(UTC))
    finally:
        engine.dispose()
    print(f"alerts at {summary.as_of:%Y-%m-%d %H:%M} UTC: {summary.visits} visits, "
          f"{summary.raised} alerts apply, {summary.new} new {dict(summary.new_by_kind)}")
    return summary.as_json()
