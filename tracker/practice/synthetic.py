"""A synthetic pain practice, written straight into the store: for the demo, tests and benchmarks.

Deterministic for a seed. Every name, MRN, NPI, phone and email is obviously synthetic: patients
are "Synth000123" or "Scenario", MRNs start with "SYN-", phones are +1-555-555-01xx and emails
@example.org; NPIs carry a valid check digit but come from a block no real provider holds in our
data ("199...").

The practice has several providers, patients over the four shipped payers with their coverages,
18 months of performed history (epidurals in both regions, facet blocks and RFA, SI joint, trigger
points, stimulator trials and implants, with outcomes), conservative care, psychological
evaluations, and scheduled sessions in the next three weeks. Besides random background patients
it holds the deliberate scenario patients of `tracker.practice.scenarios`, so that across the
practice the pre-visit check raises every finding code of the check contract.

Rows go in with SQLAlchemy Core bulk inserts (lists of dicts, in chunks, ids assigned here), so the
same generator builds the benchmark network of 100,000 patients and 1,000,000 sessions.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlmodel import col

from tracker.codes import load_catalog
from tracker.practice.money_scenarios import FEE_SCHEDULE, FEES_FROM, capture_patients
from tracker.practice.scenarios import (
    EXEMPT_PROVIDER_INDEX,
    MAIN_STATE,
    TEXAS,
    CodeSpec,
    PlannedCoverage,
    PlannedPatient,
    PlannedSession,
    enough_care,
    held_exemptions,
    line,
    scenario_patients,
)
from tracker.store.database import analyze
from tracker.store.tables import (
    AuthorizationRow,
    ConservativeCareRow,
    CoverageRow,
    ExemptionRow,
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

PAYERS = ("medicare", "aetna", "cigna", "unitedhealthcare")
HORIZON_DAYS = 21
GIVEN_NAMES = ("Alex", "Blair", "Casey", "Drew", "Emery", "Finley", "Gray", "Harper", "Jordan",
               "Kai", "Logan", "Morgan", "Quinn", "Riley", "Sage", "Taylor")
# (codes, intent, muscles, relative weight): the procedures of a busy interventional pain practice
PROCEDURES: tuple[tuple[tuple[CodeSpec, ...], str | None, int | None, int], ...] = (
    ((line("64483"), line("J1010", 40)), None, None, 14),
    ((line("64483"), line("64484"), line("J1010", 40)), None, None, 8),
    ((line("64479"), line("J3301", 4)), None, None, 6),
    ((line("62323"), line("J1010", 80)), None, None, 12),
    ((line("62321"), line("J1010", 80)), None, None, 6),
    ((line("64493"), line("64494")), "diagnostic", None, 8),
    ((line("64490"),), "diagnostic", None, 4),
    ((line("64493", 1, "50"),), "therapeutic", None, 5),
    ((line("64635"), line("64636")), None, None, 5),
    ((line("64633"),), None, None, 2),
    ((line("27096"),), "diagnostic", None, 3),
    ((line("27096"), line("J1010", 40)), "therapeutic", None, 6),
    ((line("20552"),), None, 2, 7),
    ((line("20553"),), None, 4, 5),
    ((line("63650"),), "trial", None, 1),
    ((line("63650"), line("63685")), "permanent", None, 1),
)
_PROCEDURE_WEIGHTS = [weight for *_, weight in PROCEDURES]
RELIEF = (20, 35, 50, 60, 70, 80, 85, 90)
DURATIONS = (7, 30, 60, 100, 150, 200)
PLACES = ("11", "11", "11", "24", "22", "19")
# rows per INSERT round trip; patients are generated this many at a time to bound memory
_INSERT_CHUNK = 5000
_PATIENT_CHUNK = 5000


@dataclass(frozen=True)
class PracticeShape:
    """How big the synthetic practice is. Scenario patients count towards every figure."""

    patients: int = 300
    performed: int | None = None  # default: 8 per patient
    scheduled: int | None = None  # in the horizon; default: one patient in five
    history_months: int = 18
    providers: int | None = None  # default: 3, plus one per 2,500 patients, at most 40
    scenario_copies: int | None = None  # default: one set per 1,000 patients, at least one

    def resolved(self) -> tuple[int, int, int, int]:
        performed = self.performed if self.performed is not None else 8 * self.patients
        scheduled = self.scheduled if self.scheduled is not None else max(1, self.patients // 5)
        providers = self.providers or min(40, 3 + self.patients // 2500)
        copies = self.scenario_copies or max(1, self.patients // 1000)
        return performed, scheduled, providers, copies


@dataclass
class SeedReport:
    seed: int
    as_of: date
    providers: int = 0
    patients: int = 0
    performed: int = 0
    scheduled_in_horizon: int = 0
    scheduled_later: int = 0
    scenario_patients: int = 0
    counts: dict[str, int] = field(default_factory=dict)


class AlreadySeeded(Exception):
    """The database already holds the synthetic practice of this seed."""


def npi_with_check_digit(first_nine: str) -> str:
    """The NPI for nine digits: the Luhn check digit computed over "80840" + the digits."""
    digits = [int(d) for d in "80840" + first_nine]
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:  # rightmost of the payload is doubled: the check digit follows it
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return first_nine + str((10 - total % 10) % 10)


def npi_is_valid(npi: str) -> bool:
    return len(npi) == 10 and npi.isdigit() and npi_with_check_digit(npi[:9]) == npi


def synthetic_providers(seed: int, count: int) -> list[dict[str, Any]]:
    now = utc_now()
    rows = []
    for n in range(count):
        given = GIVEN_NAMES[(n + seed) % len(GIVEN_NAMES)]
        rows.append({
            "npi": npi_with_check_digit(f"199{seed % 1000:03d}{n:03d}"),
            "name": f"Dr. {given} Synthetic-{n + 1} (synthetic)",
            "phone": f"+1555555{100 + n % 100:04d}",
            "email": f"provider{n + 1}.seed{seed}@example.org",
            "time_zone": "America/New_York",
            "alert_channels": ["email"] if n % 3 else ["sms", "email"],
            "quiet_hours_start": time(21, 0), "quiet_hours_end": time(7, 0),
            "digest": n % 4 == 0, "created_at": now, "updated_at": now,
        })
    return rows


# Where the practice performs procedures (see scenarios.MAIN_STATE and TEXAS): in New Mexico its
# main clinic (the practice's own address), the hospital outpatient departments and the surgery
# center its providers operate in; in Texas a clinic and a surgery center. A session's place of
# service and state pick its location, so the two never disagree (the board flags a session whose
# place of service is not its location's: docs/readiness.md); a session in Texas at a hospital
# has no location recorded and keeps its own state.
LOCATIONS: tuple[dict[str, Any], ...] = (
    {"code": "SYN-MAIN", "name": "Lakeside Spine & Pain Main Clinic (synthetic)",
     "address": "200 Example Road NE, Albuquerque, NM 87101", "npi": "1555000003",
     "place_of_service": "11", "state": MAIN_STATE},
    {"code": "SYN-HOPD", "name": "Example General Hospital Outpatient Pain Center (synthetic)",
     "address": "400 Example Avenue NE, Albuquerque, NM 87102", "npi": "1555000029",
     "place_of_service": "22", "state": MAIN_STATE},
    {"code": "SYN-HOPD-OFF", "name": "Example General Hospital Westside Pain Clinic (synthetic)",
     "address": "500 Example Drive NW, Albuquerque, NM 87120", "npi": "1555000037",
     "place_of_service": "19", "state": MAIN_STATE},
    {"code": "SYN-ASC", "name": "Lakeside Spine & Pain Surgery Center (synthetic)",
     "address": "210 Example Road NE, Albuquerque, NM 87101", "npi": "1555000045",
     "place_of_service": "24", "state": MAIN_STATE},
    {"code": "SYN-TX", "name": "Lakeside Spine & Pain El Paso Surgery Center (synthetic)",
     "address": "300 Example Boulevard, El Paso, TX 79901", "npi": "1555000011",
     "place_of_service": "24", "state": TEXAS},
    {"code": "SYN-TX-CLINIC", "name": "Lakeside Spine & Pain El Paso Clinic (synthetic)",
     "address": "310 Example Boulevard, El Paso, TX 79901", "npi": "1555000052",
     "place_of_service": "11", "state": TEXAS},
)
# What a synthetic chart records of each kind of conservative care: its outcome, the drugs taken
# (medication) and how often a therapist saw the patient (visits per week).
_CARE_DETAIL: dict[str, tuple[str, str | None, float | None]] = {
    "physical_therapy": ("partial", None, 2.0),
    "chiropractic": ("partial", None, 1.0),
    "medication": ("no_relief", "naproxen 500 mg twice daily", None),
    "home_exercise": ("partial", None, None),
    "activity_modification": ("no_relief", None, None),
    "other": ("partial", None, None),
}


def care_detail(kind: str, start: date, end: date) -> dict[str, Any]:
    """The outcome, drugs and visits a synthetic chart records for an episode of care."""
    outcome, drugs, per_week = _CARE_DETAIL.get(kind, ("partial", None, None))
    visits = None if per_week is None else max(1, round((end - start).days / 7 * per_week))
    return {"outcome": outcome, "drugs": drugs, "visits": visits}


class _Background:
    """Random patients: history, care, evaluations, coverage, and (for some) a booked visit."""

    def __init__(self, rng: random.Random, as_of: date, history_months: int) -> None:
        self.rng, self.as_of = rng, as_of
        self.history_days = max(30, round(history_months * 30.44))

    def patient(self, number: int, performed: int, scheduled: int, later: int) -> PlannedPatient:
        rng = self.rng
        payer = rng.choice(PAYERS)
        p = PlannedPatient(given_name=rng.choice(GIVEN_NAMES), payer=payer,
                           family_name=f"Synth{number:06d}")
        p.coverages = self._coverages(payer)
        p.care = self._care()
        if rng.random() < 0.12:
            p.psych = [(self.as_of - timedelta(days=rng.randint(20, 500)),
                        "cleared" if rng.random() < 0.85 else "not_cleared")]
        days_back = rng.sample(range(1, self.history_days + 1), min(performed, self.history_days))
        p.sessions = [self._session(self.as_of - timedelta(days=d), "performed")
                      for d in sorted(days_back, reverse=True)]
        ahead = rng.sample(range(0, HORIZON_DAYS + 1), min(scheduled, HORIZON_DAYS + 1))
        ahead += rng.sample(range(HORIZON_DAYS + 1, HORIZON_DAYS + 60), later)
        p.sessions += [self._session(self.as_of + timedelta(days=d), "scheduled") for d in ahead]
        if number % 5 == 0:  # one patient in five is seen at the Texas location
            for session in p.sessions:
                session.service_state = TEXAS
        return p

    def _coverages(self, payer: str) -> list[PlannedCoverage]:
        rng, start = self.rng, self.as_of - timedelta(days=self.rng.randint(400, 2000))
        roll = rng.random()
        if roll < 0.06:  # switched payers during the history
            switch = self.as_of - timedelta(days=rng.randint(60, 300))
            old = rng.choice([p for p in PAYERS if p != payer])
            return [PlannedCoverage(old, start, switch - timedelta(days=1)),
                    PlannedCoverage(payer, switch)]
        coverages = [PlannedCoverage(payer, start)]
        if roll < 0.16:
            coverages.append(PlannedCoverage(rng.choice([p for p in PAYERS if p != payer]),
                                             start, rank="secondary"))
        return coverages

    def _care(self) -> list[tuple[str, date, date]]:
        roll = self.rng.random()
        if roll < 0.80:
            return enough_care(self.as_of, self.rng.randint(150, 320))
        if roll < 0.92:
            start = self.as_of - timedelta(days=self.rng.randint(60, 200))
            return [("home_exercise", start, start + timedelta(days=self.rng.randint(10, 40)))]
        return []

    def _session(self, day: date, status: str) -> PlannedSession:
        rng = self.rng
        codes, intent, muscles, _ = rng.choices(PROCEDURES, weights=_PROCEDURE_WEIGHTS)[0]
        session = PlannedSession(date=day, status=status, codes=codes, intent=intent,
                                 muscles=muscles, place_of_service=rng.choice(PLACES))
        if status == "performed" and rng.random() < 0.95:
            session.relief_percent = float(rng.choice(RELIEF))
            session.duration_days = rng.choice(DURATIONS)
        return session


def scores_of(session_id: int, relief: float | None) -> dict[str, Any]:
    """The pain (0-10) and ODI scores a synthetic chart records beside a session's relief: the
    score after falls by the relief. Derived from the session id, so seeding draws no more random
    numbers than before."""
    if relief is None:
        return {"pain_before": None, "pain_after": None, "function_scale": None,
                "function_before": None, "function_after": None}
    pain = 6 + session_id % 3
    disability = 40.0 + 2 * (session_id % 9)
    return {"pain_before": pain, "pain_after": round(pain * (1 - relief / 100)),
            "function_scale": "ODI", "function_before": disability,
            "function_after": float(round(disability * (1 - relief / 200)))}


# The study a synthetic chart holds before the first procedure in a region.
_IMAGED = {"lumbar_sacral": ("MRI", "lumbar spine", "Degenerative disc disease with a disc "
                             "protrusion narrowing the foramen, consistent with the symptoms "
                             "(synthetic)"),
           "cervical_thoracic": ("MRI", "cervical spine", "Degenerative changes with foraminal "
                                 "narrowing, consistent with the symptoms (synthetic)"),
           "sacroiliac": ("X-ray", "pelvis", "Sacroiliac joint sclerosis (synthetic)")}


def imaging_of(sessions: list[PlannedSession], as_of: date) -> dict[str, Any] | None:
    """One study, 30 days before the patient's first session (or before `as_of`, for a patient
    with none performed yet), of that session's region."""
    if not sessions:
        return None
    first = min(sessions, key=lambda s: s.date)
    catalog = load_catalog()
    regions = [entry.region for code, _, _ in first.codes
               if (entry := catalog.get(code)) is not None and entry.region in _IMAGED]
    if not regions:
        return None
    modality, region, impression = _IMAGED[str(regions[0])]
    return {"date": min(first.date, as_of) - timedelta(days=30), "modality": modality,
            "region": region,
            "impression": impression}


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` spread over `parts` as evenly as possible, the remainder at random."""
    if parts <= 0:
        return []
    base, extra = divmod(total, parts)
    counts = [base] * parts
    for index in rng.sample(range(parts), extra):
        counts[index] += 1
    return counts


class _Writer:
    """Turns planned patients into rows with ids, and inserts them chunk by chunk."""

    def __init__(self, connection: Connection, seed: int, provider_ids: list[int],
                 report: SeedReport, locations: dict[tuple[str, str], int] | None = None) -> None:
        self.connection, self.seed, self.provider_ids, self.report = connection, seed, provider_ids, report
        self.locations = locations or {}  # location id by state and place
        self.next_patient = _next_id(connection, PatientRow)
        self.next_session = _next_id(connection, SessionRow)
        self.now = utc_now()

    def write(self, patients: list[PlannedPatient]) -> None:
        rows: dict[str, list[dict[str, Any]]] = {
            "patients": [], "coverages": [], "sessions": [], "codes": [], "care": [], "psych": [],
            "imaging": [], "authorizations": []}
        for planned in patients:
            self._rows_of(planned, rows)
        for model, key in ((PatientRow, "patients"), (CoverageRow, "coverages"),
                           (SessionRow, "sessions"), (SessionCodeRow, "codes"),
                           (ConservativeCareRow, "care"), (PsychEvaluationRow, "psych"),
                           (ImagingStudyRow, "imaging"), (AuthorizationRow, "authorizations")):
            for start in range(0, len(rows[key]), _INSERT_CHUNK):
                self.connection.execute(insert(model), rows[key][start:start + _INSERT_CHUNK])
            self.report.counts[key] = self.report.counts.get(key, 0) + len(rows[key])

    def _rows_of(self, planned: PlannedPatient, rows: dict[str, list[dict[str, Any]]]) -> None:
        pid, now = self.next_patient, self.now
        self.next_patient += 1
        self.report.patients += 1
        rows["patients"].append({
            "id": pid, "mrn": f"SYN-{self.seed}-{pid:07d}", "fhir_id": None,
            "family_name": planned.family_name, "given_name": planned.given_name,
            "birth_date": date(1940 + pid % 55, 1 + pid % 12, 1 + pid % 28),
            "created_at": now, "updated_at": now})
        coverages = planned.coverages or [PlannedCoverage(planned.payer, date(2020, 1, 1))]
        for c in coverages:
            rows["coverages"].append({
                "patient_id": pid, "payer": c.payer, "member_id": f"SYN{pid:08d}{c.payer[:2].upper()}",
                "effective_start": c.start, "effective_end": c.end, "rank": c.rank,
                "plan_type": c.plan_type, "created_at": now, "updated_at": now})
        index = pid if planned.provider_index is None else planned.provider_index
        provider = self.provider_ids[index % len(self.provider_ids)]
        for s in planned.sessions:
            sid = self.next_session
            self.next_session += 1
            location = self.locations.get((s.service_state or "", s.place_of_service))
            rows["sessions"].append({
                "id": sid, "patient_id": pid, "provider_id": provider, "date": s.date,
                "status": s.status, "place_of_service": s.place_of_service, "intent": s.intent,
                "muscles": s.muscles, "relief_percent": s.relief_percent,
                "duration_days": s.duration_days, "diagnoses": diagnoses_for(s.codes),
                "guidance": s.guidance, "drugs_given": s.drugs_given,
                # the state comes from the location, as in a practice that records locations;
                # a state without a location stays the session's own
                "location_id": location,
                "service_state": None if location is not None else s.service_state,
                **scores_of(sid, s.relief_percent if s.status == "performed" else None),
                "created_at": now, "updated_at": now})
            if s.authorization is not None:
                payer, program, status, decided = s.authorization
                at = datetime(decided.year, decided.month, decided.day, 15, tzinfo=UTC)
                rows["authorizations"].append({
                    "session_id": sid, "payer": payer, "program": program, "status": status,
                    "missing_items": [], "flags": [], "priority": "standard", "checks": 0,
                    "auth_number": f"UTN{sid:08d}" if status == "approved" else None,
                    "submitted_at": at - timedelta(days=2), "decided_at": at,
                    "created_at": at - timedelta(days=2), "updated_at": at})
            given: set[str] = set()
            for position, (code, units, modifiers) in enumerate(s.codes):
                drug: dict[str, Any] = {}
                if code in s.drugs and code not in given and "JW" not in modifiers:
                    drug = s.drugs[code]
                    given.add(code)
                rows["codes"].append({"session_id": sid, "position": position, "code": code,
                                      "units": units, "modifiers": list(modifiers),
                                      **{k: drug.get(k) for k in DRUG_COLUMNS}})
            if s.status == "performed":
                self.report.performed += 1
            elif s.date <= self.report.as_of + timedelta(days=HORIZON_DAYS):
                self.report.scheduled_in_horizon += 1
            else:
                self.report.scheduled_later += 1
        for kind, start, end in planned.care:
            rows["care"].append({"patient_id": pid, "kind": kind, "start": start, "end": end,
                                 **care_detail(kind, start, end),
                                 "created_at": now, "updated_at": now})
        for day, result in planned.psych:
            rows["psych"].append({"patient_id": pid, "date": day, "result": result,
                                  "evaluator": f"Dr. Robin Synthetic-{pid % 7 + 1}, PhD (synthetic)",
                                  "created_at": now, "updated_at": now})
        study = imaging_of(planned.sessions, self.report.as_of)
        if study is not None:
            rows["imaging"].append({"patient_id": pid, **study, "created_at": now,
                                    "updated_at": now})


def _exemptions(connection: Connection, as_of: date, provider_ids: list[int]) -> None:
    """The exemption letters of the synthetic practice, for its exempt provider."""
    npi = connection.execute(select(col(ProviderRow.npi)).where(
        col(ProviderRow.id) == provider_ids[EXEMPT_PROVIDER_INDEX % len(provider_ids)])).scalar_one()
    for letter in held_exemptions(as_of):
        connection.execute(insert(ExemptionRow), [{
            **letter, "codes": [], "provider_npi": npi, "recorded_by": "synthetic practice",
            "created_at": utc_now()}])


def _fee_schedule(connection: Connection) -> None:
    """The seed's average fees, for every payer, unless the practice has its own on file."""
    if connection.execute(select(col(FeeRow.id)).limit(1)).first():
        return
    now = utc_now()
    connection.execute(insert(FeeRow), [
        {"payer": "*", "code": code, "amount_cents": cents, "per_unit": True,
         "effective_start": FEES_FROM, "effective_end": None, "created_at": now,
         "updated_at": now} for code, cents in FEE_SCHEDULE.items()])


def _next_id(connection: Connection, model: Any) -> int:
    return int(connection.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one()) + 1


def _advance_sequences(connection: Connection) -> None:
    """PostgreSQL: move the id sequences past the ids assigned here."""
    if connection.dialect.name != "postgresql":
        return
    for table in ("patients", "sessions", "coverages", "session_codes", "conservative_care",
                  "psych_evaluations", "imaging_studies", "providers", "locations"):
        connection.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"))


def _locations(connection: Connection) -> dict[tuple[str, str], int]:
    """The practice's locations (written once, whatever the seed), by state and place of
    service."""
    codes = [location["code"] for location in LOCATIONS]
    query = select(col(LocationRow.code), col(LocationRow.id)).where(col(LocationRow.code).in_(codes))
    existing = {code for code, _ in connection.execute(query)}
    now = utc_now()
    missing = [{**location, "created_at": now, "updated_at": now}
               for location in LOCATIONS if location["code"] not in existing]
    if missing:
        connection.execute(insert(LocationRow), missing)
    ids: dict[str, int] = {code: lid for code, lid in connection.execute(query) if lid is not None}
    return {(location["state"], location["place_of_service"]): ids[location["code"]]
            for location in LOCATIONS}


def _providers(connection: Connection, seed: int, count: int, report: SeedReport) -> list[int]:
    wanted = synthetic_providers(seed, count)
    npis = [p["npi"] for p in wanted]
    query = select(col(ProviderRow.npi), col(ProviderRow.id)).where(col(ProviderRow.npi).in_(npis))
    existing = {npi for npi, _ in connection.execute(query)}
    missing = [p for p in wanted if p["npi"] not in existing]
    if missing:
        connection.execute(insert(ProviderRow), missing)
    report.providers = count
    ids: dict[str, int] = {npi: pid for npi, pid in connection.execute(query) if pid is not None}
    return [ids[npi] for npi in npis]


def _background_plan(shape: PracticeShape, background: int, rng: random.Random,
                     scenario_performed: int, scenario_scheduled: int
                     ) -> Iterator[tuple[int, int, int]]:
    """(performed, scheduled in horizon, scheduled later) for each background patient."""
    performed_total, scheduled_total, _, _ = shape.resolved()
    performed = _split(max(0, performed_total - scenario_performed), background, rng)
    booked = [0] * background
    wanted = max(0, scheduled_total - scenario_scheduled)
    if background:
        for index in range(wanted):
            booked[index % background] += 1
        rng.shuffle(booked)
    for index in range(background):
        later = 1 if rng.random() < 0.03 else 0
        yield performed[index], booked[index], later


def seed_practice(engine: Engine, *, seed: int = 7, as_of: date | None = None,
                  shape: PracticeShape | None = None) -> SeedReport:
    """Write a synthetic practice into the (migrated) database behind `engine`."""
    shape = shape or PracticeShape()
    day = as_of or date.today()
    rng = random.Random(seed)
    _, _, provider_count, copies = shape.resolved()
    report = SeedReport(seed=seed, as_of=day)
    scenarios = scenario_patients(day, copies)
    report.scenario_patients = len(scenarios)
    scenario_performed = sum(1 for p in scenarios for s in p.sessions if s.status == "performed")
    scenario_scheduled = sum(1 for p in scenarios for s in p.sessions if s.status == "scheduled")
    background = max(0, shape.patients - len(scenarios))
    with engine.begin() as connection:
        prefix = f"SYN-{seed}-"
        if connection.execute(select(col(PatientRow.id))
                              .where(col(PatientRow.mrn).startswith(prefix)).limit(1)).first():
            raise AlreadySeeded(f"the database already holds the synthetic practice of seed {seed} "
                                f"(MRNs {prefix}…); use another --seed or a fresh database")
        provider_ids = _providers(connection, seed, provider_count, report)
        writer = _Writer(connection, seed, provider_ids, report, _locations(connection))
        writer.write(scenarios)
        writer.write(capture_patients(day))
        _exemptions(connection, day, provider_ids)
        _fee_schedule(connection)
        maker = _Background(rng, day, shape.history_months)
        chunk: list[PlannedPatient] = []
        for number, (performed, booked, later) in enumerate(
                _background_plan(shape, background, rng, scenario_performed, scenario_scheduled)):
            chunk.append(maker.patient(number + 1, performed, booked, later))
            if len(chunk) >= _PATIENT_CHUNK:
                writer.write(chunk)
                chunk = []
        writer.write(chunk)
        _advance_sequences(connection)
    analyze(engine)
    return report


DRUG_COLUMNS = ("dose_mg", "wasted_mg", "container", "ndc")

# ICD-10-CM codes a pain practice would record for each family and region (synthetic charts).
_DIAGNOSES: dict[tuple[str, str | None], list[str]] = {
    ("esi_transforaminal", "lumbar_sacral"): ["M54.16", "M51.16"],
    ("esi_interlaminar", "lumbar_sacral"): ["M54.16", "M48.062"],
    ("esi_transforaminal", "cervical_thoracic"): ["M54.12", "M50.11"],
    ("esi_interlaminar", "cervical_thoracic"): ["M54.12"],
    ("facet_injection", "lumbar_sacral"): ["M47.816", "M54.50"],
    ("facet_injection", "cervical_thoracic"): ["M47.812", "M54.2"],
    ("facet_rfa", "lumbar_sacral"): ["M47.816"],
    ("facet_rfa", "cervical_thoracic"): ["M47.812"],
    ("si_injection", "sacroiliac"): ["M46.1", "M53.2X8"],
    ("si_rfa", "sacroiliac"): ["M46.1"],
    ("trigger_point", None): ["M79.18"],
    ("scs", None): ["M96.1", "G89.4"],
}


def diagnoses_for(codes: tuple[CodeSpec, ...]) -> list[str]:
    """The diagnoses charted for a session's procedures (empty when no code is a procedure)."""
    catalog = load_catalog()
    found: list[str] = []
    for code, _units, _modifiers in codes:
        entry = catalog.get(code)
        for diagnosis in _DIAGNOSES.get((entry.family, entry.region), []) if entry else []:
            if diagnosis not in found:
                found.append(diagnosis)
    return found
