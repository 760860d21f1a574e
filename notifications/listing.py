"""The alerts as the board lists them: what was raised, for whom, and what became of each send."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select, update
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.store.tables import AlertDeliveryRow, AlertRow, ProviderRow, utc_now

KIND_WORDS = {
    "limit_approaching": "last allowed session", "limit_reached": "over the limit",
    "auth_pending": "authorization not approved", "auth_denied": "authorization denied",
    "auth_expires_before_visit": "approval ends before the visit",
    "documentation_missing": "documentation missing", "decision_overdue": "decision overdue",
    "coding_error": "codes to correct", "billing_review": "billed beyond the approval",
    "appeal_deadline": "appeal deadline near", "digest": "daily digest",
}
CHANNEL_WORDS = {"sms": "SMS", "email": "email", "console": "console"}


@dataclass(frozen=True)
class DeliveryLine:
    channel: str
    status: str
    error_code: str | None
    error: str | None

    def describe(self) -> str:
        words = f"{CHANNEL_WORDS.get(self.channel, self.channel)} {self.status}"
        if self.status in ("failed", "undelivered", "retry", "unknown") and (
                self.error_code or self.error):
            words += f" ({self.error_code + ': ' if self.error_code else ''}{self.error or ''})"
        return words


@dataclass(frozen=True)
class AlertLine:
    id: int
    kind: str
    kind_words: str
    provider: str
    reference: str
    visit_date: str | None
    patient_id: int | None
    urgency: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    deliveries: tuple[DeliveryLine, ...]

    @property
    def channel_failed(self) -> bool:
        return any(d.status in ("failed", "undelivered", "unknown") for d in self.deliveries)


def alert_lines(engine: Engine, *, status: str | None = None, limit: int = 300,
                provider_id: int | None = None, before: int | None = None) -> list[AlertLine]:
    """The newest alerts first (those older than alert `before`, for a page after the first),
    with every delivery attempt; with `provider_id`, only the alerts addressed to that
    provider."""
    query = (select(AlertRow, ProviderRow)
             .outerjoin(ProviderRow, col(ProviderRow.id) == col(AlertRow.provider_id))
             .order_by(col(AlertRow.id).desc()).limit(limit))
    if status:
        query = query.where(col(AlertRow.status) == status)
    if provider_id is not None:
        query = query.where(col(AlertRow.provider_id) == provider_id)
    if before is not None:
        query = query.where(col(AlertRow.id) < before)
    with DbSession(engine) as db:
        rows = db.execute(query).all()
        ids = [a.id for a, _ in rows]
        deliveries: dict[int, list[DeliveryLine]] = {}
        for d in db.execute(select(AlertDeliveryRow)
                            .where(col(AlertDeliveryRow.alert_id).in_(ids))
                            .order_by(col(AlertDeliveryRow.id))).scalars():
            deliveries.setdefault(d.alert_id, []).append(
                DeliveryLine(d.channel, d.status, d.error_code, d.error))
    return [AlertLine(
        id=a.id, kind=a.kind, kind_words=KIND_WORDS.get(a.kind, a.kind),
        provider=p.name if p else "", reference=a.payload.get("ref", ""),
        visit_date=a.payload.get("date"), patient_id=a.payload.get("patient_id"),
        urgency=a.urgency, status=a.status, attempts=a.attempts,
        next_attempt_at=a.next_attempt_at, last_error=a.last_error, created_at=a.created_at,
        deliveries=tuple(deliveries.get(a.id, ()))) for a, p in rows]


def provider_of_alert(engine: Engine, alert_id: int) -> int | None:
    """The provider an alert is addressed to (None: no such alert, or the practice's own)."""
    with DbSession(engine) as db:
        alert = db.get(AlertRow, alert_id)
        return alert.provider_id if alert is not None else None


def landing_of_alert(engine: Engine, alert_id: int) -> str | None:
    """The board page an alert's link opens: the authorization's denial steps for an appeal
    deadline, else the patient's page; None when the alert names neither."""
    with DbSession(engine) as db:
        alert = db.get(AlertRow, alert_id)
        if alert is None:
            return None
        authorization = alert.payload.get("authorization_id")
        if alert.kind == "appeal_deadline" and isinstance(authorization, int):
            return f"/authorizations/{authorization}#denial"
        patient = alert.payload.get("patient_id")
        return f"/patients/{patient}" if isinstance(patient, int) else None


def alert_count(engine: Engine, *, status: str | None = None,
                provider_id: int | None = None) -> int:
    query = select(func.count()).select_from(AlertRow)
    if status:
        query = query.where(col(AlertRow.status) == status)
    if provider_id is not None:
        query = query.where(col(AlertRow.provider_id) == provider_id)
    with DbSession(engine) as db:
        return int(db.execute(query).scalar_one())


def patient_of_alert(engine: Engine, alert_id: int) -> int | None:
    with DbSession(engine) as db:
        alert = db.get(AlertRow, alert_id)
        if alert is None:
            return None
        patient = alert.payload.get("patient_id")
        return patient if isinstance(patient, int) else None


def send_again(engine: Engine, alert_id: int) -> bool:
    """Queue again an alert whose send was interrupted (`unknown`): a person checked that it did
    not arrive. The interrupted delivery stays in the record, marked as retried."""
    with DbSession(engine) as db:
        alert = db.get(AlertRow, alert_id)
        if alert is None or alert.status != "unknown":
            return False
        db.execute(update(AlertDeliveryRow)
                   .where(col(AlertDeliveryRow.alert_id) == alert_id,
                          col(AlertDeliveryRow.status) == "unknown")
                   .values(status="retry", error="interrupted send; sent again by hand"))
        alert.status, alert.next_attempt_at, alert.updated_at = "queued", None, utc_now()
        db.add(alert)
        db.commit()
    return True
