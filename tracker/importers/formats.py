"""The documented import formats: the columns of each kind of row, and what a valid row becomes.

A FHIR resource is flattened into the same columns first (see `fhir_bundle`), so CSV rows and FHIR
resources pass through exactly the same checks. `docs/import.md` documents every column.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from tracker.importers import fields
from tracker.importers.errors import RowProblem
from tracker.importers.fields import Row
from tracker.rules.charges import GUIDANCE_MODALITIES, DrugGiven
from tracker.rules.policy_files import US_STATES
from tracker.rules.programs import PLAN_TYPES
from tracker.rules.session import CARE_KINDS, INTENTS, PSYCH_RESULTS, CodeLine
from tracker.store.tables import COVERAGE_RANKS, SESSION_STATUSES

ALERT_CHANNELS: tuple[str, ...] = ("sms", "email")
# How a conservative-care episode ended, as the reviewer reads it.
CARE_OUTCOMES: tuple[str, ...] = ("no_relief", "partial", "good")
DEFAULT_TIME_ZONE = "America/New_York"
# What an imaging study was, as the import takes it (any case) and stores it.
IMAGING_MODALITIES: tuple[str, ...] = ("MRI", "CT", "X-ray", "myelogram", "EMG", "ultrasound",
                                       "bone scan", "discogram")
# A session's function score: the instrument and the range its scores take.
FUNCTION_SCALES: dict[str, tuple[float, float]] = {"ODI": (0, 100), "NDI": (0, 100),
                                                   "PDI": (0, 70), "RMDQ": (0, 24)}


@dataclass(frozen=True, slots=True)
class PatientIn:
    mrn: str
    family_name: str
    given_name: str
    birth_date: date
    fhir_id: str | None = None

    @property
    def key(self) -> Hashable:
        return self.mrn


@dataclass(frozen=True, slots=True)
class CoverageIn:
    patient_mrn: str
    payer: str
    member_id: str
    effective_start: date
    effective_end: date | None
    rank: str
    plan_type: str | None = None

    @property
    def key(self) -> Hashable:
        return (self.patient_mrn, self.payer, self.member_id, self.effective_start)


@dataclass(frozen=True, slots=True)
class ProviderIn:
    npi: str
    name: str
    phone: str | None
    email: str | None
    time_zone: str
    alert_channels: tuple[str, ...]
    quiet_hours_start: time | None
    quiet_hours_end: time | None
    digest: bool

    @property
    def key(self) -> Hashable:
        return self.npi


@dataclass(frozen=True, slots=True)
class LocationIn:
    code: str
    name: str
    address: str
    npi: str | None
    place_of_service: str
    state: str | None

    @property
    def key(self) -> Hashable:
        return self.code


@dataclass(frozen=True, slots=True)
class SessionIn:
    patient_mrn: str
    date: date
    status: str
    codes: tuple[CodeLine, ...]
    place_of_service: str
    intent: str | None
    muscles: int | None
    relief_percent: float | None
    duration_days: int | None
    provider_npi: str | None
    diagnoses: tuple[str, ...] | None = None
    medication_reduction_percent: float | None = None
    service_state: str | None = None
    rfa_not_an_option: str | None = None
    source_id: str | None = None  # the booking's id in the practice system, if the export has it
    location: str | None = None  # the code of the location it is performed at
    levels: tuple[tuple[str, ...], ...] = ()  # the spinal levels of each code line, if any
    guidance: str | None = None  # the imaging guidance the procedure note documents
    drugs_given: tuple[DrugGiven, ...] = ()  # the drugs it documents as given
    pain_before: int | None = None  # 0-10 numeric rating scale
    pain_after: int | None = None
    function_scale: str | None = None  # one of FUNCTION_SCALES
    function_before: float | None = None
    function_after: float | None = None

    @property
    def key(self) -> Hashable:
        return (self.patient_mrn, self.date)


@dataclass(frozen=True, slots=True)
class FeeIn:
    payer: str
    code: str
    amount_cents: int
    effective_start: date
    effective_end: date | None
    per_unit: bool

    @property
    def key(self) -> Hashable:
        return (self.payer, self.code, self.effective_start)


@dataclass(frozen=True, slots=True)
class ConservativeCareIn:
    patient_mrn: str
    kind: str
    start: date
    end: date
    outcome: str | None = None
    drugs: str | None = None
    visits: int | None = None

    @property
    def key(self) -> Hashable:
        return (self.patient_mrn, self.kind, self.start)


@dataclass(frozen=True, slots=True)
class PsychEvaluationIn:
    patient_mrn: str
    date: date
    result: str
    evaluator: str | None = None

    @property
    def key(self) -> Hashable:
        return (self.patient_mrn, self.date)


@dataclass(frozen=True, slots=True)
class ImagingStudyIn:
    patient_mrn: str
    date: date
    modality: str
    region: str
    impression: str | None = None

    @property
    def key(self) -> Hashable:
        return (self.patient_mrn, self.date, self.modality, self.region)


Incoming = (PatientIn | CoverageIn | ProviderIn | LocationIn | SessionIn | ConservativeCareIn
            | PsychEvaluationIn | ImagingStudyIn | FeeIn)


@dataclass(frozen=True)
class Format:
    kind: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    read: Callable[[Row, date], Incoming]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


def read_patient(row: Row, today: date) -> PatientIn:
    return PatientIn(
        mrn=_identifier(row, "mrn"),
        family_name=fields.required_text(row, "family_name"),
        given_name=fields.required_text(row, "given_name"),
        birth_date=fields.required_date(row, "birth_date", not_after=today),
        fhir_id=fields.identifier(row, "fhir_id", required=False),
    )


def read_coverage(row: Row, today: date) -> CoverageIn:
    start = fields.required_date(row, "effective_start")
    end = fields.iso_date(row, "effective_end", required=False)
    if end is not None and end < start:
        raise RowProblem("effective_end", f"effective_end {end} is before effective_start {start}")
    return CoverageIn(
        patient_mrn=_identifier(row, "patient_mrn"),
        payer=fields.payer_id(row, "payer"),
        member_id=fields.required_text(row, "member_id", max_length=64),
        effective_start=start,
        effective_end=end,
        rank=fields.choice(row, "rank", COVERAGE_RANKS, default="primary") or "primary",
        plan_type=fields.choice(row, "plan_type", PLAN_TYPES),
    )


def read_provider(row: Row, today: date) -> ProviderIn:
    npi = fields.npi(row, "npi")
    assert npi is not None
    phone = fields.phone(row, "phone")
    email = fields.email(row, "email")
    channels = fields.word_list(row, "alert_channels", ALERT_CHANNELS)
    if channels is None:
        channels = tuple(c for c, contact in (("sms", phone), ("email", email)) if contact)
    if "sms" in channels and phone is None:
        raise RowProblem("alert_channels", "alert_channels has sms but phone is empty; add the "
                                           "provider's mobile number or remove sms")
    if "email" in channels and email is None:
        raise RowProblem("alert_channels", "alert_channels has email but email is empty; add the "
                                           "provider's address or remove email")
    quiet_start = fields.clock_time(row, "quiet_hours_start")
    quiet_end = fields.clock_time(row, "quiet_hours_end")
    if (quiet_start is None) != (quiet_end is None):
        missing = "quiet_hours_end" if quiet_end is None else "quiet_hours_start"
        raise RowProblem(missing, f"{missing} is empty; give both quiet_hours_start and "
                                  "quiet_hours_end, or neither")
    return ProviderIn(
        npi=npi,
        name=fields.required_text(row, "name", max_length=200),
        phone=phone,
        email=email,
        time_zone=fields.time_zone(row, "time_zone", default=DEFAULT_TIME_ZONE),
        alert_channels=channels,
        quiet_hours_start=quiet_start,
        quiet_hours_end=quiet_end,
        digest=fields.yes_no(row, "digest"),
    )


def read_location(row: Row, today: date) -> LocationIn:
    return LocationIn(
        code=_identifier(row, "code"),
        name=fields.required_text(row, "name", max_length=200),
        address=fields.required_text(row, "address", max_length=300),
        npi=fields.npi(row, "npi", required=False),
        place_of_service=fields.place_of_service(row, "place_of_service"),
        state=_state(row, "state"),
    )


def read_session(row: Row, today: date) -> SessionIn:
    status = fields.required_choice(row, "status", SESSION_STATUSES)
    performed = status == "performed"
    day = fields.required_date(row, "date", not_after=today if performed else None)
    relief = fields.percent(row, "relief_percent")
    duration = fields.whole_number(row, "duration_days")
    reduction = fields.percent(row, "medication_reduction_percent")
    pain_before, pain_after = (fields.pain_score(row, "pain_before"),
                               fields.pain_score(row, "pain_after"))
    scale, function_before, function_after = _function_scores(row)
    if not performed:
        for name, value in (("relief_percent", relief), ("duration_days", duration),
                            ("medication_reduction_percent", reduction),
                            ("pain_before", pain_before), ("pain_after", pain_after),
                            ("function_before", function_before),
                            ("function_after", function_after)):
            if value is not None:
                raise RowProblem(name, f"{name} is recorded only for performed sessions; this one "
                                       f"is {status}: leave it empty")
    codes = fields.with_drug_details(
        row, "drugs", fields.code_lines(row, "codes", required=status != "cancelled"))
    guidance = fields.choice(row, "guidance", GUIDANCE_MODALITIES)
    given = fields.drugs_given(row, "drugs_given")
    if not performed:
        for name, present in (("guidance", guidance is not None), ("drugs_given", bool(given))):
            if present:
                raise RowProblem(name, f"{name} documents what was done, so it is recorded only "
                                       f"for performed sessions; this one is {status}: leave it "
                                       "empty")
    return SessionIn(
        patient_mrn=_identifier(row, "patient_mrn"),
        date=day,
        status=status,
        codes=codes,
        place_of_service=fields.place_of_service(row, "place_of_service"),
        intent=fields.choice(row, "intent", INTENTS),
        muscles=fields.whole_number(row, "muscles"),
        relief_percent=relief,
        duration_days=duration,
        provider_npi=fields.npi(row, "provider_npi", required=False),
        diagnoses=fields.diagnoses(row, "diagnoses"),
        medication_reduction_percent=reduction,
        service_state=_state(row, "service_state"),
        rfa_not_an_option=(row.get("rfa_not_an_option") or "").strip()[:2000] or None,
        source_id=fields.identifier(row, "source_id", required=False),
        location=fields.identifier(row, "location", required=False),
        levels=fields.line_levels(row, "levels", codes),
        guidance=guidance,
        drugs_given=given,
        pain_before=pain_before,
        pain_after=pain_after,
        function_scale=scale,
        function_before=function_before,
        function_after=function_after,
    )


def _function_scores(row: Row) -> tuple[str | None, float | None, float | None]:
    """`function_scale` ODI with `function_before` 48 and `function_after` 30: the instrument and
    its scores, each inside the instrument's range."""
    text = (row.get("function_scale") or "").strip().upper()
    scale = text or None
    if scale is not None and scale not in FUNCTION_SCALES:
        raise RowProblem("function_scale", f"function_scale {text!r} is not one of: "
                                           f"{', '.join(FUNCTION_SCALES)}")
    scores: list[float | None] = []
    for name in ("function_before", "function_after"):
        value = (row.get(name) or "").strip()
        if not value:
            scores.append(None)
            continue
        if scale is None:
            raise RowProblem("function_scale", f"function_scale is empty but {name} is {value}; "
                                               "name the instrument, e.g. ODI")
        low, high = FUNCTION_SCALES[scale]
        try:
            score = float(value)
        except ValueError:
            score = float("nan")
        if not low <= score <= high:
            raise RowProblem(name, f"{name} {value!r} is not a {scale} score; use a number from "
                                   f"{low:g} to {high:g}")
        scores.append(score)
    return scale, scores[0], scores[1]


