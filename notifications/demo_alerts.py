"""Alerts for the demo: raise them and deliver them to the console/file outbox only, whatever
Twilio or SMTP settings the environment holds, and return what was sent."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from notifications.console import ConsoleOutbox
from notifications.dispatch import SentMessage, dispatch_alerts
from notifications.outbox import moment_of, queue_alerts
from notifications.settings import AlertSettings, load_alert_settings


def send_demo_alerts(engine: Engine, as_of: datetime | date, *, outbox: Path | None = None,
                     echo: bool = False,
                     settings: AlertSettings | None = None) -> list[SentMessage]:
    """Queue the alerts due at `as_of`, deliver them to the console outbox, return them."""
    base = settings or load_alert_settings()
    console_only = base.model_copy(update={
        "twilio_account_sid": None, "twilio_auth_token": None, "smtp_host": None,
        "outbox_dir": outbox or base.outbox_folder()})
    now = moment_of(as_of)
    queue_alerts(engine, now, console_only)
    channels = {"console": ConsoleOutbox(console_only.outbox_folder(), echo=echo)}
    return dispatch_alerts(engine, now, settings=console_only, channels=channels).sent
