"""Appeal-deadline alerts: billing hears of an open appeal step's deadline (and of the window to
ask for a peer-to-peer) 7 and 2 days before it passes, once per step and threshold, by text or
email to the billing office, with the owner named and nothing else about the patient."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import fake_twilio
import pytest
import smtp_server
from practice import AS_OF, DIAGNOSES, PATIENT_NAMES, add_provider, add_visit
from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from notifications.dispatch import dispatch_alerts
from notifications.listing import landing_of_alert
from notifications.outbox import queue_alerts
from notifications.settings import AlertSettings
from tracker.authorizations.assignment import assign
from tracker.authorizations.denials import open_step
from tracker.authorizations.notes import add_note, add_patient_note
from tracker.store import connect
from tracker.store.tables import AlertRow, AuthorizationRow, SessionRow
from tracker.store.users import add_user

BILLING_PHONE = "+15555550177"
BILLING_EMAIL = "billing@practice.example.org"
NOTE = "patient asked us not to call at work"
FAMILY, GIVEN, _ = PATIENT_NAMES[0]


def _settings(monkeypatch: pytest.MonkeyPatch, *, phone: bool = True) -> AlertSettings:
    if phone:
        monkeypatch.setenv("PAINAUTH_ALERT_BILLING_PHONE", BILLING_PHONE)
    monkeypatch.setenv("PAINAUTH_ALERT_BILLING_EMAIL", BILLING_EMAIL)
    return AlertSettings(_env_file=None)  # type: ignore[call-arg]


def _denied(engine: Engine, mrn: str, denied_on: date) -> int:
    """A denied authorization (decided on `denied_on`) for a visit, with notes on it and on the
    patient that must never reach an alert."""
    provider = add_provider(engine, "Dr. Synthia Example", f"12345678{mrn[-2:]}")
    session = add_visit(engine, provider, mrn, date(2026, 12, 20), auth={
        "status": "denied", "decided_at": datetime(denied_on.year, denied_on.month, denied_on.day,
                                                   12, tzinfo=AS_OF.tzinfo)})
    with DbSession(engine) as db:
        auth = db.execute(select(AuthorizationRow).where(
            col(AuthorizationRow.session_id) == session)).scalars().one()
        visit = db.get(SessionRow, session)
        assert auth.id is not None and visit is not None
        auth_id, patient = auth.id, visit.patient_id
    add_note(engine, auth_id, author="bea.billing", text=NOTE)
    add_patient_note(engine, patient, author="bea.billing", text=NOTE)
    return auth_id


def _deadline_alerts(engine: Engine) -> list[AlertRow]:
    with DbSession(engine) as db:
        return list(db.execute(select(AlertRow).where(col(AlertRow.kind) == "appeal_deadline")
                               .order_by(col(AlertRow.id))).scalars())


def test_billing_is_texted_seven_and_two_days_before_an_appeal_is_due_once_each(
        engine: Engine, channels_env: dict[str, str], twilio: fake_twilio.FakeTwilio,
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch)
    auth = _denied(engine, "SYN-3042", AS_OF.date())
    # (the window to ask for a peer-to-peer raises its own alerts: the next test)
    open_step(engine, auth, "first_level", actor="bea.billing",
              denied_on=AS_OF.date() - timedelta(days=50))  # due in 10 days
    add_user(engine, "bea.billing", "billing", "synthetic-password-1")
    assign(engine, auth, owner="bea.billing", actor="ada.admin")
    due = AS_OF.date() + timedelta(days=10)
    for days_before, expected in ((10, 0), (7, 1), (7, 1), (5, 1), (2, 2), (1, 2), (-1, 2)):
        queue_alerts(engine, AS_OF + timedelta(days=10 - days_before), settings)
        appeal = [a for a in _deadline_alerts(engine) if a.subject.startswith("denial_step:")]
        assert len(appeal) == expected, days_before
    assert [a.state for a in appeal] == [f"due:{due.isoformat()}:7d", f"due:{due.isoformat()}:2d"]
    dispatch_alerts(engine, AS_OF + timedelta(days=9), settings=settings)
    texts = twilio.bodies_to(BILLING_PHONE)
    appeal_texts = [t for t in texts if "first-level appeal" in t]
    assert len(appeal_texts) == 2
    assert "...3042" in appeal_texts[0] and "Owner bea.billing" in appeal_texts[0]
    assert "7 days away" in appeal_texts[0] and "2 days away" in appeal_texts[1]
    assert len(twilio.messages) > len(texts)  # the provider was texted of the denial too
    for text in [m["body"] for m in twilio.messages]:  # no note reaches any text
        assert FAMILY not in text and GIVEN not in text and NOTE not in text
        assert not any(code in text for code in DIAGNOSES)
        assert text.isascii() and len(text) <= 320
    assert landing_of_alert(engine, appeal[0].id or 0) == f"/authorizations/{auth}#denial"


def test_the_window_to_ask_for_a_peer_to_peer_is_emailed_to_billing_unassigned(
        engine: Engine, channels_env: dict[str, str], mailbox: smtp_server.Mailbox,
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, phone=False)
    _denied(engine, "SYN-3043", AS_OF.date() - timedelta(days=10))  # 14-day window: 4 days left
    queue_alerts(engine, AS_OF, settings)
    [alert] = _deadline_alerts(engine)
    assert alert.subject.startswith("peer_to_peer_window:") and alert.channels == ["email"]
    dispatch_alerts(engine, AS_OF, settings=settings)
    [email] = mailbox.to(BILLING_EMAIL)
    body = email.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "peer-to-peer request deadline" in text and "Unassigned" in text
    assert FAMILY not in text and NOTE not in text


def test_a_denial_billing_closed_raises_no_peer_to_peer_window_alert(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.authorizations.denials import close_denial

    settings = _settings(monkeypatch, phone=False)
    closed = _denied(engine, "SYN-3044", AS_OF.date() - timedelta(days=10))
    close_denial(engine, closed, actor="bea.billing", reason="not appealed: patient chose PT")
    queue_alerts(engine, AS_OF, settings)
    assert [a for a in _deadline_alerts(engine)
            if a.subject == f"peer_to_peer_window:{closed}"] == []


@pytest.fixture
def pg(postgresql_url: str, empty_tables: Callable[[str], str]) -> Iterator[Engine]:
    engine = connect(empty_tables(postgresql_url))
    yield engine
    engine.dispose()


def test_two_overlapping_alert_runs_text_billing_once(
        pg: Engine, channels_env: dict[str, str], twilio: fake_twilio.FakeTwilio,
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch)
    auth = _denied(pg, "SYN-3044", AS_OF.date())
    open_step(pg, auth, "peer_to_peer", actor="bea.billing",
              denied_on=AS_OF.date() - timedelta(days=12))  # due in 2 days
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def run() -> None:
        try:
            start.wait(timeout=60)
            queue_alerts(pg, AS_OF, settings)
            dispatch_alerts(pg, AS_OF, settings=settings)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            failures.append(error)

    runs = [threading.Thread(target=run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=120)
    assert failures == [] and not any(t.is_alive() for t in runs)
    assert len(_deadline_alerts(pg)) == 1
    texts = [t for t in twilio.bodies_to(BILLING_PHONE) if "peer-to-peer" in t]
    assert len(texts) == 1 and "Unassigned" in texts[0]
