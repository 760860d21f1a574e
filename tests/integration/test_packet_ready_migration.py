"""Packets handed to staff before "packet ready to send" existed: migration 0015 gives them the
flag, so the queue says "send by fax or portal" instead of "chase" — unless someone recorded the
send since, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlmodel import Session as DbSession

from tracker.authorizations.overview import authorization_overview
from tracker.authorizations.queue import work_queue
from tracker.store import connect, upgrade
from tracker.store.migrating import alembic_config
from tracker.store.tables import AuthorizationEventRow, AuthorizationRow, PatientRow, SessionRow

TODAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 15, tzinfo=UTC)
HANDED = "packet /srv/painauth/packets/painauth-auth{id}-1.pdf handed to staff for fax or portal"


@pytest.fixture(params=["sqlite", "postgresql"])
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database at the revision just before migration 0015 (whatever it is chained after)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    else:
        new_database: Callable[[str], str] = request.getfixturevalue("new_postgresql_database")
        url = new_database("painauth_packets")
    before = ScriptDirectory.from_config(alembic_config(url)).get_revision("0015").down_revision
    assert isinstance(before, str)
    upgrade(url, before)
    return url


def _handed_over(url: str, mrn: str, *, sent_since: bool) -> int:
    engine = connect(url)
    try:
        with DbSession(engine) as db:
            patient = PatientRow(mrn=mrn, family_name="Oldpacket", given_name="Lee",
                                 birth_date=date(1960, 5, 6))
            db.add(patient)
            db.flush()
            assert patient.id is not None
            visit = SessionRow(patient_id=patient.id, date=date(2026, 12, 22), status="scheduled")
            db.add(visit)
            db.flush()
            assert visit.id is not None
            auth = AuthorizationRow(session_id=visit.id, payer="unitedhealthcare",
                                    status="submitted", submitted_at=NOW, flags=[])
            db.add(auth)
            db.flush()
            assert auth.id is not None
            db.add(AuthorizationEventRow(authorization_id=auth.id, from_status="ready",
                                         to_status="submitted", actor="submit-authorizations",
                                         reason=HANDED.format(id=auth.id)))
            if sent_since:
                db.add(AuthorizationEventRow(authorization_id=auth.id, from_status="submitted",
                                             to_status="submitted", actor="bea.billing",
                                             reason="sent by fax, reference FAX-77"))
            db.commit()
            return auth.id
    finally:
        engine.dispose()


def test_a_packet_handed_to_staff_before_the_flag_reads_send_after_the_upgrade(
        old_database: str) -> None:
    waiting = _handed_over(old_database, "OLD-1001", sent_since=False)
    faxed = _handed_over(old_database, "OLD-1002", sent_since=True)
    upgrade(old_database)
    engine = connect(old_database)
    try:
        kinds = {i.authorization_id: i.kind for i in work_queue(engine, TODAY, now=NOW).items}
        assert kinds[waiting] == "send"
        assert kinds[faxed] == "chase"
        overview = authorization_overview(engine, waiting)
        assert overview is not None and overview.shown_status == "packet_ready"
        assert "/srv/painauth" not in " ".join(e.reason or "" for e in overview.events)
        upgrade(old_database)  # again: nothing changes twice
        assert {i.authorization_id: i.kind for i in work_queue(engine, TODAY, now=NOW).items
                } == kinds
    finally:
        engine.dispose()
