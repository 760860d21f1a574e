"""The application database: one SQLModel class per table.

Natural keys (the ones imports upsert on) are unique constraints: a patient's MRN, a provider's
NPI, a session's (patient, date of service) — a session is one patient, one date — and so on.
Times are stored in UTC. Only synthetic patients ever belong in a development database.

Classes end in `Row` so they never shadow `sqlmodel.Session` or the engine's own `Session`,
`PsychEvaluation` and friends in `tracker.rules.session`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

# Stable constraint names, so migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SESSION_STATUSES: tuple[str, ...] = ("performed", "scheduled", "cancelled")
COVERAGE_RANKS: tuple[str, ...] = ("primary", "secondary", "tertiary")
AUTHORIZATION_STATUSES: tuple[str, ...] = (
    "needed", "documentation_missing", "ready", "submitted", "pended", "approved", "partial",
    "denied", "expired", "cancelled", "not_required",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _stamp() -> Any:
    return Field(default_factory=utc_now, sa_type=DateTime(timezone=True))


def _parent(table: str, *, nullable: bool = False, index: bool = True) -> Any:
    return Field(default=None if nullable else ...,
                 foreign_key=f"{table}.id", nullable=nullable, index=index,
                 ondelete="CASCADE" if not nullable else "SET NULL")


class PatientRow(SQLModel, table=True):
    __tablename__ = "patients"

    id: int | None = Field(default=None, primary_key=True)
    mrn: str = Field(max_length=64, unique=True, description="the practice's medical record number")
    fhir_id: str | None = Field(default=None, max_length=64, index=True)
    family_name: str = Field(max_length=100)
    given_name: str = Field(max_length=100)
    birth_date: date
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class CoverageRow(SQLModel, table=True):
    __tablename__ = "coverages"
    __table_args__ = (
        UniqueConstraint("patient_id", "payer", "member_id", "effective_start"),
        Index("ix_coverages_patient_id_effective_start", "patient_id", "effective_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = _parent("patients", index=False)
    payer: str = Field(max_length=64, description="a payer policy id, e.g. medicare")
    member_id: str = Field(max_length=64)
    effective_start: date
    effective_end: date | None = None
    rank: str = Field(default="primary", max_length=16)
    plan_type: str | None = Field(default=None, max_length=32,
                                  description="commercial, medicare_advantage, medicaid_chip or "
                                  "marketplace; none for traditional Medicare")
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class ProviderRow(SQLModel, table=True):
    __tablename__ = "providers"

    id: int | None = Field(default=None, primary_key=True)
    npi: str = Field(max_length=10, unique=True)
    name: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=20, description="E.164, e.g. +15555550123")
    email: str | None = Field(default=None, max_length=254)
    time_zone: str = Field(default="America/New_York", max_length=64)
    alert_channels: list[str] = Field(default_factory=list, sa_type=JSON)
    quiet_hours_start: time | None = None
    quiet_hours_end: time | None = None
    digest: bool = False
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class LocationRow(SQLModel, table=True):
    """A place the practice performs procedures: a clinic, an ASC, a hospital outpatient
    department. Its state is where a session there is performed (a payer program's state)."""

    __tablename__ = "locations"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, description="what a session's location names")
    name: str = Field(max_length=200)
    address: str = Field(max_length=300)
    npi: str | None = Field(default=None, max_length=10, description="the facility's NPI")
    place_of_service: str = Field(default="11", max_length=2)
    state: str | None = Field(default=None, max_length=2, description="USPS state code")
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class SessionRow(SQLModel, table=True):
    """Everything done (or booked) for one patient on one date of service."""

    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("patient_id", "date"),
        Index("ix_sessions_status_date", "status", "date"),
        Index("ix_sessions_provider_id_date", "provider_id", "date"),
        Index("ix_sessions_patient_id_source_id", "patient_id", "source_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = _parent("patients", index=False)
    provider_id: int | None = _parent("providers", nullable=True, index=False)
    location_id: int | None = _parent("locations", nullable=True, index=False)
    date: date
    status: str = Field(max_length=16)
    place_of_service: str = Field(default="11", max_length=2)
    intent: str | None = Field(default=None, max_length=16)
    muscles: int | None = None
    relief_percent: float | None = None
    duration_days: int | None = None
    medication_reduction_percent: float | None = Field(
        default=None, description="the fall in analgesic use after the session, 0-100")
    pain_before: int | None = Field(
        default=None, description="pain score before the session, 0-10 numeric rating scale")
    pain_after: int | None = Field(
        default=None, description="pain score after the session, on the same 0-10 scale")
    function_scale: str | None = Field(
        default=None, max_length=16, description="the function instrument scored, e.g. ODI, NDI")
    function_before: float | None = Field(
        default=None, description="function score before the session, on function_scale")
    function_after: float | None = Field(
        default=None, description="function score after the session, on function_scale")
    service_state: str | None = Field(
        default=None, max_length=2, description="USPS code of the state the session is performed "
        "in, when the place differs from PAINAUTH_PRACTICE_STATE")
    rfa_not_an_option: str | None = Field(
        default=None, sa_type=Text, description="why radiofrequency ablation is not an option "
        "(Medicare asks for it with a therapeutic facet injection)")
    diagnoses: list[str] | None = Field(default=None, sa_type=JSON,
                                        description="ICD-10-CM codes, primary first")
    guidance: str | None = Field(default=None, max_length=16,
                                 description="the imaging guidance the procedure note documents: "
                                 "fluoroscopy, ct, ultrasound or none")
    drugs_given: list[dict[str, Any]] | None = Field(
        default=None, sa_type=JSON, description="the drugs the procedure note documents as given: "
        "[{code, dose_mg, wasted_mg}]")
    source_id: str | None = Field(default=None, max_length=64,
                                  description="the booking's id in the practice system, so a "
                                  "re-import with a new date moves the session (and its "
                                  "authorization) instead of booking another")
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class SessionCodeRow(SQLModel, table=True):
    """One billed line of a session: a CPT/HCPCS code with its units and modifiers; a drug line
    may also say the dose given, the amount discarded, its container and its NDC."""

    __tablename__ = "session_codes"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = _parent("sessions", index=False)
    position: int = Field(description="order of the line within the session, from 0")
    code: str = Field(max_length=5)
    units: int = 1
    modifiers: list[str] = Field(default_factory=list, sa_type=JSON)
    dose_mg: float | None = None
    wasted_mg: float | None = None
    container: str | None = Field(default=None, max_length=12)  # single_dose | multi_dose
    ndc: str | None = Field(default=None, max_length=11)
    levels: list[str] | None = Field(default=None, sa_type=JSON,
                                     description="spinal levels treated, e.g. L4-L5, L5-S1")


class FeeRow(SQLModel, table=True):
    """What the practice expects a payer (or every payer, `*`) to pay for a code, from a date:
    the fee schedule. Amounts are integer cents."""

    __tablename__ = "fee_schedule"
    __table_args__ = (UniqueConstraint("payer", "code", "effective_start"),)

    id: int | None = Field(default=None, primary_key=True)
    payer: str = Field(max_length=64, description="a payer policy id, or * for every payer")
    code: str = Field(max_length=5)
    amount_cents: int
    per_unit: bool = Field(default=True, description="paid per unit billed, else once per line")
    effective_start: date
    effective_end: date | None = Field(default=None, description="the last day in force")
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class ReadinessChangeRow(SQLModel, table=True):
    """A scheduled visit's readiness as the pre-visit check found it, written when it changes:
    what tells a visit painauth flagged and that was fixed or moved before its date."""

    __tablename__ = "readiness_changes"
    __table_args__ = (Index("ix_readiness_changes_session_id_at", "session_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = _parent("sessions", index=False)
    readiness: str = Field(max_length=8)
    reason: str | None = Field(default=None, max_length=40, description="the worst reason's code")
    visit_date: date = Field(description="the date the visit was booked for then")
    at: datetime = _stamp()


class ConservativeCareRow(SQLModel, table=True):
    __tablename__ = "conservative_care"
    __table_args__ = (UniqueConstraint("patient_id", "kind", "start"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = _parent("patients", index=False)
    kind: str = Field(max_length=32)
    start: date
    end: date
    outcome: str | None = Field(default=None, max_length=16,
                                description="no_relief, partial or good")
    drugs: str | None = Field(default=None, max_length=200,
                              description="the drugs taken, for medication")
    visits: int | None = Field(default=None, description="the number of therapy visits")
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class PsychEvaluationRow(SQLModel, table=True):
    __tablename__ = "psych_evaluations"
    __table_args__ = (UniqueConstraint("patient_id", "date"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = _parent("patients", index=False)
    date: date
    result: str = Field(max_length=16)
    evaluator: str | None = Field(default=None, max_length=120,
                                  description="the psychologist or psychiatrist who evaluated")
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class ImagingStudyRow(SQLModel, table=True):
    """An imaging study on file for a patient (MRI, CT, X-ray...), as a reviewer reads it: when,
    what, where, and the radiologist's impression."""

    __tablename__ = "imaging_studies"
    __table_args__ = (UniqueConstraint("patient_id", "date", "modality", "region"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = _parent("patients")
    date: date
    modality: str = Field(max_length=16, description="MRI, CT, X-ray, myelogram, EMG...")
    region: str = Field(max_length=32, description="body region imaged, e.g. lumbar spine")
    impression: str | None = Field(default=None, sa_type=Text,
                                   description="the report's impression, as written")
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class AuthorizationRow(SQLModel, table=True):
    """A prior authorization for one session with one payer, followed to a decision."""

    __tablename__ = "authorizations"
    __table_args__ = (Index("ix_authorizations_status_updated_at", "status", "updated_at"),
                      # the practice's figures: requests decided in a month, per payer
                      Index("ix_authorizations_decided_at_payer_status", "decided_at", "payer",
                            "status"))

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = _parent("sessions")
    payer: str = Field(max_length=64)
    program: str | None = Field(default=None, max_length=64,
                                description="the prior-authorization program asking for it")
    status: str = Field(max_length=32)
    missing_items: list[str] = Field(default_factory=list, sa_type=JSON)
    submission_id: str | None = Field(default=None, max_length=64, unique=True,
                                      description="stable identifier sent with the request")
    auth_number: str | None = Field(default=None, max_length=64)
    approved_units: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    decision_reason: str | None = Field(default=None, sa_type=Text)
    denial_code: str | None = Field(default=None, max_length=32,
                                    description="the payer's coded denial reason (X12 review "
                                                "decision reason, CARC or RARC), if it gave one")
    submitted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    priority: str = Field(default="standard", max_length=16, description="standard or expedited")
    decision_due_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    next_check_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    checks: int = Field(default=0, description="inquiries made while waiting for the decision")
    flags: list[str] = Field(default_factory=list, sa_type=JSON,
                             description="e.g. decision_overdue, expires_before_visit")
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class ExemptionRow(SQLModel, table=True):
    """A prior-authorization exemption ("gold card") the practice holds: a program's services
    (all when neither codes nor group is given) for a provider (all when none) over a period."""

    __tablename__ = "exemptions"

    id: int | None = Field(default=None, primary_key=True)
    payer: str = Field(max_length=64, index=True)
    program: str = Field(max_length=64)
    codes: list[str] = Field(default_factory=list, sa_type=JSON)
    service_group: str | None = Field(default=None, max_length=64,
                                      description="a catalog group or family, e.g. esi")
    provider_npi: str | None = Field(default=None, max_length=10)
    starts: date
    ends: date = Field(description="the last day in force")
    reference: str = Field(default="", max_length=200, description="the letter's reference")
    recorded_by: str = Field(max_length=100)
    created_at: datetime = _stamp()


class AuthorizationLineRow(SQLModel, table=True):
    """One line of an authorization: a code (with modifiers), the units asked for and the units
    the payer approved. Units used are not stored: they are counted from the performed sessions
    inside the approval window (tracker.visits.authorization_ledger). Procedure and drug lines are kept
    apart, so a drug's billing units (J1010 is 1 mg) never add to procedure units."""

    __tablename__ = "authorization_lines"
    __table_args__ = (UniqueConstraint("authorization_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    authorization_id: int = _parent("authorizations", index=False)
    position: int = Field(description="order of the line within the request, from 0")
    code: str = Field(max_length=5)
    modifiers: list[str] = Field(default_factory=list, sa_type=JSON)
    kind: str = Field(default="procedure", max_length=16, description="procedure or drug")
    units_requested: int = 1
    units_approved: int | None = None


class SubmissionAttemptRow(SQLModel, table=True):
    """One attempt to send an authorization's PAS bundle, recorded *before* it is sent.

    The bundle identifier is the attempt's stable identity: a crash or a timeout after sending
    leaves the row in `sending`/`unknown`, and the next run asks the payer (`$inquire`) with the
    same identifier before it would ever send again.
    """

    __tablename__ = "submission_attempts"

    id: int | None = Field(default=None, primary_key=True)
    authorization_id: int = _parent("authorizations")
    bundle_identifier: str = Field(max_length=64, unique=True)
    attempt: int = Field(description="1 for the first package sent, 2 after a rejection, ...")
    state: str = Field(max_length=16, description="sending, sent, not_sent, unknown, rejected")
    request: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    inquiry: dict[str, Any] | None = Field(default=None, sa_type=JSON,
                                           description="the $inquire bundle for this request")
    response: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    error: str | None = Field(default=None, sa_type=Text)
    claimed_by: str | None = Field(default=None, max_length=100,
                                   description="the run sending it (host:pid:token)")
    lease_expires_at: datetime | None = Field(
        default=None, sa_type=DateTime(timezone=True),
        description="until then the attempt is in flight and other runs leave it alone")
    created_at: datetime = _stamp()
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class PayerNotificationRow(SQLModel, table=True):
    """A rest-hook notification received from a payer, kept until it has been applied."""

    __tablename__ = "payer_notifications"
    __table_args__ = (UniqueConstraint("payer", "bundle_id"),)

    id: int | None = Field(default=None, primary_key=True)
    payer: str = Field(max_length=64, index=True)
    bundle_id: str | None = Field(default=None, max_length=200,
                                  description="the notification Bundle's id: a redelivery's is the same")
    body: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    received_at: datetime = _stamp()
    processed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    authorization_id: int | None = _parent("authorizations", nullable=True)
    outcome: str | None = Field(default=None, sa_type=Text)


class AuthorizationEventRow(SQLModel, table=True):
    """One state change of an authorization: the audit trail."""

    __tablename__ = "authorization_events"

    id: int | None = Field(default=None, primary_key=True)
    authorization_id: int = _parent("authorizations")
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str = Field(max_length=32)
    actor: str = Field(max_length=100, description="a user name, or the flow that made the change")
    at: datetime = _stamp()
    reason: str | None = Field(default=None, sa_type=Text)


class AuthorizationWorkRow(SQLModel, table=True):
    """Who works an authorization and by when: its owner in the billing queue, a due date set by
    hand (overriding the one derived from the visit and the decision clock), and the next day to
    touch it. One row per authorization, written on the first claim or change; every change also
    writes an `authorization_events` row."""

    __tablename__ = "authorization_work"

    id: int | None = Field(default=None, primary_key=True)
    authorization_id: int = Field(foreign_key="authorizations.id", unique=True, ondelete="CASCADE")
    owner: str | None = Field(default=None, max_length=64, index=True,
                              description="the board user's name; None is unassigned")
    due_on: date | None = Field(default=None, description="set by hand; None: derived")
    next_touch_on: date | None = None
    updated_at: datetime = _stamp()


class DenialStepRow(SQLModel, table=True):
    """One step taken against a denial: a peer-to-peer, or an appeal at a level (first level,
    second level, external review), with its deadline from the denial date, and its outcome."""

    __tablename__ = "denial_steps"

    id: int | None = Field(default=None, primary_key=True)
    authorization_id: int = _parent("authorizations")
    kind: str = Field(max_length=32, description="peer_to_peer, first_level, second_level, "
                                                 "external_review")
    denied_on: date
    deadline: date
    opened_by: str = Field(max_length=64)
    scheduled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    physician: str | None = Field(default=None, max_length=200)
    outcome: str | None = Field(default=None, max_length=16,
                                description="None while open; overturned, upheld, withdrawn")
    outcome_note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class AuthorizationNoteRow(SQLModel, table=True):
    """A note a person wrote on an authorization: who, when, the text. Shown in its history on
    the board; never put in an alert."""

    __tablename__ = "authorization_notes"

    id: int | None = Field(default=None, primary_key=True)
    authorization_id: int = _parent("authorizations")
    author: str = Field(max_length=64)
    at: datetime = _stamp()
    text: str = Field(sa_type=Text)


class PatientNoteRow(SQLModel, table=True):
    """A note a person wrote on a patient: who, when, the text. Shown on the patient's page and
    in the history of the patient's authorizations; never put in an alert."""

    __tablename__ = "patient_notes"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = _parent("patients")
    author: str = Field(max_length=64)
    at: datetime = _stamp()
    text: str = Field(sa_type=Text)


class EvaluationResultRow(SQLModel, table=True):
    """The latest evaluation of one scheduled session, and a hash of what it was computed from."""

    __tablename__ = "evaluation_results"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(sa_column=Column(Integer, ForeignKey("sessions.id", ondelete="CASCADE"),
                                             nullable=False, unique=True))
    payer: str | None = Field(default=None, max_length=64)
    verdict: str = Field(max_length=32, index=True)
    result: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    inputs_hash: str = Field(max_length=64)
    evaluated_at: datetime = _stamp()


class VisitReadinessRow(SQLModel, table=True):
    """A scheduled visit's readiness as last computed by `tracker.visits.readiness`, with the
    visit's sort key and filters beside it, so the board filters, counts and pages in SQL on
    this table alone. It is a copy, never a second definition: triggers
    (`tracker.store.readiness_triggers`) delete it when what it was computed from changes,
    `tracker.visits.stored_readiness` writes the missing rows again and rewrites those whose
    `recheck_at` (a payer's decision clock running out) has passed."""

    __tablename__ = "visit_readiness"
    __table_args__ = (
        Index("ix_visit_readiness_rank_date_mrn_session_id", "rank", "date", "mrn", "session_id"),
        Index("ix_visit_readiness_date_rank", "date", "rank"),
    )

    session_id: int = Field(sa_column=Column(Integer, ForeignKey("sessions.id", ondelete="CASCADE"),
                                             primary_key=True))
    readiness: str = Field(max_length=16)
    rank: int = Field(description="0 for stop, the worst, to 3 for clear: the board's sort key")
    date: date
    mrn: str = Field(max_length=64)
    provider_id: int | None = None
    verdict: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=64,
                               description="the worst reason's code, '' for none: what revenue "
                               "at risk counts a visit's amount under")
    computed_at: datetime = _stamp()
    recheck_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True), index=True,
                                        description="when time alone may change it")


class ChargeCheckRow(SQLModel, table=True):
    """A performed session's charge capture as last worked out by `tracker.rules.charges`: what
    it documented but did not bill, so the money figures sum stored misses instead of reading
    every documented session of six months with its lines. A copy, never a second definition:
    triggers (`tracker.store.charge_triggers`) delete it when the session or its code lines
    change, and a row worked out under another code catalog (`rules`) counts as missing."""

    __tablename__ = "charge_checks"
    __table_args__ = (Index("ix_charge_checks_rules_date", "rules", "date"),
                      # the few sessions that missed a charge, by date (what the figures read)
                      Index("ix_charge_checks_missed_date", "rules", "date",
                            sqlite_where=text("missed > 0"), postgresql_where=text("missed > 0")))

    session_id: int = Field(sa_column=Column(Integer, ForeignKey("sessions.id", ondelete="CASCADE"),
                                             primary_key=True))
    date: date
    rules: str = Field(max_length=16, description="the code catalog's fingerprint")
    missed: int = Field(description="how many misses: 0 for a session that billed all it "
                        "documented")
    misses: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    computed_at: datetime = _stamp()


class ImportBatchRow(SQLModel, table=True):
    """One file taken in by `painauth import` or the drop-folder flow."""

    __tablename__ = "import_batches"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=1000, index=True, description="the file's resolved path")
    kind: str = Field(max_length=32)
    sha256: str = Field(max_length=64)
    started_at: datetime = _stamp()
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    counts: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class QuarantinedRow(SQLModel, table=True):
    """A row an import refused, with where it was and what to fix. Re-importing a file replaces
    that file's quarantined rows, so the list always shows what is still wrong."""

    __tablename__ = "quarantined_rows"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = _parent("import_batches")
    source: str = Field(max_length=1000, index=True)
    kind: str = Field(max_length=32)
    line: int
    field: str | None = Field(default=None, max_length=64)
    reason: str = Field(sa_type=Text)
    raw: str = Field(sa_type=Text)
    created_at: datetime = _stamp()


class UserRow(SQLModel, table=True):
    """A person who signs in to the board. A scheduler reads, billing also updates
    authorizations, an admin also manages users (tracker.roles); a provider is linked to a
    provider record and sees only that provider's patients. Only an Argon2 hash of the password
    is kept."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    active: bool = True
    provider_id: int | None = _parent("providers", nullable=True)
    session_generation: int = Field(
        default=0, sa_column_kwargs={"server_default": "0"},
        description="sessions signed in under an older generation are over (logout, new "
                    "password, disabled)")
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()


class SignInFailureRow(SQLModel, table=True):
    """One wrong password: sign-in is throttled per account name and per client address."""

    __tablename__ = "sign_in_failures"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, index=True)
    address: str = Field(max_length=64, index=True)
    at: datetime = _stamp()


class AuditEventRow(SQLModel, table=True):
    """A change a person made on the board: who, when, what, and on which subject."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utc_now, sa_type=DateTime(timezone=True), index=True)
    actor: str = Field(max_length=64, description="the signed-in user's name")
    action: str = Field(max_length=64, description="e.g. user_added, alert_sent_again")
    subject: str = Field(max_length=100, description="e.g. user:3, provider:7, alert:12")
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


ALERT_STATUSES: tuple[str, ...] = (
    "queued", "sending", "sent", "failed", "deferred", "digested", "unknown",
)
DELIVERY_STATUSES: tuple[str, ...] = (
    "sending", "sent", "retry", "failed", "unknown", "delivered", "undelivered",
)


class AlertRow(SQLModel, table=True):
    """One alert for a provider in the outbox, written once per dedupe key (kind + subject +
    state) and delivered by the dispatcher. See notifications/ and docs/alerts.md."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_status_next_attempt_at", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=200, unique=True, description="kind:subject:state")
    kind: str = Field(max_length=40)
    subject: str = Field(max_length=64, description="e.g. session:42")
    state: str = Field(max_length=120, description="the state that raised the alert")
    provider_id: int | None = _parent("providers", nullable=True)
    session_id: int | None = _parent("sessions", nullable=True)
    urgency: str = Field(max_length=8, description="high or low")
    channels: list[str] = Field(default_factory=list, sa_type=JSON,
                                description="the channel plan in order: sms, email, console")
    for_digest: bool = Field(default=False, description="waits for the provider's daily digest")
    digest_id: int | None = _parent("alerts", nullable=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON,
                                    description="the facts the templates need; no name, no diagnosis")
    status: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    claim_token: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    provider_message_id: str | None = Field(default=None, max_length=255)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _stamp()
    updated_at: datetime = _stamp()
    sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class AlertDeliveryRow(SQLModel, table=True):
    """One attempt to send an alert on one channel, written (status `sending`) before the send."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "channel", "attempt"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = _parent("alerts", index=False)
    channel: str = Field(max_length=16)
    attempt: int = Field(description="1 for the first send on this channel, 2 after a retry, ...")
    status: str = Field(max_length=16)
    recipient: str = Field(default="", max_length=254)
    external_id: str | None = Field(default=None, max_length=255, index=True,
                                    description="Twilio message SID or SMTP Message-ID")
    error_code: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _stamp()
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class DocumentRow(SQLModel, table=True):
    """A document staff uploaded for a patient (an office note, an MRI report, a psychological
    evaluation letter, a payer's denial letter...), typed and dated, usually on one of the
    patient's authorizations. The file lives under PAINAUTH_HOME by a random name
    (`stored_name`), never by anything a browser could guess; `sha256` is of its bytes.
    Withdrawing keeps the row (and the file) and says who and when."""

    __tablename__ = "documents"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = _parent("patients")
    authorization_id: int | None = _parent("authorizations", nullable=True)
    kind: str = Field(max_length=32, description="office_note, imaging_report, psych_evaluation, "
                                                 "denial_letter, appeal_letter...")
    document_date: date = Field(description="the date the document is of (the letter's date)")
    title: str = Field(max_length=200)
    content_type: str = Field(max_length=32, description="application/pdf, image/png or "
                                                         "image/jpeg, as read from the content")
    size_bytes: int
    pages: int | None = Field(default=None, description="a PDF's page count")
    sha256: str = Field(max_length=64)
    stored_name: str = Field(max_length=64, unique=True)
    uploaded_by: str = Field(max_length=64)
    uploaded_at: datetime = _stamp()
    withdrawn_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    withdrawn_by: str | None = Field(default=None, max_length=64)
