"""Delivering the outbox: each due alert claimed, sent on its first channel that works, recorded.

Exactly once, precisely (docs/alerts.md says the same at more length):

1. An alert is *claimed* before anything is sent: one UPDATE moves it from queued/deferred to
   `sending` with a fresh claim token, and is committed. Only the run whose UPDATE matched sends.
2. A delivery row (`sending`) is committed *before* the provider is called; the provider's id
   (Twilio SID, SMTP Message-ID) is written to it after.
3. A dispatcher that dies between the send and the bookkeeping leaves the alert `sending` and the
   delivery `sending`. Once the claim is older than `alert_claim_seconds`, a later run reconciles:
   SMS asks Twilio for a message from our number to that number with the very same body (the body
   carries the alert's link, so it is unique); found means sent (its SID is recorded), not found
   means Twilio never accepted it, so sending it now cannot duplicate it. SMTP cannot be asked, so
   an interrupted email is marked `unknown` and is *not* sent again: at most once. The board shows
   it, and billing can send it again by hand.

So: at most once per channel for every send, and exactly once whenever the provider can be asked
(Twilio, the console outbox). Retries after a *reported* transient failure (Twilio 5xx/429 or no
connection, SMTP 4xx) are safe: the provider said it did not take the message.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, func, select, update
from sqlmodel import Session as DbSession
from sqlmodel import col

from notifications.channel import CannotTell, Channel
from notifications.channels import channels_from_settings
from notifications.digest import build_digests
from notifications.errors import PermanentFailure, SendFailure, TransientFailure
from notifications.messages import AlertContent, OutgoingMessage, message_for
from notifications.quiet_hours import in_quiet_hours, quiet_hours_end
from notifications.settings import AlertSettings, load_alert_settings
from tracker.store.migrating import require_current_schema
from tracker.store.tables import AlertDeliveryRow, AlertRow, ProviderRow

log = logging.getLogger("painauth.alerts")
SENT_STATES = ("sent", "delivered")
DEAD_STATES = ("failed", "undelivered")


@dataclass(frozen=True)
class SentMessage:
    alert_id: int
    kind: str
    channel: str
    to: str
    subject: str
    text: str
    external_id: str


@dataclass
class DispatchSummary:
    now: datetime
    sent: list[SentMessage] = field(default_factory=list)
    retrying: int = 0
    failed: int = 0
    deferred: int = 0
    reconciled: int = 0
    unknown: int = 0
    digests: int = 0
    channel_failures: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"now": self.now.isoformat(), "sent": len(self.sent), "retrying": self.retrying,
                "failed": self.failed, "deferred": self.deferred, "reconciled": self.reconciled,
                "unknown": self.unknown, "digests": self.digests,
                "by_channel": {c: sum(1 for s in self.sent if s.channel == c)
                               for c in sorted({s.channel for s in self.sent})}}


def dispatch_alerts(engine: Engine, now: datetime | None = None, *,
                    settings: AlertSettings | None = None,
                    channels: Mapping[str, Channel] | None = None) -> DispatchSummary:
    """Send every alert that is due at `now`: digests first gathered, abandoned sends reconciled."""
    settings = settings or load_alert_settings()
    channels = channels if channels is not None else channels_from_settings(settings)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    require_current_schema(engine)
    summary = DispatchSummary(now=now)
    summary.digests = len(build_digests(engine, now))
    Dispatcher(engine, now, settings, channels, summary).run()
    return summary


@dataclass
class Dispatcher:
    engine: Engine
    now: datetime
    settings: AlertSettings
    channels: Mapping[str, Channel]
    summary: DispatchSummary

    def run(self) -> None:
        self.reconcile_abandoned()
        for alert_id in self.due():
            token = self.claim(alert_id, ("queued", "deferred"))
            if token is not None:
                self.deliver(alert_id, token)

    # -- claiming ------------------------------------------------------------------------------

    def due(self) -> list[int]:
        with DbSession(self.engine) as db:
            return list(db.execute(
                select(col(AlertRow.id))
                .where(col(AlertRow.status).in_(("queued", "deferred")),
                       col(AlertRow.for_digest).is_(False),
                       (col(AlertRow.next_attempt_at).is_(None))
                       | (col(AlertRow.next_attempt_at) <= self.now))
                .order_by(col(AlertRow.urgency), col(AlertRow.id))).scalars())

    def claim(self, alert_id: int, statuses: tuple[str, ...],
              current_token: str | None = None) -> str | None:
        """Take the alert for this run: committed before anything is sent."""
        token = secrets.token_hex(16)
        condition = (col(AlertRow.claim_token) == current_token if current_token
                     else col(AlertRow.claim_token).is_(None))
        with DbSession(self.engine) as db:
            taken = cast(CursorResult[Any], db.execute(
                update(AlertRow)
                .where(col(AlertRow.id) == alert_id, col(AlertRow.status).in_(statuses), condition)
                .values(status="sending", claim_token=token, claimed_at=self.now,
                        updated_at=self.now))).rowcount
            db.commit()
        return token if taken == 1 else None

    def finish(self, alert_id: int, token: str, **values: Any) -> None:
        """Record the outcome and let go of the claim (only if it is still ours)."""
        values.setdefault("claim_token", None)
        with DbSession(self.engine) as db:
            changed = cast(CursorResult[Any], db.execute(
                update(AlertRow)
                .where(col(AlertRow.id) == alert_id, col(AlertRow.claim_token) == token)
                .values(updated_at=self.now, **values))).rowcount
            db.commit()
        if not changed:
            log.warning("alert %s was taken over by another dispatcher; its outcome stays theirs",
                        alert_id)

    # -- delivering ----------------------------------------------------------------------------

    def deliver(self, alert_id: int, token: str) -> None:
        while True:
            alert, provider, deliveries = self.load(alert_id)
            if any(d.status in SENT_STATES for d in deliveries):
                self.finish(alert_id, token, status="sent", sent_at=self.now)
                return
            channel = self.next_channel(alert, deliveries)
            if channel is None:
                last = deliveries[-1].error if deliveries else "no channel can reach the provider"
                self.finish(alert_id, token, status="failed", last_error=last)
                self.summary.failed += 1
                return
            if channel == "sms" and provider is not None and in_quiet_hours(
                    self.now, provider.quiet_hours_start, provider.quiet_hours_end,
                    provider.time_zone):
                assert provider.quiet_hours_end is not None
                self.finish(alert_id, token, status="deferred", next_attempt_at=quiet_hours_end(
                    self.now, provider.quiet_hours_end, provider.time_zone))
                self.summary.deferred += 1
                return
            message = self.message(alert, provider, channel)
            attempt = 1 + sum(1 for d in deliveries if d.channel == channel)
            if not message.to:
                self.record(alert_id, channel, attempt, "failed", "",
                            error=f"the provider has no {'phone number' if channel == 'sms' else 'address'}")
                continue
            delivery_id = self.record(alert_id, channel, attempt, "sending", message.to)
            try:
                external_id = self.channels[channel].send(message)
            except TransientFailure as failure:
                self.close(delivery_id, "retry", failure)
                if attempt < self.settings.alert_max_attempts:
                    self.retry_later(alert, token, attempt, failure)
                    return
                continue
            except PermanentFailure as failure:
                self.close(delivery_id, "failed", failure)
                self.summary.channel_failures.append(f"alert {alert_id} {channel}: {failure.detail}")
                continue
            self.close(delivery_id, "sent", external_id=external_id)
            self.finish(alert_id, token, status="sent", sent_at=self.now,
                        provider_message_id=external_id, attempts=alert.attempts + 1)
            self.summary.sent.append(SentMessage(alert_id, alert.kind, channel, message.to,
                                                 message.subject, message.text, external_id))
            return

    def next_channel(self, alert: AlertRow, deliveries: list[AlertDeliveryRow]) -> str | None:
        for channel in alert.channels:
            tried = [d for d in deliveries if d.channel == channel]
            if channel not in self.channels or any(d.status in DEAD_STATES for d in tried):
                continue
            if sum(1 for d in tried if d.status == "retry") >= self.settings.alert_max_attempts:
                continue
            return channel
        return None

    def retry_later(self, alert: AlertRow, token: str, attempt: int, failure: SendFailure) -> None:
        delay = min(self.settings.alert_backoff_seconds * 2 ** (attempt - 1),
                    self.settings.alert_backoff_max_seconds)
        self.finish(alert.id or 0, token, status="queued", attempts=alert.attempts + 1,
                    next_attempt_at=self.now + timedelta(seconds=delay), last_error=failure.detail)
        self.summary.retrying += 1

    # -- reconciling a crashed run -------------------------------------------------------------

    def reconcile_abandoned(self) -> None:
        cutoff = self.now - timedelta(seconds=self.settings.alert_claim_seconds)
        with DbSession(self.engine) as db:
            abandoned = list(db.execute(
                select(col(AlertRow.id), col(AlertRow.claim_token))
                .where(col(AlertRow.status) == "sending", col(AlertRow.claimed_at) <= cutoff)))
        for alert_id, old_token in abandoned:
            token = self.claim(alert_id, ("sending",), current_token=old_token)
            if token is not None:
                self.reconcile(alert_id, token)

    def reconcile(self, alert_id: int, token: str) -> None:
        alert, provider, deliveries = self.load(alert_id)
        for delivery in (d for d in deliveries if d.status == "sending"):
            channel = self.channels.get(delivery.channel)
            message = self.message(alert, provider, delivery.channel)
            try:
                if channel is None:
                    raise CannotTell(f"the {delivery.channel} channel is not configured now")
                found = channel.find_sent(message)
            except CannotTell:
                self.close(delivery.id or 0, "unknown", error="the dispatcher stopped while "
                           "sending; it may have arrived, so it is not sent again")
                self.finish(alert_id, token, status="unknown",
                            last_error=f"{delivery.channel} send interrupted: may or may not have "
                                       "arrived; not sent again (send it again from the board)")
                self.summary.unknown += 1
                return
            except SendFailure as failure:  # cannot ask now: try the reconciliation next run
                log.warning("alert %s: cannot reconcile yet: %s", alert_id, failure.detail)
                return
            if found is not None:
                self.close(delivery.id or 0, "sent", external_id=found,
                           error="recorded after an interrupted run: the provider had it")
                self.finish(alert_id, token, status="sent", sent_at=self.now,
                            provider_message_id=found, attempts=alert.attempts + 1)
                self.summary.reconciled += 1
                return
            self.close(delivery.id or 0, "retry",
                       error="interrupted before the provider took it; sent again")
        self.finish(alert_id, token, status="queued", next_attempt_at=None)

    # -- bookkeeping ---------------------------------------------------------------------------

    def load(self, alert_id: int) -> tuple[AlertRow, ProviderRow | None, list[AlertDeliveryRow]]:
        with DbSession(self.engine) as db:
            alert = db.get(AlertRow, alert_id)
            assert alert is not None
            provider = db.get(ProviderRow, alert.provider_id) if alert.provider_id else None
            deliveries = list(db.execute(
                select(AlertDeliveryRow).where(col(AlertDeliveryRow.alert_id) == alert_id)
                .order_by(col(AlertDeliveryRow.id))).scalars())
            db.expunge_all()
        return alert, provider, deliveries

    def message(self, alert: AlertRow, provider: ProviderRow | None,
                channel: str) -> OutgoingMessage:
        items: tuple[tuple[int, str, dict[str, Any]], ...] = ()
        if alert.kind == "digest":
            with DbSession(self.engine) as db:
                items = tuple((a.id or 0, a.kind, a.payload) for a in db.execute(
                    select(AlertRow).where(col(AlertRow.digest_id) == alert.id)
                    .order_by(col(AlertRow.id))).scalars())
        content = AlertContent(alert_id=alert.id or 0, kind=alert.kind, payload=alert.payload,
                               provider_name=provider.name if provider else "Billing",
                               items=items)
        if provider is not None:
            to = {"sms": provider.phone or "", "email": provider.email or "",
                  "console": provider.name}.get(channel, "")
        else:  # billing's own work (appeal deadlines): the billing office
            to = {"sms": self.settings.alert_billing_phone or "",
                  "email": self.settings.alert_billing_email or "",
                  "console": "billing"}.get(channel, "")
        return message_for(content, channel, to, alert.dedupe_key, self.settings.board_url)

    def record(self, alert_id: int, channel: str, attempt: int, status: str, recipient: str,
               error: str | None = None) -> int:
        with DbSession(self.engine) as db:
            row = AlertDeliveryRow(alert_id=alert_id, channel=channel, attempt=attempt,
                                   status=status, recipient=recipient[:254], error=error,
                                   created_at=self.now,
                                   finished_at=None if status == "sending" else self.now)
            db.add(row)
            db.commit()
            assert row.id is not None
            return row.id

    def close(self, delivery_id: int, status: str, failure: SendFailure | None = None, *,
              external_id: str | None = None, error: str | None = None) -> None:
        values: dict[str, Any] = {"status": status, "finished_at": self.now}
        if external_id is not None:
            values["external_id"] = external_id
        if failure is not None:
            values.update(error=failure.detail, error_code=failure.code)
        elif error is not None:
            values["error"] = error
        with DbSession(self.engine) as db:
            db.execute(update(AlertDeliveryRow).where(col(AlertDeliveryRow.id) == delivery_id)
                       .values(**values))
            db.commit()


def count_by_status(engine: Engine) -> dict[str, int]:
    with DbSession(engine) as db:
        return {status: n for status, n in db.execute(
            select(col(AlertRow.status), func.count()).group_by(col(AlertRow.status)))}