def _state(row: Row, name: str) -> str | None:
    value = (row.get(name) or "").strip().upper()
    if not value:
        return None
    if value not in US_STATES:
        raise RowProblem(name, f"{name} {row.get(name)!r} is not a two-letter USPS state code "
                               "such as TX")
    return value


def read_conservative_care(row: Row, today: date) -> ConservativeCareIn:
    start = fields.required_date(row, "start", not_after=today)
    end = fields.required_date(row, "end")
    if end < start:
        raise RowProblem("end", f"end {end} is before start {start}")
    return ConservativeCareIn(
        patient_mrn=_identifier(row, "patient_mrn"),
        kind=fields.required_choice(row, "kind", CARE_KINDS),
        start=start,
        end=end,
        outcome=fields.choice(row, "outcome", CARE_OUTCOMES),
        drugs=fields.text(row, "drugs", required=False, max_length=200),
        visits=fields.whole_number(row, "visits"),
    )


def read_fee(row: Row, today: date) -> FeeIn:
    start = fields.required_date(row, "effective_start")
    end = fields.iso_date(row, "effective_end", required=False)
    if end is not None and end < start:
        raise RowProblem("effective_end", f"effective_end {end} is before effective_start {start}")
    return FeeIn(payer=fields.fee_payer(row, "payer"), code=fields.procedure_code(row, "code"),
                 amount_cents=fields.cents(row, "amount"), effective_start=start,
                 effective_end=end, per_unit=fields.yes_no(row, "per_unit", default=True))


