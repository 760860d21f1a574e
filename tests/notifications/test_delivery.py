"""Delivering alerts: one message per alert however often the flows run, retries that never
double a message, the email fallback, quiet hours, the daily digest, and a crash mid-send."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import fake_twilio
import pytest
import smtp_server
from practice import AS_OF, add_provider, add_visit
from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from flows.dispatch_alerts import dispatch_alerts as dispatch_flow
from flows.send_alerts import send_alerts as send_flow
from notifications.dispatch import dispatch_alerts
from notifications.listing import alert_lines
from notifications.outbox import queue_alerts
from notifications.settings import AlertSettings
from tracker.store.tables import AlertRow

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
SMS_PHONE = "+15555550101"
EMAIL_ONLY = "fictional.provider@example.org"


def _statuses(engine: Engine) -> dict[str, str]:
    with DbSession(engine) as db:
        return {a.kind: a.status for a in db.execute(select(AlertRow)).scalars()}


def _two_providers(engine: Engine) -> tuple[int, int]:
    texting = add_provider(engine, "Dr. Synthia Example", "1234567893", channels=("sms", "email"))
    emailing = add_provider(engine, "Dr. Fictional Provider", "1987654328", phone=None,
                            email=EMAIL_ONLY, channels=("email",))
    return texting, emailing


def test_running_the_alert_flows_three_times_sends_each_alert_once(
        engine: Engine, database_url: str, channels_env: dict[str, str],
        monkeypatch: pytest.MonkeyPatch, twilio: fake_twilio.FakeTwilio,
        mailbox: smtp_server.Mailbox) -> None:
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", database_url)
    texting, emailing = _two_providers(engine)
    add_visit(engine, texting, "SYN-1001", date(2026, 12, 3), auth={"status": "pended"})
    add_visit(engine, emailing, "SYN-1002", date(2026, 12, 8), verdict="blocked",
              findings=("FREQUENCY_LIMIT_REACHED",), patient=1)

    for run in range(3):
        send_flow.fn(AS_OF + timedelta(minutes=15 * run))
        dispatch_flow.fn(AS_OF + timedelta(minutes=15 * run, seconds=30))

    assert len(twilio.bodies_to(SMS_PHONE)) == 1
    assert "no approved authorization" in twilio.bodies_to(SMS_PHONE)[0]
    assert [m["Subject"] for m in mailbox.to(EMAIL_ONLY)] == [
        "painauth: pt ...1002, visit Tue Dec 8 is over the payer's limit and will not be paid"]
    assert len(mailbox.received) == 1
    assert _statuses(engine) == {"auth_pending": "sent", "limit_reached": "sent"}


def test_twilio_server_error_then_success_delivers_one_text(
        engine: Engine, settings: AlertSettings, twilio: fake_twilio.FakeTwilio) -> None:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893", channels=("sms",))
    add_visit(engine, provider, "SYN-1001", date(2026, 12, 3), auth={"status": "submitted"})
    queue_alerts(engine, AS_OF, settings)
    twilio.fail_next(500)

    first = dispatch_alerts(engine, AS_OF, settings=settings)
    too_soon = dispatch_alerts(engine, AS_OF + timedelta(seconds=30), settings=settings)
    later = dispatch_alerts(engine, AS_OF + timedelta(minutes=5), settings=settings)

    assert (first.retrying, len(first.sent), len(too_soon.sent), len(later.sent)) == (1, 0, 0, 1)
    assert len(twilio.bodies_to(SMS_PHONE)) == 1
    [line] = alert_lines(engine)
    assert line.status == "sent"
    assert [d.describe() for d in line.deliveries][1] == "SMS sent"
    assert line.deliveries[0].status == "retry" and line.deliveries[0].error_code == "20500"


def test_invalid_number_marks_the_text_failed_and_sends_the_email_instead(
        engine: Engine, settings: AlertSettings, twilio: fake_twilio.FakeTwilio,
        mailbox: smtp_server.Mailbox) -> None:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893", phone="+15555550199",
                            channels=("sms",))
    add_visit(engine, provider, "SYN-1001", date(2026, 12, 3), auth={"status": "denied"})
    twilio.invalid_numbers.add("+15555550199")
    queue_alerts(engine, AS_OF, settings)

    summary = dispatch_alerts(engine, AS_OF, settings=settings)
    dispatch_alerts(engine, AS_OF + timedelta(hours=1), settings=settings)

    assert twilio.messages == [] and twilio.create_requests == 1
    [email] = mailbox.to("synthia.example@example.org")
    assert "denied the authorization" in email["Subject"]
    assert [s.channel for s in summary.sent] == ["email"]
    assert any("21211" in failure for failure in summary.channel_failures)
    [line] = alert_lines(engine)
    assert line.channel_failed
    assert line.deliveries[0].describe().startswith("SMS failed (21211: Twilio answered 400")
    assert line.deliveries[1].describe() == "email sent"


def test_mail_server_asking_to_try_later_gets_one_email_after_the_backoff(
        engine: Engine, settings: AlertSettings, mailbox: smtp_server.Mailbox) -> None:
    provider = add_provider(engine, "Dr. Fictional Provider", "1987654328", phone=None,
                            email=EMAIL_ONLY, channels=("email",))
    add_visit(engine, provider, "SYN-1002", date(2026, 12, 3), auth={"status": "pended"})
    queue_alerts(engine, AS_OF, settings)
    mailbox.refuse_next = 1

    assert dispatch_alerts(engine, AS_OF, settings=settings).retrying == 1
    dispatch_alerts(engine, AS_OF + timedelta(minutes=2), settings=settings)
    dispatch_alerts(engine, AS_OF + timedelta(minutes=4), settings=settings)

    [email] = mailbox.to(EMAIL_ONLY)
    assert email.get_content_type() == "multipart/alternative"
    assert email["Message-ID"].endswith("@practice.example.org>")
    assert _statuses(engine) == {"auth_pending": "sent"}


def test_quiet_hours_hold_a_text_until_they_end_in_the_providers_time_zone(
        engine: Engine, settings: AlertSettings, twilio: fake_twilio.FakeTwilio) -> None:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893", channels=("sms",),
                            quiet=(time(21, 0), time(7, 0)))
    add_visit(engine, provider, "SYN-1001", date(2026, 12, 3), auth={"status": "denied"})
    late_evening = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)  # 22:30 in Chicago
    queue_alerts(engine, late_evening, settings)

    held = dispatch_alerts(engine, late_evening, settings=settings)
    still_night = dispatch_alerts(engine, datetime(2026, 12, 2, 12, 59, tzinfo=UTC), settings=settings)
    morning = dispatch_alerts(engine, datetime(2026, 12, 2, 13, 0, tzinfo=UTC), settings=settings)

    assert held.deferred == 1 and still_night.sent == [] and len(morning.sent) == 1
    assert len(twilio.bodies_to(SMS_PHONE)) == 1


def test_daily_digest_sends_low_urgency_alerts_together_once_at_the_digest_hour(
        engine: Engine, settings: AlertSettings, mailbox: smtp_server.Mailbox,
        twilio: fake_twilio.FakeTwilio) -> None:
    provider = add_provider(engine, "Dr. Fictional Provider", "1987654328", channels=("sms", "email"),
                            email=EMAIL_ONLY, digest=True)
    add_visit(engine, provider, "SYN-1001", date(2026, 12, 10), findings=("FREQUENCY_LIMIT_APPROACHING",),
              auth={"status": "approved", "valid_to": date(2027, 1, 31)})
    add_visit(engine, provider, "SYN-1002", date(2026, 12, 14), verdict="needs_documentation",
              auth={"status": "documentation_missing", "missing_items": ["psych_clearance"]}, patient=1)
    add_visit(engine, provider, "SYN-1003", date(2026, 12, 3), auth={"status": "denied"}, patient=2)
    queue_alerts(engine, AS_OF, settings)  # 09:00 in Chicago: the next digest is tomorrow 07:00

    today = dispatch_alerts(engine, AS_OF, settings=settings)
    before_seven = dispatch_alerts(engine, datetime(2026, 12, 2, 12, 55, tzinfo=UTC), settings=settings)
    at_seven = dispatch_alerts(engine, datetime(2026, 12, 2, 13, 0, tzinfo=UTC), settings=settings)
    again = dispatch_alerts(engine, datetime(2026, 12, 2, 13, 5, tzinfo=UTC), settings=settings)

    assert [s.kind for s in today.sent] == ["auth_denied"]  # high urgency does not wait
    assert before_seven.sent == [] and again.sent == []
    assert [(s.kind, s.channel) for s in at_seven.sent] == [("digest", "email")]
    digest = mailbox.to(EMAIL_ONLY)[-1]
    assert digest["Subject"] == "painauth daily digest: 2 alerts"
    plain = digest.get_body(("plain",))
    assert plain is not None
    body = plain.get_content()
    assert "...1001" in body and "...1002" in body and "...1003" not in body
    assert _statuses(engine)["limit_approaching"] == "digested"


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_dispatcher_killed_between_send_and_bookkeeping_does_not_send_twice(
        engine: Engine, database_url: str, channels_env: dict[str, str], channel: str,
        twilio: fake_twilio.FakeTwilio, mailbox: smtp_server.Mailbox) -> None:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893", channels=(channel,))
    add_visit(engine, provider, "SYN-1001", date(2026, 12, 3), auth={"status": "denied"})
    settings = AlertSettings(_env_file=None)  # type: ignore[call-arg]
    queue_alerts(engine, AS_OF, settings)

    crashed = subprocess.run(
        [sys.executable, str(HERE / "crashing_dispatcher.py"), database_url, channel,
         AS_OF.isoformat()],
        env={**os.environ, **channels_env}, capture_output=True, text=True, timeout=60)
    assert crashed.returncode == -9, crashed.stderr
    assert len(twilio.messages) + len(mailbox.received) == 1
    assert _statuses(engine) == {"auth_denied": "sending"}

    later = AS_OF + timedelta(hours=1)  # the crashed run's claim has lapsed
    restart = dispatch_alerts(engine, later, settings=settings)
    dispatch_alerts(engine, later + timedelta(minutes=5), settings=settings)

    assert len(twilio.messages) + len(mailbox.received) == 1
    [line] = alert_lines(engine)
    if channel == "sms":  # Twilio can be asked: the text it holds is recorded as sent
        assert restart.reconciled == 1 and line.status == "sent"
        with DbSession(engine) as db:
            alert = db.execute(select(AlertRow)).scalars().one()
        assert alert.provider_message_id == twilio.messages[0]["sid"]
    else:  # SMTP cannot be asked: at most once, and the board says so
        assert restart.unknown == 1 and line.status == "unknown"
        assert "not sent again" in (line.last_error or "")


def test_a_text_is_claimed_by_one_dispatcher_only(
        engine: Engine, settings: AlertSettings, twilio: fake_twilio.FakeTwilio) -> None:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893", channels=("sms",))
    add_visit(engine, provider, "SYN-1001", date(2026, 12, 3), auth={"status": "denied"})
    queue_alerts(engine, AS_OF, settings)
    with DbSession(engine) as db:
        alert_id = db.execute(select(col(AlertRow.id))).scalar_one()
    from notifications.channels import channels_from_settings
    from notifications.dispatch import Dispatcher, DispatchSummary

    first = Dispatcher(engine, AS_OF, settings, channels_from_settings(settings), DispatchSummary(AS_OF))
    second = Dispatcher(engine, AS_OF, settings, channels_from_settings(settings), DispatchSummary(AS_OF))
    assert first.claim(alert_id, ("queued",)) is not None
    assert second.claim(alert_id, ("queued",)) is None
    second.run()
    assert twilio.messages == []
