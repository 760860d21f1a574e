"""Appeal-deadline alerts: before a denial step's deadline passes, billing hears of it.

A step is an open peer-to-peer, first- or second-level appeal or external review
(`tracker.authorizations.denials`), due on its deadline; a denied authorization with no
peer-to-peer asked for yet also has the payer's window to ask for one (denial date plus the
payer's `peer_to_peer` days, `tracker.authorizations.appeal_windows`). At each threshold of
`PAINAUTH_ALERT_APPEAL_DAYS` (default 7 and 2 days before) one alert is written for the
authorization's owner in the work queue — to the practice's billing office
(`PAINAUTH_ALERT_BILLING_PHONE` / `_EMAIL`), board users having no phone or address — naming the
owner, or "unassigned". The dedupe key is the step, its deadline and the threshold, so any number
of runs, even overlapping ones, write each once (`notifications.outbox`). The alert carries the
MRN tail, the step, the deadline and the owner: no name, no diagnosis, never a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from notifications.channel_plan import billing_plan
from notifications.rules import deadline_threshold
from notifications.settings import AlertSettings
from tracker.authorizations.appeal_windows import STEP_WORDS, appeal_windows
from tracker.authorizations.denials import DENIAL_CLOSED, denial_date
from tracker.errors import InputError
from tracker.store.tables import (
    AuthorizationRow,
    AuthorizationWorkRow,
    DenialStepRow,
    PatientRow,
    SessionRow,
)

KIND = "appeal_deadline"


@dataclass(frozen=True)
class Deadline:
    """One deadline billing must meet, and what its alert may say."""

    subject: str  # denial_step:<id>, or peer_to_peer_window:<authorization id>
    step: str
    deadline: date
    authorization_id: int
    session_id: int
    patient_id: int
    mrn: str
    visit_date: date
    payer: str
    owner: str | None


def deadline_rows(engine: Engine, now: datetime, settings: AlertSettings) -> list[dict[str, Any]]:
    """The outbox rows of every deadline that has reached a threshold at `now`."""
    today = now.date()
    rows = []
    for found in open_deadlines(engine):
        days_left = (found.deadline - today).days
        threshold = deadline_threshold(days_left, settings.alert_appeal_days)
        if threshold is not None:
            rows.append(_row(found, threshold, days_left, settings, now))
    return rows


def open_deadlines(engine: Engine) -> list[Deadline]:
    """Every open denial step's deadline, and the peer-to-peer request window of each denied
    authorization without a peer-to-peer that billing has not closed."""
    query = (select(AuthorizationRow, SessionRow, PatientRow, AuthorizationWorkRow)
             .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
             .join(PatientRow, col(PatientRow.id) == col(SessionRow.patient_id))
             .join(AuthorizationWorkRow, col(AuthorizationWorkRow.authorization_id)
                   == col(AuthorizationRow.id), isouter=True))
    found: list[Deadline] = []
    with DbSession(engine) as db:
        steps: dict[int, list[DenialStepRow]] = {}
        for step in db.exec(select(DenialStepRow)):
            steps.setdefault(step.authorization_id, []).append(step)
        with_steps = query.where(col(AuthorizationRow.id).in_(list(steps)))
        denied = query.where(col(AuthorizationRow.status) == "denied")
        seen: set[int] = set()
        for auth, session, patient, work in [*db.exec(with_steps), *db.exec(denied)]:
            assert auth.id is not None
            if auth.id in seen:
                continue
            seen.add(auth.id)
            facts = _facts(auth, session, patient, work)
            mine = steps.get(auth.id, [])
            found += [Deadline(subject=f"denial_step:{s.id}", step=s.kind, deadline=s.deadline,
                               **facts) for s in mine if s.outcome is None]
            if auth.status == "denied" and DENIAL_CLOSED not in (auth.flags or []) \
                    and not any(s.kind == "peer_to_peer" for s in mine):
                window = _peer_to_peer_window(auth)
                if window is not None:
                    found.append(Deadline(subject=f"peer_to_peer_window:{auth.id}",
                                          step="peer_to_peer", deadline=window, **facts))
    return found


def _peer_to_peer_window(auth: AuthorizationRow) -> date | None:
    try:
        days = appeal_windows(auth.payer)["peer_to_peer"]
    except InputError:  # a broken setting: the queue page names it; other payers still alert
        return None
    return denial_date(auth) + timedelta(days=days)


def _facts(auth: AuthorizationRow, session: SessionRow, patient: PatientRow,
           work: AuthorizationWorkRow | None) -> dict[str, Any]:
    assert auth.id is not None and session.id is not None and patient.id is not None
    return {"authorization_id": auth.id, "session_id": session.id, "patient_id": patient.id,
            "mrn": patient.mrn, "visit_date": session.date, "payer": auth.payer,
            "owner": work.owner if work is not None else None}


def _row(found: Deadline, threshold: int, days_left: int, settings: AlertSettings,
         now: datetime) -> dict[str, Any]:
    words = STEP_WORDS[found.step] + (" request" if found.subject.startswith("peer_to_peer_window")
                                      else "")
    state = f"due:{found.deadline.isoformat()}:{threshold}d"
    return {
        "dedupe_key": f"{KIND}:{found.subject}:{state}", "kind": KIND, "subject": found.subject,
        "state": state, "provider_id": None, "session_id": found.session_id, "urgency": "high",
        "channels": billing_plan(settings), "for_digest": False, "digest_id": None,
        "payload": {
            "ref": "..." + found.mrn[-4:], "patient_id": found.patient_id,
            "session_id": found.session_id, "authorization_id": found.authorization_id,
            "date": found.visit_date.isoformat(), "codes": "", "payer": found.payer,
            "auth_status": "denied", "step": words, "deadline": found.deadline.isoformat(),
            "days_left": days_left, "owner": found.owner,
        },
        "status": "queued", "attempts": 0, "next_attempt_at": None,
        "created_at": now, "updated_at": now,
    }
