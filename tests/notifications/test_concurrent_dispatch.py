"""Two alert dispatchers at once (a scheduled run and a person's `painauth alerts send`), as
separate processes on PostgreSQL: every alert is delivered once, by whichever claimed it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import fake_twilio
import pytest
import smtp_server
from practice import AS_OF, add_provider, add_visit
from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession

from notifications.outbox import queue_alerts
from notifications.settings import AlertSettings
from tracker.store import connect
from tracker.store.tables import AlertDeliveryRow, AlertRow

ROOT = Path(__file__).resolve().parents[2]
DISPATCH = """
import sys
from datetime import datetime
from notifications.dispatch import dispatch_alerts
from notifications.settings import AlertSettings
from tracker.store import connect
summary = dispatch_alerts(connect(sys.argv[1]), datetime.fromisoformat(sys.argv[2]),
                          settings=AlertSettings(_env_file=None))
"""
VISITS = 12


@pytest.fixture
def pg(postgresql_url: str, empty_tables: Callable[[str], str]) -> Iterator[tuple[str, Engine]]:
    url = empty_tables(postgresql_url)
    engine = connect(url)
    yield url, engine
    engine.dispose()


def test_two_dispatchers_at_once_deliver_every_alert_once(
        pg: tuple[str, Engine], channels_env: dict[str, str], twilio: fake_twilio.FakeTwilio,
        mailbox: smtp_server.Mailbox) -> None:
    url, engine = pg
    texting = add_provider(engine, "Dr. Synthia Example", "1234567893", channels=("sms",))
    emailing = add_provider(engine, "Dr. Fictional Provider", "1987654328", phone=None,
                            email="fictional.provider@example.org", channels=("email",))
    for number in range(VISITS):
        add_visit(engine, texting if number % 2 else emailing, f"SYN-{2000 + number}",
                  date(2026, 12, 3) + timedelta(days=number % 5), auth={"status": "denied"},
                  patient=number)
    queue_alerts(engine, AS_OF, AlertSettings(_env_file=None))  # type: ignore[call-arg]
    with DbSession(engine) as db:
        alerts = db.execute(select(AlertRow)).scalars().all()
    assert len(alerts) == VISITS

    children = [subprocess.Popen([sys.executable, "-c", DISPATCH, url, AS_OF.isoformat()],
                                 env={**os.environ, **channels_env, "PYTHONPATH": str(ROOT)},
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(2)]
    for child in children:
        _out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err[-3000:]

    assert len(twilio.messages) + len(mailbox.received) == VISITS
    with DbSession(engine) as db:
        statuses = [a.status for a in db.execute(select(AlertRow)).scalars()]
        deliveries = db.execute(select(AlertDeliveryRow)).scalars().all()
    assert statuses == ["sent"] * VISITS
    assert sorted(d.alert_id for d in deliveries) == sorted(a.id for a in alerts)  # one each
