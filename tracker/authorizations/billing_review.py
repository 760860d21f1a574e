"""What was performed against what was authorized: a performed session that billed a code its
authorization does not cover, or more units (levels) than approved, flags that authorization
`billing_review` before the claim goes out. The alert rules (notifications.rules, kind
`billing_review`) tell the provider; the board lists the flag."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.authorizations.decisions import change_status
from tracker.codes import load_catalog
from tracker.importers.service import ImportReport
from tracker.store.tables import AuthorizationEventRow, AuthorizationRow, SessionRow, utc_now
from tracker.visits.authorization_ledger import USABLE, booked_line, ledger_lines, session_codes

FLAG = "billing_review"
ACTOR = "import"
REASON_START = "billing review: "


def review_imported(engine: Engine, report: ImportReport, *, actor: str = ACTOR) -> list[int]:
    """After an import: compare the sessions it recorded as performed with their approvals.
    Every caller of `import_practice_files` (the import flow, `painauth import`) calls this."""
    if not report.performed_sessions:
        return []
    with DbSession(engine) as db:
        flagged = review_performed(db, report.performed_sessions, actor=actor)
        db.commit()
    return flagged


def review_performed(db: DbSession, session_ids: Iterable[int], *, actor: str) -> list[int]:
    """Compare each performed session with the approval covering it (its own, or a series'
    approval of the same patient whose window holds its date); flag those that differ. Returns
    the ids of the authorizations flagged now."""
    ids = sorted(set(session_ids))
    if not ids:
        return []
    sessions = {s.id: s for s in db.execute(
        select(SessionRow).where(col(SessionRow.id).in_(ids),
                                 col(SessionRow.status) == "performed")).scalars()}
    patients = sorted({s.patient_id for s in sessions.values()})
    approvals = list(db.execute(
        select(AuthorizationRow)
        .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
        .where(col(SessionRow.patient_id).in_(patients),
               col(AuthorizationRow.status).in_(USABLE))).scalars())
    patient_of = {s.id: s.patient_id for s in db.execute(
        select(SessionRow).where(col(SessionRow.id).in_(
            sorted({a.session_id for a in approvals})))).scalars()}
    lines = ledger_lines(db, approvals)
    codes = session_codes(db, list(sessions))
    catalog = load_catalog()
    flagged = []
    for session in sessions.values():
        auth = _covering(session, approvals, patient_of)
        if auth is None or auth.id is None:
            continue
        approved = {line.code: line for line in lines.get(auth.id, ())}
        problems = []
        for code, units, modifiers in codes.get(session.id or 0, []):
            billed = booked_line(code, units, modifiers, catalog)
            line = approved.get(billed.code)
            if line is None or not line.units_approved:
                if billed.needs_authorization:
                    problems.append(f"{billed.code} billed on {session.date}, not authorized")
            elif line.units_used > line.units_approved:
                problems.append(f"{billed.code}: {line.units_used} units used of "
                                f"{line.units_approved} approved")
        if problems and _flag(db, auth, "; ".join(problems), actor):
            flagged.append(auth.id)
    return flagged


def _covering(session: SessionRow, approvals: list[AuthorizationRow],
              patient_of: dict[int | None, int]) -> AuthorizationRow | None:
    own = [a for a in approvals if a.session_id == session.id]
    if own:
        return max(own, key=lambda a: a.id or 0)
    for auth in sorted(approvals, key=lambda a: -(a.id or 0)):
        if patient_of.get(auth.session_id) != session.patient_id:
            continue
        if auth.valid_from and auth.valid_to and auth.valid_from <= session.date <= auth.valid_to:
            return auth
    return None


def _flag(db: DbSession, auth: AuthorizationRow, problems: str, actor: str) -> bool:
    """Flag once per distinct finding: the same mismatch found again changes nothing."""
    assert auth.id is not None
    reason = REASON_START + problems
    if FLAG in (auth.flags or []) and review_text(db, auth.id) == problems:
        return False
    auth.flags = [*(f for f in (auth.flags or []) if f != FLAG), FLAG]
    change_status(db, auth, auth.status, actor=actor, reason=reason, at=utc_now())
    return True


def review_text(db: DbSession, authorization_id: int) -> str | None:
    """The latest billing-review finding written for this authorization."""
    reason = db.execute(
        select(col(AuthorizationEventRow.reason))
        .where(col(AuthorizationEventRow.authorization_id) == authorization_id,
               col(AuthorizationEventRow.reason).startswith(REASON_START))
        .order_by(col(AuthorizationEventRow.id).desc())).scalars().first()
    return reason.removeprefix(REASON_START) if reason else None