def read_psych_evaluation(row: Row, today: date) -> PsychEvaluationIn:
    return PsychEvaluationIn(
        patient_mrn=_identifier(row, "patient_mrn"),
        date=fields.required_date(row, "date", not_after=today),
        result=fields.required_choice(row, "result", PSYCH_RESULTS),
        evaluator=fields.text(row, "evaluator", required=False, max_length=120),
    )


def read_imaging_study(row: Row, today: date) -> ImagingStudyIn:
    text = (row.get("modality") or "").strip()
    modality = next((m for m in IMAGING_MODALITIES if m.lower() == text.lower()), None)
    if modality is None:
        raise RowProblem("modality", f"modality {text!r} is not one of: "
                                     f"{', '.join(IMAGING_MODALITIES)}" if text else
                         f"modality is empty; use one of: {', '.join(IMAGING_MODALITIES)}")
    return ImagingStudyIn(
        patient_mrn=_identifier(row, "patient_mrn"),
        date=fields.required_date(row, "date", not_after=today),
        modality=modality,
        region=fields.required_text(row, "region", max_length=32).lower(),
        impression=fields.text(row, "impression", required=False, max_length=2000),
    )


def _identifier(row: Row, name: str) -> str:
    value = fields.identifier(row, name)
    assert value is not None
    return value


