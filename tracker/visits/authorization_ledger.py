"""The authorization ledger: what each authorization asked for, what the payer approved, and how
much of it performed sessions have used.

Lines are written when an authorization is opened (one per billed line of its session, in the
order the PAS request numbers its items) and get their approved units when the payer decides.
Units used are never stored: they are counted from the patient's performed sessions inside the
approval window, so a reschedule, a re-import or a late correction can never leave them stale.
An approval can cover a series: a later booking of the same patient and payer inside the window,
with units left, uses it instead of opening a new request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.codes import Catalog, load_catalog, normalize_code
from tracker.store.tables import AuthorizationLineRow, AuthorizationRow, SessionCodeRow, SessionRow
from tracker.visits.readiness import (
    AuthorizationFacts,
    AuthorizationLine,
    BookedLine,
    line_kind,
)

_IN_CHUNK = 900
USABLE = ("approved", "partial")


def booked_line(code: str, units: int, modifiers: Sequence[str],
                catalog: Catalog | None = None) -> BookedLine:
    """A booked line as readiness reads it: imaging guidance is bundled, never authorized alone."""
    entry = (catalog or load_catalog()).get(normalize_code(code))
    return BookedLine(code=normalize_code(code), units=units, modifiers=tuple(modifiers),
                      needs_authorization=not (entry is not None and entry.is_guidance))


def _kind(code: str, catalog: Catalog) -> str:
    entry = catalog.get(normalize_code(code))
    if entry is not None and entry.is_guidance:
        return "guidance"
    return line_kind(code)


def open_lines(connection: Any, session_of: dict[int, int]) -> None:
    """Write the requested lines of new authorizations ({authorization id: session id}) from
    their sessions' billed lines; authorizations that already have lines are left alone."""
    if not session_of:
        return
    catalog = load_catalog()
    auth_ids = sorted(session_of)
    have: set[int] = set()
    for chunk in _chunks(auth_ids):
        have.update(connection.execute(
            select(col(AuthorizationLineRow.authorization_id)).distinct()
            .where(col(AuthorizationLineRow.authorization_id).in_(chunk))).scalars())
    wanted = {a: s for a, s in session_of.items() if a not in have}
    codes = session_codes(connection, sorted(set(wanted.values())))
    rows = [{"authorization_id": auth_id, "position": position, "code": code,
             "modifiers": list(modifiers), "kind": _kind(code, catalog),
             "units_requested": units, "units_approved": None}
            for auth_id, session_id in sorted(wanted.items())
            for position, (code, units, modifiers) in enumerate(codes.get(session_id, []))]
    if rows:
        connection.execute(insert(AuthorizationLineRow.__table__), rows)  # type: ignore[attr-defined]


def record_approved_units(db: DbSession, auth: AuthorizationRow, *,
                          per_item: dict[int, int] | None = None,
                          procedure_units: int | None = None) -> None:
    """Write what the payer approved onto the lines: per PAS item sequence (1 = the first line)
    when the answer says so; else `procedure_units` spread over the procedure lines in order
    (drug lines approved as requested: a drug's units are never counted against procedures);
    else every line as requested."""
    assert auth.id is not None
    open_lines(db.connection(), {auth.id: auth.session_id})
    lines = list(db.execute(select(AuthorizationLineRow)
                         .where(col(AuthorizationLineRow.authorization_id) == auth.id)
                         .order_by(col(AuthorizationLineRow.position))).scalars())
    remaining = procedure_units
    for line in lines:
        if per_item:
            line.units_approved = per_item.get(line.position + 1, line.units_requested)
        elif remaining is not None and line.kind == "procedure":
            line.units_approved = min(line.units_requested, remaining)
            remaining -= line.units_approved
        else:
            line.units_approved = line.units_requested
        db.add(line)
    procedures = [line.units_approved or 0 for line in lines if line.kind == "procedure"]
    auth.approved_units = sum(procedures) if procedures else auth.approved_units
    db.add(auth)


def facts_of(auths: Iterable[AuthorizationRow], lines: dict[int, tuple[AuthorizationLine, ...]]
             ) -> dict[int, AuthorizationFacts]:
    return {auth.id: AuthorizationFacts(
        id=auth.id, status=auth.status, number=auth.auth_number, valid_from=auth.valid_from,
        valid_to=auth.valid_to, decision_due_at=auth.decision_due_at,
        flags=tuple(auth.flags or ()), missing_items=tuple(auth.missing_items or ()),
        lines=lines.get(auth.id, ()), decision_reason=auth.decision_reason)
        for auth in auths if auth.id is not None}


