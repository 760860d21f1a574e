"""The daily digest: a provider who asked for one gets their low-urgency alerts together, once a
day at the digest hour in their own time zone, as one outbox row of kind `digest` that the
dispatcher delivers like any alert. The alerts it gathers become `digested`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlmodel import Session as DbSession
from sqlmodel import col

from notifications.channel_plan import digest_plan
from notifications.quiet_hours import local_day
from tracker.store.tables import AlertRow, ProviderRow


def build_digests(engine: Engine, now: datetime) -> list[int]:
    """Gather every provider's due digest alerts into one digest row each; the new rows' ids."""
    made: list[int] = []
    with DbSession(engine) as db:
        waiting = list(db.execute(
            select(AlertRow).where(col(AlertRow.for_digest), col(AlertRow.status) == "deferred",
                                   col(AlertRow.next_attempt_at) <= now)
            .order_by(col(AlertRow.provider_id), col(AlertRow.id))).scalars())
        by_provider: dict[int, list[AlertRow]] = {}
        for alert in waiting:
            if alert.provider_id is not None:
                by_provider.setdefault(alert.provider_id, []).append(alert)
        for provider_id, alerts in by_provider.items():
            provider = db.get(ProviderRow, provider_id)
            if provider is None:
                continue
            day = local_day(now, provider.time_zone)
            digest = AlertRow(
                dedupe_key=f"digest:provider:{provider_id}:{day}:{alerts[0].id}", kind="digest",
                subject=f"provider:{provider_id}", state=day, provider_id=provider_id,
                urgency="low", channels=digest_plan(list(alerts[0].channels)),
                payload={"day": day, "alerts": [a.id for a in alerts]}, status="queued",
                created_at=now, updated_at=now)
            db.add(digest)
            db.flush()
            db.execute(update(AlertRow)
                       .where(col(AlertRow.id).in_([a.id for a in alerts]),
                              col(AlertRow.status) == "deferred")
                       .values(status="digested", digest_id=digest.id, updated_at=now))
            assert digest.id is not None
            made.append(digest.id)
        db.commit()
    return made
