"""The outbox: each alert written once, a changed state written anew, digests held back."""

from __future__ import annotations

from datetime import UTC, date, datetime

from practice import AS_OF, add_provider, add_visit, set_authorization
from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from notifications.outbox import queue_alerts
from notifications.settings import AlertSettings
from tracker.store.tables import AlertRow

SETTINGS = AlertSettings(_env_file=None)  # type: ignore[call-arg]


def _alerts(engine: Engine) -> list[AlertRow]:
    with DbSession(engine) as db:
        return list(db.execute(select(AlertRow).order_by(col(AlertRow.id))).scalars())


def test_raising_alerts_again_writes_nothing_new(engine: Engine) -> None:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893")
    add_visit(engine, provider, "SYN-1001", date(2026, 12, 3), auth={"status": "pended"})
    first = queue_alerts(engine, AS_OF, SETTINGS)
    again = [queue_alerts(engine, AS_OF, SETTINGS).new for _ in range(2)]
    assert (first.new, again) == (1, [0, 0])
    assert [a.dedupe_key for a in _alerts(engine)] == ["auth_pending:session:1:not_approved"]


def test_a_denial_after_pending_is_a_new_alert(engine: Engine) -> None:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893")
    session = add_visit(engine, provider, "SYN-1001", date(2026, 12, 3), auth={"status": "pended"})
    queue_alerts(engine, AS_OF, SETTINGS)
    set_authorization(engine, session, status="denied")
    summary = queue_alerts(engine, AS_OF, SETTINGS)
    assert dict(summary.new_by_kind) == {"auth_denied": 1}
    assert [a.kind for a in _alerts(engine)] == ["auth_pending", "auth_denied"]


def test_without_twilio_or_smtp_every_alert_goes_to_the_console_outbox(engine: Engine) -> None:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893", channels=("sms", "email"))
    add_visit(engine, provider, "SYN-1001", date(2026, 12, 3), auth={"status": "denied"})
    queue_alerts(engine, AS_OF, SETTINGS)
    assert [a.channels for a in _alerts(engine)] == [["console"]]


def test_digest_providers_low_urgency_alerts_wait_for_the_digest_hour(engine: Engine) -> None:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893", digest=True)
    add_visit(engine, provider, "SYN-1001", date(2026, 12, 10),
              findings=("FREQUENCY_LIMIT_APPROACHING",),
              auth={"status": "approved", "valid_to": date(2027, 1, 31)})
    queue_alerts(engine, AS_OF, SETTINGS)
    [alert] = _alerts(engine)
    assert (alert.status, alert.for_digest) == ("deferred", True)
    due = alert.next_attempt_at
    assert due is not None
    assert due.replace(tzinfo=UTC) == datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # 07:00 Chicago


def test_a_visit_without_a_provider_is_counted_not_queued(engine: Engine) -> None:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893")
    session = add_visit(engine, provider, "SYN-1001", date(2026, 12, 3), auth={"status": "denied"})
    from sqlalchemy import update

    from tracker.store.tables import SessionRow
    with DbSession(engine) as db:
        db.execute(update(SessionRow).where(col(SessionRow.id) == session).values(provider_id=None))
        db.commit()
    summary = queue_alerts(engine, AS_OF, SETTINGS)
    assert (summary.new, summary.without_provider) == (0, 1)