def ledger_lines(connection: Any, auths: Sequence[AuthorizationRow]
                 ) -> dict[int, tuple[AuthorizationLine, ...]]:
    """Each authorization's lines with units used counted from performed sessions of its
    patient inside its window. An authorization without stored lines (opened before the ledger
    existed) reads its session's billed lines as requested."""
    ids = [a.id for a in auths if a.id is not None]
    stored: dict[int, list[AuthorizationLineRow]] = {}
    for chunk in _chunks(ids):
        for row in connection.execute(
                select(AuthorizationLineRow)
                .where(col(AuthorizationLineRow.authorization_id).in_(chunk))
                .order_by(col(AuthorizationLineRow.authorization_id),
                          col(AuthorizationLineRow.position))).scalars():
            stored.setdefault(row.authorization_id, []).append(row)
    catalog = load_catalog()
    fallback = session_codes(connection, sorted({a.session_id for a in auths
                                                  if a.id not in stored}))
    used = _units_used(connection, [a for a in auths if a.status in USABLE])
    out: dict[int, tuple[AuthorizationLine, ...]] = {}
    for auth in auths:
        if auth.id is None:
            continue
        spent = used.get(auth.id, {})
        if auth.id in stored:
            out[auth.id] = tuple(AuthorizationLine(
                code=r.code, modifiers=tuple(r.modifiers or ()), kind=r.kind,
                units_requested=r.units_requested, units_approved=r.units_approved,
                units_used=spent.get(r.code, 0)) for r in stored[auth.id])
        else:
            approved = auth.status in USABLE
            out[auth.id] = tuple(AuthorizationLine(
                code=code, modifiers=tuple(modifiers), kind=_kind(code, catalog),
                units_requested=units, units_approved=units if approved else None,
                units_used=spent.get(code, 0))
                for code, units, modifiers in fallback.get(auth.session_id, []))
    return out


def _units_used(connection: Any, auths: Sequence[AuthorizationRow]) -> dict[int, dict[str, int]]:
    """Per authorization, per code: units billed by the patient's performed sessions dated
    inside its window."""
    windowed = [a for a in auths if a.valid_from is not None and a.valid_to is not None]
    if not windowed:
        return {}
    patient_of = _patients(connection, sorted({a.session_id for a in windowed}))
    patients = sorted(set(patient_of.values()))
    performed: dict[int, list[tuple[date, str, int]]] = {}
    for chunk in _chunks(patients):
        for patient_id, day, code, units in connection.execute(
                select(col(SessionRow.patient_id), col(SessionRow.date), col(SessionCodeRow.code),
                       col(SessionCodeRow.units))
                .join(SessionCodeRow, col(SessionCodeRow.session_id) == col(SessionRow.id))
                .where(col(SessionRow.patient_id).in_(chunk),
                       col(SessionRow.status) == "performed")):
            performed.setdefault(patient_id, []).append((day, normalize_code(code), units))
    used: dict[int, dict[str, int]] = {}
    for auth in windowed:
        assert auth.id is not None and auth.valid_from is not None and auth.valid_to is not None
        tally: dict[str, int] = {}
        for day, code, units in performed.get(patient_of.get(auth.session_id, -1), []):
            if auth.valid_from <= day <= auth.valid_to:
                tally[code] = tally.get(code, 0) + units
        used[auth.id] = tally
    return used


def series_approvals(connection: Any, patient_ids: Sequence[int]
                     ) -> dict[int, list[AuthorizationRow]]:
    """Per patient, the usable approvals with a window: candidates to cover later bookings."""
    found: dict[int, list[AuthorizationRow]] = {}
    for chunk in _chunks(sorted(set(patient_ids))):
        for auth, patient_id in connection.execute(
                select(AuthorizationRow, col(SessionRow.patient_id))
                .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
                .where(col(SessionRow.patient_id).in_(chunk),
                       col(AuthorizationRow.status).in_(USABLE),
                       col(AuthorizationRow.valid_to).is_not(None))):
            found.setdefault(patient_id, []).append(auth)
    return found


def covering_approval(candidates: Sequence[AuthorizationRow], payer: str, day: date,
                      booked: Sequence[BookedLine],
                      lines: dict[int, tuple[AuthorizationLine, ...]]) -> AuthorizationRow | None:
    """The open approval of this payer whose window holds `day` and whose lines have units left
    for every booked code that needs authorization, if any (the newest first)."""
    for auth in sorted(candidates, key=lambda a: -(a.id or 0)):
        if auth.payer != payer or auth.valid_from is None or auth.valid_to is None:
            continue
        if not auth.valid_from <= day <= auth.valid_to or not auth.auth_number:
            continue
        left = {line.code: line.units_left or 0 for line in lines.get(auth.id or -1, ())
                if line.units_approved is not None}
        if all(left.get(b.code, 0) >= b.units for b in booked if b.needs_authorization):
            return auth
    return None


def session_codes(connection: Any, session_ids: Sequence[int]
                   ) -> dict[int, list[tuple[str, int, tuple[str, ...]]]]:
    codes: dict[int, list[tuple[str, int, tuple[str, ...]]]] = {}
    for chunk in _chunks(list(session_ids)):
        for session_id, code, units, modifiers in connection.execute(
                select(col(SessionCodeRow.session_id), col(SessionCodeRow.code),
                       col(SessionCodeRow.units), col(SessionCodeRow.modifiers))
                .where(col(SessionCodeRow.session_id).in_(chunk))
                .order_by(col(SessionCodeRow.session_id), col(SessionCodeRow.position))):
            codes.setdefault(session_id, []).append(
                (normalize_code(code), units, tuple(m.strip().upper() for m in modifiers or ())))
    return codes


def _patients(connection: Any, session_ids: Sequence[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for chunk in _chunks(list(session_ids)):
        for session_id, patient_id in connection.execute(
                select(col(SessionRow.id), col(SessionRow.patient_id))
                .where(col(SessionRow.id).in_(chunk))):
            found[session_id] = patient_id
    return found


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _IN_CHUNK):
        yield list(ids[start:start + _IN_CHUNK])
