"""A patient's sessions as billed, line by line: each code with its modifiers, spinal levels and
laterality, and for a drug the dose, the amount discarded, the container and the NDC — what the
billing lead checks against the claim before it goes out (the board's patient page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.codes import load_catalog
from tracker.store.tables import LocationRow, SessionCodeRow, SessionRow

LATERALITY: dict[str, str] = {"50": "bilateral", "RT": "right", "LT": "left"}


@dataclass(frozen=True)
class BilledLine:
    code: str
    description: str
    units: int
    modifiers: tuple[str, ...]
    levels: tuple[str, ...] = ()
    dose_mg: float | None = None
    wasted_mg: float | None = None
    container: str | None = None
    ndc: str | None = None

    @property
    def laterality(self) -> str:
        return next((LATERALITY[m] for m in self.modifiers if m in LATERALITY), "")

    @property
    def ndc_text(self) -> str:
        """The NDC in its printed 5-4-2 form."""
        n = self.ndc or ""
        return f"{n[:5]}-{n[5:9]}-{n[9:]}" if len(n) == 11 else n

    @property
    def container_text(self) -> str:
        return (self.container or "").replace("_", "-")


@dataclass(frozen=True)
class BilledSession:
    date: date
    status: str
    place_of_service: str
    location: str  # the location's name, empty when none is recorded
    lines: tuple[BilledLine, ...]


def billed_sessions(db: DbSession, patient_id: int) -> tuple[BilledSession, ...]:
    """The patient's sessions, newest first, each with its lines in billing order."""
    sessions = list(db.exec(select(SessionRow).where(col(SessionRow.patient_id) == patient_id)
                            .order_by(col(SessionRow.date).desc())))
    ids = [s.id for s in sessions if s.id is not None]
    lines: dict[int, list[SessionCodeRow]] = {}
    if ids:
        for line in db.exec(select(SessionCodeRow).where(col(SessionCodeRow.session_id).in_(ids))
                            .order_by(col(SessionCodeRow.session_id),
                                      col(SessionCodeRow.position))):
            lines.setdefault(line.session_id, []).append(line)
    places = {s.location_id for s in sessions if s.location_id is not None}
    names = {row.id: row.name for row in db.exec(
        select(LocationRow).where(col(LocationRow.id).in_(sorted(places))))} if places else {}
    catalog = load_catalog()
    result = []
    for session in sessions:
        billed = []
        for line in lines.get(session.id or 0, []):
            known = catalog.get(line.code)
            billed.append(BilledLine(
                code=line.code, description=known.name if known else "", units=line.units,
                modifiers=tuple(line.modifiers or ()), levels=tuple(line.levels or ()),
                dose_mg=line.dose_mg, wasted_mg=line.wasted_mg, container=line.container,
                ndc=line.ndc))
        result.append(BilledSession(
            date=session.date, status=session.status, place_of_service=session.place_of_service,
            location=names.get(session.location_id, "") if session.location_id else "",
            lines=tuple(billed)))
    return tuple(result)
