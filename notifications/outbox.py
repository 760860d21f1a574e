"""Raising alerts: the rules over every upcoming visit, each alert written to the outbox once.

`queue_alerts` is the one service the `send-alerts` flow, `painauth alerts send` and the demo
share. The outbox's dedupe key (kind:subject:state) is unique, and a row is only ever inserted
with ON CONFLICT DO NOTHING, so any number of runs, even concurrent ones, write each alert once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session as DbSession
from sqlmodel import col

from notifications.channel_plan import channel_plan
from notifications.deadlines import deadline_rows
from notifications.quiet_hours import next_digest_time
from notifications.rules import AlertDraft, AlertThresholds, alerts_for
from notifications.settings import AlertSettings, load_alert_settings
from notifications.visit_facts import billing_review_facts, visit_facts
from tracker.store.migrating import require_current_schema
from tracker.store.tables import AlertRow, ProviderRow, utc_now

REVIEW_DAYS = 30  # how far back a billing-review flag still raises its alert


@dataclass
class QueueSummary:
    as_of: datetime
    visits: int = 0
    raised: int = 0
    new: int = 0
    without_provider: int = 0
    new_by_kind: Counter[str] = field(default_factory=Counter)

    def as_json(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "visits": self.visits, "raised": self.raised,
                "new": self.new, "without_provider": self.without_provider,
                "new_by_kind": dict(self.new_by_kind)}


def mrn_tail(mrn: str) -> str:
    """The short reference a text may carry instead of a patient: "...1042" (ASCII, so a text
    stays in the GSM alphabet)."""
    return "..." + mrn[-4:]


def queue_alerts(engine: Engine, as_of: datetime | date,
                 settings: AlertSettings | None = None) -> QueueSummary:
    """Raise the alerts of every visit in the horizon, and billing's appeal-deadline alerts
    (notifications.deadlines), at `as_of` and queue the new ones."""
    settings = settings or load_alert_settings()
    now = moment_of(as_of)
    require_current_schema(engine)
    thresholds = AlertThresholds(auth_pending_days=settings.alert_auth_pending_days,
                                 low_urgency=frozenset(settings.alert_low_urgency))
    summary = QueueSummary(as_of=now)
    facts = visit_facts(engine, now.date(), settings.alert_horizon_days)
    summary.visits = len(facts)
    facts += billing_review_facts(engine, now.date() - timedelta(days=REVIEW_DAYS))
    drafts = [d for visit in facts for d in alerts_for(visit, now, thresholds)]
    summary.raised = len(drafts)
    with DbSession(engine) as db:
        providers = {p.id: p for p in db.execute(select(ProviderRow)).scalars()}
        known = _known_keys(db, [d.dedupe_key for d in drafts])
        for draft in drafts:
            if draft.dedupe_key in known:
                continue
            provider = providers.get(draft.visit.provider_id)
            if provider is None:
                summary.without_provider += 1
                continue
            if _insert(db, _row(draft, provider, settings, now)):
                summary.new += 1
                summary.new_by_kind[draft.kind] += 1
            known.add(draft.dedupe_key)
        deadlines = deadline_rows(engine, now, settings)
        summary.raised += len(deadlines)
        known |= _known_keys(db, [row["dedupe_key"] for row in deadlines])
        for row in deadlines:
            if row["dedupe_key"] not in known and _insert(db, row):
                summary.new += 1
                summary.new_by_kind[row["kind"]] += 1
        db.commit()
    return summary


def _row(draft: AlertDraft, provider: ProviderRow, settings: AlertSettings,
         now: datetime) -> dict[str, Any]:
    visit = draft.visit
    for_digest = provider.digest and draft.urgency == "low"
    return {
        "dedupe_key": draft.dedupe_key, "kind": draft.kind, "subject": visit.subject,
        "state": draft.state, "provider_id": provider.id, "session_id": visit.session_id,
        "urgency": draft.urgency, "channels": channel_plan(provider, settings),
        "for_digest": for_digest, "digest_id": None,
        "payload": {
            "ref": mrn_tail(visit.mrn), "patient_id": visit.patient_id,
            "session_id": visit.session_id, "date": visit.date.isoformat(), "codes": visit.codes,
            "payer": visit.payer, "counters": list(visit.counters),
            "next_eligible_date": visit.next_eligible_date, "auth_status": visit.auth_status,
            **draft.details,
        },
        "status": "deferred" if for_digest else "queued", "attempts": 0,
        "next_attempt_at": (next_digest_time(now, settings.alert_digest_hour, provider.time_zone)
                            if for_digest else None),
        "created_at": now, "updated_at": now,
    }


def _insert(db: Any, values: dict[str, Any]) -> bool:
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(AlertRow).values(**values)
                 .on_conflict_do_nothing(index_elements=["dedupe_key"]))
    return bool(db.execute(statement).rowcount)


def _known_keys(db: Any, keys: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(keys), 900):
        chunk = keys[start:start + 900]
        known.update(db.execute(select(col(AlertRow.dedupe_key))
                                .where(col(AlertRow.dedupe_key).in_(chunk))).scalars())
    return known


def moment_of(as_of: datetime | date) -> datetime:
    if isinstance(as_of, datetime):
        return as_of.astimezone(UTC) if as_of.tzinfo else as_of.replace(tzinfo=UTC)
    if as_of == utc_now().date():
        return utc_now()
    return datetime(as_of.year, as_of.month, as_of.day, 12, tzinfo=UTC)
