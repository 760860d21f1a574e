"""The audit trail of what people change on the board: who, when, what, on which subject.

Authorization status changes keep their own event rows (authorization_events); this trail holds
every change a signed-in person makes, those included, so one list answers "who did that?".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.store.tables import AuditEventRow, utc_now


@dataclass(frozen=True)
class AuditEvent:
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


def record_audit(engine: Engine, actor: str, action: str, subject: str,
                 detail: dict[str, Any] | None = None) -> None:
    with DbSession(engine) as db:
        db.add(AuditEventRow(at=utc_now(), actor=actor[:64], action=action[:64],
                             subject=subject[:100], detail=detail or {}))
        db.commit()


def audit_trail(engine: Engine, limit: int = 500) -> list[AuditEvent]:
    """The latest events first."""
    with DbSession(engine) as db:
        rows = db.execute(select(AuditEventRow).order_by(col(AuditEventRow.id).desc())
                          .limit(limit)).scalars()
        return [AuditEvent(r.id, r.at, r.actor, r.action, r.subject, dict(r.detail))
                for r in rows]
