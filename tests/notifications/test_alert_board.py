"""The board's side of alerts: the alert list with delivery states, providers' preferences edited
by an admin, and Twilio's status callback accepted only with a valid signature."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta

import fake_twilio
import pytest
import smtp_server
from fastapi.testclient import TestClient
from practice import AS_OF, add_provider, add_visit
from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from twilio.request_validator import RequestValidator

from notifications.dispatch import dispatch_alerts
from notifications.listing import alert_lines
from notifications.outbox import queue_alerts
from notifications.settings import AlertSettings
from tracker.store.tables import AlertDeliveryRow, ProviderRow
from tracker.store.users import add_user
from tracker.web.app import create_app

PASSWORD = "synthetic-password-1"
CALLBACK = "http://testserver/twilio/status"
TOKEN = re.compile(r'name="token" value="([^"]+)"')


@pytest.fixture
def engine(sqlite_engine: Engine) -> Engine:
    """The board's pages read the same queries on both backends; SQLite is enough here."""
    return sqlite_engine


@pytest.fixture
def board(engine: Engine) -> Iterator[TestClient]:
    add_user(engine, "ada.admin", "admin", PASSWORD)
    add_user(engine, "sam.scheduler", "scheduler", PASSWORD)
    with TestClient(create_app(engine, "k" * 48, today=lambda: AS_OF.date()),
                    follow_redirects=False) as client:
        yield client


def sign_in(client: TestClient, name: str) -> str:
    token = TOKEN.search(client.get("/login").text)
    assert token
    assert client.post("/login", data={"name": name, "password": PASSWORD,
                                       "token": token.group(1)}).status_code == 303
    found = TOKEN.search(client.get("/visits").text)
    assert found
    return found.group(1)


def _sent_text(engine: Engine, settings: AlertSettings) -> str:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893", channels=("sms",))
    add_visit(engine, provider, "SYN-1001", date(2026, 12, 3), auth={"status": "denied"})
    queue_alerts(engine, AS_OF, settings)
    sent = dispatch_alerts(engine, AS_OF, settings=settings).sent
    return next(s.external_id for s in sent if s.to in ("+15555550101", "synthia.example@example.org"))


def test_alerts_page_shows_each_alert_with_its_delivery_state(
        engine: Engine, board: TestClient, settings: AlertSettings,
        twilio: fake_twilio.FakeTwilio, mailbox: smtp_server.Mailbox) -> None:
    twilio.invalid_numbers.add("+15555550101")
    _sent_text(engine, settings)
    sign_in(board, "sam.scheduler")
    page = board.get("/alerts")
    assert page.status_code == 200
    assert "authorization denied" in page.text and "...1001" in page.text
    assert "SMS failed (21211" in page.text and "email sent" in page.text
    link = board.get("/alerts/1")
    assert link.status_code == 303 and link.headers["location"].startswith("/patients/")


def test_status_callback_with_a_bad_signature_is_refused_and_changes_nothing(
        engine: Engine, board: TestClient, settings: AlertSettings,
        twilio: fake_twilio.FakeTwilio, channels_env: dict[str, str]) -> None:
    sid = _sent_text(engine, settings)
    params = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": twilio.account_sid}
    forged = RequestValidator("not-our-token").compute_signature(CALLBACK, params)
    assert board.post("/twilio/status", data=params,
                      headers={"X-Twilio-Signature": forged}).status_code == 403
    assert board.post("/twilio/status", data=params).status_code == 403
    assert [d.status for d in alert_lines(engine)[0].deliveries] == ["sent"]


def test_signed_status_callback_records_delivery_and_an_undelivered_text_falls_back_to_email(
        engine: Engine, board: TestClient, settings: AlertSettings,
        twilio: fake_twilio.FakeTwilio, mailbox: smtp_server.Mailbox,
        channels_env: dict[str, str]) -> None:
    provider = add_provider(engine, "Dr. Fictional Provider", "1987654328", phone="+15555550102",
                            email="fictional.provider@example.org", channels=("sms", "email"))
    add_visit(engine, provider, "SYN-1002", date(2026, 12, 3), auth={"status": "denied"})
    sid = _sent_text(engine, settings)
    other_sid = next(m["sid"] for m in twilio.messages if m["to"] == "+15555550102")
    validator = RequestValidator(twilio.auth_token)
    for message_sid, status in ((sid, "delivered"), (other_sid, "undelivered")):
        params = {"MessageSid": message_sid, "MessageStatus": status, "ErrorCode": "30003"}
        answer = board.post("/twilio/status", data=params, headers={
            "X-Twilio-Signature": validator.compute_signature(CALLBACK, params)})
        assert answer.status_code == 204

    with DbSession(engine) as db:
        states = {d.external_id: d.status for d in db.execute(select(AlertDeliveryRow)).scalars()}
    assert states[sid] == "delivered" and states[other_sid] == "undelivered"
    dispatch_alerts(engine, AS_OF + timedelta(minutes=5), settings=settings)
    assert [m["To"] for m in mailbox.received] == ["fictional.provider@example.org"]


def test_admin_edits_a_providers_alert_preferences_and_a_scheduler_may_not(
        engine: Engine, board: TestClient) -> None:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893", channels=("sms",))
    token = sign_in(board, "ada.admin")
    assert "Dr. Synthia Example" in board.get("/providers").text
    form = {"token": token, "channels": ["email"], "phone": "", "email": "new@example.org",
            "time_zone": "America/Denver", "quiet_start": "22:00", "quiet_end": "06:30",
            "digest": "1"}
    assert board.post(f"/providers/{provider}", data=form).status_code == 303
    bad = board.post(f"/providers/{provider}", data={**form, "channels": ["sms"], "phone": "555-0101"})
    assert bad.status_code == 400 and "E.164" in bad.text
    with DbSession(engine) as db:
        saved = db.get(ProviderRow, provider)
        assert saved is not None
        assert (saved.alert_channels, saved.email, saved.time_zone, saved.digest) == (
            ["email"], "new@example.org", "America/Denver", True)
        assert saved.quiet_hours_start is not None and saved.quiet_hours_start.hour == 22

    board.post("/logout", data={"token": token})
    sign_in(board, "sam.scheduler")
    assert board.get("/providers").status_code == 403
