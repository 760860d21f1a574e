"""Writing validated rows into the store: an idempotent upsert on each kind's natural key.

A row whose values already match the stored ones changes nothing (not even `updated_at`), so
re-importing a file is a no-op. A later row of the same file that repeats an earlier row's key with
different values is quarantined rather than silently winning. Two rules keep different exports from
undoing each other: an empty optional link (a provider, a FHIR id) keeps the stored one, and a
session already performed is never turned back into a scheduled or cancelled one.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import delete, or_
from sqlmodel import Session as DbSession
from sqlmodel import SQLModel, col, select

from tracker.importers.errors import RowProblem
from tracker.importers.formats import (
    ConservativeCareIn,
    CoverageIn,
    FeeIn,
    ImagingStudyIn,
    Incoming,
    LocationIn,
    PatientIn,
    ProviderIn,
    PsychEvaluationIn,
    SessionIn,
)
from tracker.rules.session import CodeLine
from tracker.store.tables import (
    ConservativeCareRow,
    CoverageRow,
    FeeRow,
    ImagingStudyRow,
    LocationRow,
    PatientRow,
    ProviderRow,
    PsychEvaluationRow,
    SessionCodeRow,
    SessionRow,
    utc_now,
)

TABLES: dict[str, type[SQLModel]] = {
    "patients": PatientRow, "providers": ProviderRow, "locations": LocationRow,
    "coverages": CoverageRow,
    "conservative_care": ConservativeCareRow, "psych_evaluations": PsychEvaluationRow,
    "imaging": ImagingStudyRow, "sessions": SessionRow, "fees": FeeRow,
}
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": ("mrn",), "providers": ("npi",), "locations": ("code",),
    "coverages": ("patient_id", "payer", "member_id", "effective_start"),
    "conservative_care": ("patient_id", "kind", "start"),
    "psych_evaluations": ("patient_id", "date"),
    "imaging": ("patient_id", "date", "modality", "region"), "sessions": ("patient_id", "date"),
    "fees": ("payer", "code", "effective_start"),
}
# An empty incoming value for these keeps what is stored.
# Scores and the evaluator may be entered on the board: an export without them keeps them.
_KEEP_WHEN_EMPTY = ("fhir_id", "provider_id", "location_id", "diagnoses", "source_id",
                    "pain_before", "pain_after", "function_scale", "function_before",
                    "function_after", "evaluator", "impression", "guidance", "drugs_given")


@dataclass
class KindCounts:
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped: int = 0

    def add(self, other: KindCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True, slots=True)
class Pending:
    """A row that passed its field checks, waiting to be written."""

    kind: str
    line: int
    raw: str
    record: Incoming


@dataclass(frozen=True, slots=True)
class Refused:
    kind: str
    line: int
    field: str | None
    reason: str
    raw: str


class Loader:
    """Upserts the rows of one file, chunk by chunk, remembering the keys the file has used."""

    def __init__(self, db: DbSession) -> None:
        self.db = db
        self._patients: dict[str, int] = {}
        self._providers: dict[str, int] = {}
        self._locations: dict[str, int] | None = None  # by code, read on first use
        self._seen: dict[tuple[str, Hashable], tuple[int, dict[str, Any]]] = {}
        self._codes: dict[int, list[dict[str, Any]]] = {}  # stored code lines of this chunk
        self._by_source: dict[tuple[int, str], SessionRow] = {}  # booked sessions by source id
        self.performed: set[int] = set()  # sessions that became performed in this load

    def forget(self, chunk: Sequence[Pending]) -> None:
        """Forget the keys these rows used: their transaction was rolled back."""
        lines = {(pending.kind, pending.line) for pending in chunk}
        for key, (line, _values) in list(self._seen.items()):
            if (key[0], line) in lines:
                del self._seen[key]
        self._codes.clear()

    def load(self, kind: str, chunk: Sequence[Pending]) -> tuple[KindCounts, list[Refused]]:
        counts, refused = KindCounts(), []
        self._remember_patients(_mrns(chunk))
        self._remember_providers(_npis(chunk))
        resolved: list[tuple[Pending, tuple[Any, ...], dict[str, Any]]] = []
        for pending in chunk:
            try:
                values = self._values(pending.record)
            except RowProblem as problem:
                refused.append(Refused(kind, pending.line, problem.field, problem.message,
                                       pending.raw))
                continue
            resolved.append((pending, tuple(values[c] for c in KEY_COLUMNS[kind]), values))
        existing = self._existing(kind, [values for _, _, values in resolved])
        new_sessions: list[tuple[SessionRow, list[dict[str, Any]]]] = []
        for pending, key, values in resolved:
            earlier = self._seen.get((kind, key))
            if earlier is not None:
                if _differences(earlier[1], values):
                    refused.append(Refused(kind, pending.line, None, _conflict(kind, earlier[0],
                                           _differences(earlier[1], values)), pending.raw))
                else:
                    counts.unchanged += 1
                continue
            self._seen[(kind, key)] = (pending.line, values)
            row = existing.get(key)
            if row is None and kind == "sessions" and values.get("source_id"):
                # the same booking on a new date: move the session, so what rests on it (its
                # evaluation, its authorization) follows, instead of booking a second one
                row = self._moved(values)
            if row is None:
                inserted = self._insert(kind, values)
                if isinstance(inserted, SessionRow):
                    new_sessions.append((inserted, values["codes"]))
                counts.loaded += 1
            elif self._update(kind, row, values):
                counts.updated += 1
                if kind == "sessions" and row.status == "performed":
                    self.performed.add(row.id)
            else:
                counts.unchanged += 1
        self.db.flush()
        for session_row, codes in new_sessions:
            assert session_row.id is not None
            self._write_codes(session_row.id, codes)
            if session_row.status == "performed":
                self.performed.add(session_row.id)
        self._remember_inserted(kind, chunk)
        counts.quarantined = len(refused)
        return counts, refused

    # -- turning a record into column values ------------------------------------------------

    def _values(self, record: Incoming) -> dict[str, Any]:
        if isinstance(record, PatientIn):
            return {"mrn": record.mrn, "family_name": record.family_name,
                    "given_name": record.given_name, "birth_date": record.birth_date,
                    "fhir_id": record.fhir_id}
        if isinstance(record, ProviderIn):
            return {"npi": record.npi, "name": record.name, "phone": record.phone,
                    "email": record.email, "time_zone": record.time_zone,
                    "alert_channels": list(record.alert_channels),
                    "quiet_hours_start": record.quiet_hours_start,
                    "quiet_hours_end": record.quiet_hours_end, "digest": record.digest}
        if isinstance(record, FeeIn):
            return {"payer": record.payer, "code": record.code,
                    "amount_cents": record.amount_cents, "effective_start": record.effective_start,
                    "effective_end": record.effective_end, "per_unit": record.per_unit}
        if isinstance(record, LocationIn):
            return {"code": record.code, "name": record.name, "address": record.address,
                    "npi": record.npi, "place_of_service": record.place_of_service,
                    "state": record.state}
        patient_id = self._patient_id(record.patient_mrn)
        if isinstance(record, CoverageIn):
            return {"patient_id": patient_id, "payer": record.payer, "member_id": record.member_id,
                    "effective_start": record.effective_start,
                    "effective_end": record.effective_end, "rank": record.rank,
                    "plan_type": record.plan_type}
        if isinstance(record, ConservativeCareIn):
            return {"patient_id": patient_id, "kind": record.kind, "start": record.start,
                    "end": record.end, "outcome": record.outcome, "drugs": record.drugs,
                    "visits": record.visits}
        if isinstance(record, PsychEvaluationIn):
            return {"patient_id": patient_id, "date": record.date, "result": record.result,
                    "evaluator": record.evaluator}
        if isinstance(record, ImagingStudyIn):
            return {"patient_id": patient_id, "date": record.date, "modality": record.modality,
                    "region": record.region, "impression": record.impression}
        return {"patient_id": patient_id, "date": record.date, "status": record.status,
                "provider_id": self._provider_id(record.provider_npi),
                "location_id": self._location_id(record.location),
                "place_of_service": record.place_of_service, "intent": record.intent,
                "muscles": record.muscles, "relief_percent": record.relief_percent,
                "duration_days": record.duration_days,
                "medication_reduction_percent": record.medication_reduction_percent,
                "pain_before": record.pain_before, "pain_after": record.pain_after,
                "function_scale": record.function_scale,
                "function_before": record.function_before,
                "function_after": record.function_after,
                "service_state": record.service_state,
                "rfa_not_an_option": record.rfa_not_an_option,
                "diagnoses": list(record.diagnoses) if record.diagnoses is not None else None,
                "source_id": record.source_id,
                "guidance": record.guidance,
                "drugs_given": [{"code": d.code, "dose_mg": d.dose_mg, "wasted_mg": d.wasted_mg}
                                for d in record.drugs_given] or None,
                "codes": [_line_values(c, levels) for c, levels in
                          zip(record.codes, record.levels or [()] * len(record.codes),
                              strict=True)]}

    def _patient_id(self, mrn: str) -> int:
        if mrn not in self._patients:
            raise RowProblem("patient_mrn", f"patient_mrn {mrn!r} is not a known patient; import "
                                            "the patient first (patients file or FHIR Patient)")
        return self._patients[mrn]

    def _provider_id(self, npi: str | None) -> int | None:
        if npi is None:
            return None
        if npi not in self._providers:
            raise RowProblem("provider_npi", f"provider_npi {npi} is not a known provider; import "
                                             "the providers file first, or leave it empty")
        return self._providers[npi]

    def _location_id(self, code: str | None) -> int | None:
        if code is None:
            return None
        if self._locations is None or code not in self._locations:
            self._locations = {c: i for i, c in self.db.exec(
                select(LocationRow.id, LocationRow.code)) if i is not None}
        if code not in self._locations:
            raise RowProblem("location", f"location {code!r} is not a known location; import the "
                                         "locations file first (see docs/import.md), or leave it "
                                         "empty")
        return self._locations[code]

    def _remember_patients(self, mrns: set[str]) -> None:
        missing = sorted(mrns - self._patients.keys())
        if not missing:
            return
        rows = self.db.exec(select(PatientRow.id, PatientRow.mrn, PatientRow.fhir_id).where(
            or_(col(PatientRow.mrn).in_(missing), col(PatientRow.fhir_id).in_(missing))))
        by_fhir_id: dict[str, int] = {}
        for pid, mrn, fhir_id in rows:
            assert pid is not None
            self._patients[mrn] = pid
            if fhir_id:
                by_fhir_id[fhir_id] = pid
        for reference in missing:
            if reference not in self._patients and reference in by_fhir_id:
                self._patients[reference] = by_fhir_id[reference]

    def _remember_providers(self, npis: set[str]) -> None:
        missing = sorted(npis - self._providers.keys())
        if missing:
            for pid, npi in self.db.exec(select(ProviderRow.id, ProviderRow.npi)
                                         .where(col(ProviderRow.npi).in_(missing))):
                assert pid is not None
                self._providers[npi] = pid

    def _remember_inserted(self, kind: str, chunk: Sequence[Pending]) -> None:
        if kind == "patients":
            self._remember_patients({p.record.mrn for p in chunk
                                     if isinstance(p.record, PatientIn)})
        elif kind == "providers":
            self._remember_providers({p.record.npi for p in chunk
                                      if isinstance(p.record, ProviderIn)})

    # -- reading and writing rows -----------------------------------------------------------

    def _existing(self, kind: str, batch: list[dict[str, Any]]) -> dict[tuple[Any, ...], Any]:
        if not batch:
            return {}
        table: Any = TABLES[kind]
        statement: Any
        if kind == "fees":
            statement = select(table).where(col(table.code).in_(sorted({v["code"] for v in batch})))
        elif kind in ("patients", "providers", "locations"):
            column = KEY_COLUMNS[kind][0]
            statement = select(table).where(col(getattr(table, column)).in_(
                sorted({v[column] for v in batch})))
        else:
            statement = select(table).where(col(table.patient_id).in_(
                sorted({v["patient_id"] for v in batch})))
            if kind == "sessions":
                statement = statement.where(col(table.date).in_(sorted({v["date"] for v in batch})))
        rows = list(self.db.exec(statement))
        if kind == "sessions":
            moved = self._booked_by_source(batch)
            self._codes = self._stored_codes([r.id for r in rows]
                                             + [r.id for r in moved if r.id not in
                                                {s.id for s in rows}])
        return {tuple(getattr(r, c) for c in KEY_COLUMNS[kind]): r for r in rows}

    def _booked_by_source(self, batch: list[dict[str, Any]]) -> list[SessionRow]:
        """The stored scheduled sessions whose source ids this batch names."""
        sources = sorted({v["source_id"] for v in batch if v.get("source_id")})
        self._by_source = {}
        if not sources:
            return []
        rows = list(self.db.exec(
            select(SessionRow).where(col(SessionRow.patient_id).in_(
                sorted({v["patient_id"] for v in batch})),
                col(SessionRow.source_id).in_(sources), col(SessionRow.status) == "scheduled")))
        for row in rows:
            assert row.source_id is not None
            self._by_source[(row.patient_id, row.source_id)] = row
        return rows

    def _moved(self, values: dict[str, Any]) -> SessionRow | None:
        return self._by_source.pop((values["patient_id"], values["source_id"]), None)

    def _stored_codes(self, session_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        codes: dict[int, list[dict[str, Any]]] = {i: [] for i in session_ids}
        if session_ids:
            lines = self.db.exec(select(SessionCodeRow)
                                 .where(col(SessionCodeRow.session_id).in_(session_ids))
                                 .order_by(col(SessionCodeRow.session_id),
                                           col(SessionCodeRow.position)))
            for line in lines:
                codes[line.session_id].append({
                    "code": line.code, "units": line.units, "modifiers": list(line.modifiers),
                    **{name: getattr(line, name) for name in DRUG_COLUMNS},
                    "levels": line.levels or None})
        return codes

    def _insert(self, kind: str, values: dict[str, Any]) -> SQLModel:
        row = TABLES[kind](**{k: v for k, v in values.items() if k != "codes"})
        self.db.add(row)
        return row

    def _update(self, kind: str, row: Any, values: dict[str, Any]) -> bool:
        if kind == "sessions" and row.status == "performed" and values["status"] != "performed":
            return False
        wanted = {k: v for k, v in values.items()
                  if not (k in _KEEP_WHEN_EMPTY and v is None)
                  and not (k == "codes" and not v and values.get("status") == "cancelled")}
        stored = self._stored_values(kind, row, wanted)
        changed = _differences(stored, wanted)
        if not changed:
            return False
        for name in changed:
            if name != "codes":
                setattr(row, name, wanted[name])
        if "codes" in changed:
            self.db.execute(delete(SessionCodeRow).where(col(SessionCodeRow.session_id) == row.id))
            self._write_codes(row.id, wanted["codes"])
        row.updated_at = utc_now()
        self.db.add(row)
        return True

    def _stored_values(self, kind: str, row: Any, wanted: dict[str, Any]) -> dict[str, Any]:
        stored = {k: getattr(row, k) for k in wanted if k != "codes"}
        if "codes" in wanted:
            stored["codes"] = self._codes.get(row.id, [])
        return stored

    def _write_codes(self, session_id: int, codes: Iterable[dict[str, Any]]) -> None:
        for position, line in enumerate(codes):
            self.db.add(SessionCodeRow(session_id=session_id, position=position, **line))


DRUG_COLUMNS = ("dose_mg", "wasted_mg", "container", "ndc")


def _line_values(line: CodeLine, levels: tuple[str, ...] = ()) -> dict[str, Any]:
    """A code line, with its spinal levels, as the columns of session_codes."""
    return {"code": line.code, "units": line.units, "modifiers": list(line.modifiers),
            **{name: getattr(line, name) for name in DRUG_COLUMNS},
            "levels": list(levels) or None}


def _differences(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [k for k in after if before.get(k) != after[k]]


def _conflict(kind: str, line: int, changed: list[str]) -> str:
    key = " and ".join(c.replace("_id", "") for c in KEY_COLUMNS[kind])
    return (f"repeats the {key} of line {line} with a different {', '.join(changed)}; "
            "keep one of the two rows")


def _mrns(chunk: Sequence[Pending]) -> set[str]:
    return {mrn for p in chunk if isinstance(mrn := getattr(p.record, "patient_mrn", None), str)}


def _npis(chunk: Sequence[Pending]) -> set[str]:
    return {p.record.provider_npi for p in chunk
            if isinstance(p.record, SessionIn) and p.record.provider_npi}
