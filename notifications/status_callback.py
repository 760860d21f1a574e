"""Twilio's status callbacks: what the carrier finally did with a text.

Twilio signs each callback (X-Twilio-Signature, HMAC-SHA1 of the URL and the form parameters with
the account's auth token); `RequestValidator` checks it, so nobody else can mark a text delivered.
A text the carrier could not deliver counts as a permanent SMS failure: the alert goes back to the
queue and the dispatcher falls back to the next channel (email).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from sqlmodel import col
from twilio.request_validator import RequestValidator

from tracker.store.tables import AlertDeliveryRow, AlertRow, utc_now

FINAL = {"delivered": "delivered", "undelivered": "undelivered", "failed": "undelivered"}


def signature_is_valid(auth_token: str | None, url: str, params: Mapping[str, str],
                       signature: str | None) -> bool:
    if not auth_token or not signature:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))


def record_status(engine: Engine, message_sid: str, status: str, error_code: str | None) -> bool:
    """Apply a final status to the delivery with this SID; False when there is no such delivery."""
    final = FINAL.get(status)
    with DbSession(engine) as db:
        delivery = db.execute(select(AlertDeliveryRow).where(
            col(AlertDeliveryRow.external_id) == message_sid,
            col(AlertDeliveryRow.channel) == "sms")).scalars().first()
        if delivery is None:
            return False
        if final is None or delivery.status == final:
            return True
        now = utc_now()
        delivery.status = final
        delivery.finished_at = now
        if final == "undelivered":
            delivery.error_code = error_code or delivery.error_code
            delivery.error = f"the carrier did not deliver the text (Twilio {status}" + (
                f", error {error_code})" if error_code else ")")
            alert = db.get(AlertRow, delivery.alert_id)
            if alert is not None and alert.status == "sent" and alert.channels.index("sms") < len(
                    alert.channels) - 1:
                alert.status, alert.next_attempt_at, alert.updated_at = "queued", None, now
                alert.last_error = delivery.error
                db.add(alert)
        db.add(delivery)
        db.commit()
    return True