# In load order: what a row refers to is loaded before it.
FORMATS: dict[str, Format] = {f.kind: f for f in (
    Format("patients", ("mrn", "family_name", "given_name", "birth_date"), ("fhir_id",),
           read_patient),
    Format("providers", ("npi", "name"),
           ("phone", "email", "time_zone", "alert_channels", "quiet_hours_start",
            "quiet_hours_end", "digest"), read_provider),
    Format("locations", ("code", "name", "address"), ("npi", "place_of_service", "state"),
           read_location),
    Format("coverages", ("patient_mrn", "payer", "member_id", "effective_start"),
           ("effective_end", "rank", "plan_type"), read_coverage),
    Format("conservative_care", ("patient_mrn", "kind", "start", "end"),
           ("outcome", "drugs", "visits"),
           read_conservative_care),
    Format("psych_evaluations", ("patient_mrn", "date", "result"), ("evaluator",),
           read_psych_evaluation),
    Format("imaging", ("patient_mrn", "date", "modality", "region"), ("impression",),
           read_imaging_study),
    Format("sessions", ("patient_mrn", "date", "status", "codes"),
           ("place_of_service", "intent", "muscles", "relief_percent", "duration_days",
            "provider_npi", "diagnoses", "medication_reduction_percent", "service_state",
            "rfa_not_an_option", "source_id", "drugs", "location", "levels", "pain_before",
            "pain_after", "function_scale", "function_before", "function_after", "guidance",
            "drugs_given"),
           read_session),
    Format("fees", ("payer", "code", "amount", "effective_start"), ("effective_end", "per_unit"),
           read_fee),
)}
KINDS: tuple[str, ...] = tuple(FORMATS)


def kind_order(kind: str) -> int:
    return KINDS.index(kind) if kind in KINDS else len(KINDS)


def as_row(values: Mapping[str, Any]) -> dict[str, str | None]:
    """A FHIR-derived mapping as CSV-like text, so it passes the same checks."""
    return {k: None if v is None else str(v) for k, v in values.items()}
