"""Building an authorization package from the stored records of one authorization.

The store gives the authorization, its session with code lines and diagnoses, the patient, the
coverage of the authorization's payer, the provider, and the patient record the engine reads; the
catalog tells which procedures the lines add up to, so the evidence chosen is the evidence a payer
asks for that procedure (REFERENCE.md §7): the prior treatment in the same region, diagnostic
blocks before an ablation, psychological evaluation before a stimulator, the trial before a
permanent implant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.codes import Catalog, load_catalog, normalize_code
from tracker.codes.diagnoses import describe_diagnosis
from tracker.dates import add_months
from tracker.packages import package as pkg
from tracker.packages.attachments import PAYER_CORRESPONDENCE, AttachedDocument
from tracker.packages.errors import AuthorizationNotFound, NoCoverageForPayer
from tracker.packages.requirements import policy_requirements
from tracker.rules import CheckRequest, evaluate, policies_in_force
from tracker.rules.procedures import DatedSession, Procedure, dated_sessions, procedures_of
from tracker.settings import load_settings
from tracker.store.patient_record import load_patient_record
from tracker.store.tables import (
    COVERAGE_RANKS,
    AuthorizationRow,
    ConservativeCareRow,
    CoverageRow,
    DocumentRow,
    ImagingStudyRow,
    LocationRow,
    PatientRow,
    ProviderRow,
    PsychEvaluationRow,
    SessionCodeRow,
    SessionRow,
)

# How far back prior treatment in the region is shown; conservative care follows the engine's
# 12-month look-back.
PRIOR_TREATMENT_MONTHS = 24
CARE_MONTHS = 12
# Diagnostic injections that precede an ablation of the same joints' nerves.
_BLOCKS_BEFORE: dict[str, str] = {"facet_rfa": "facet_injection", "si_rfa": "si_injection"}


@dataclass(frozen=True)
class AssembledPackage:
    """The package, and the engine's question about the same session (for the completeness
    check)."""

    package: pkg.AuthorizationPackage
    request: CheckRequest


def assemble_package(db: DbSession, authorization_id: int, as_of: date,
                     catalog: Catalog | None = None) -> AssembledPackage:
    catalog = catalog or load_catalog()
    auth = db.get(AuthorizationRow, authorization_id)
    if auth is None:
        raise AuthorizationNotFound(authorization_id)
    session = db.get(SessionRow, auth.session_id)
    assert session is not None and session.id is not None
    patient = db.get(PatientRow, session.patient_id)
    assert patient is not None
    coverage = _coverage(db, auth, session, patient.mrn)
    provider = db.get(ProviderRow, session.provider_id) if session.provider_id else None
    record = load_patient_record(db, session.patient_id)
    request = record.check_request(session.id, as_of, payer=auth.payer)
    lines = _service_lines(db, session.id, catalog)
    procedures = procedures_of(request.scheduled, catalog)
    performed = dated_sessions(request.history, catalog, exclude=session.date)
    performed = [s for s in performed if s.date < session.date]
    scores = _scores(db, session.patient_id)
    blocks = _with_scores(_diagnostic_blocks(performed, procedures), scores)
    block_keys = {(b.date, b.family, b.region) for b in blocks}
    prior = [t for t in _with_scores(_prior_in_region(performed, procedures, session.date),
                                     scores)
             if (t.date, t.family, t.region) not in block_keys]
    scs = any(p.family == "scs" for p in procedures)
    permanent = any(p.family == "scs" and p.intent == "permanent" for p in procedures)
    care_since = add_months(session.date, -CARE_MONTHS)
    settings = load_settings()
    package = pkg.AuthorizationPackage(
        authorization_id=authorization_id,
        session_id=session.id,
        status=auth.status,
        patient=pkg.Patient(mrn=patient.mrn, family_name=patient.family_name,
                            given_name=patient.given_name, birth_date=patient.birth_date),
        coverage=coverage,
        ordering_provider=_provider(provider),
        rendering_provider=_provider(provider),
        place_of_service=session.place_of_service,
        requested_date=session.date,
        lines=lines,
        procedures=tuple(_requested(p) for p in procedures),
        diagnoses=tuple(session.diagnoses or ()),
        conservative_care=_care_episodes(db, session.patient_id, tuple(
            (c.kind, c.start, c.end) for c in request.conservative_care if c.end >= care_since)),
        prior_treatments=tuple(prior),
        diagnostic_blocks=tuple(blocks),
        psych_evaluations=_psych_evaluations(db, session.patient_id, tuple(
            e.date for e in request.psych_evaluations)) if scs else (),
        scs_trials=tuple(_with_scores(_treatments(performed, lambda p: p.family == "scs"
                                                  and p.intent == "trial"), scores))
        if permanent else (),
        missing=tuple(auth.missing_items or ()),
        rfa_not_an_option=session.rfa_not_an_option,
        practice=pkg.Practice(name=settings.practice_name, address=settings.practice_address,
                              phone=settings.practice_phone, fax=settings.practice_fax,
                              tax_id=settings.practice_tax_id, npi=settings.practice_npi)
        if settings.practice_name else None,
        diagnosis_details=tuple(describe_diagnosis(code) for code in session.diagnoses or ()),
        facility=_facility(db, session),
        imaging=_imaging(db, session.patient_id, session.date),
        documents=clinical_documents(db, session.patient_id),
    )
    policy = policies_in_force().get(auth.payer)
    if policy is not None:
        result = evaluate(request, policy, catalog)
        package = replace(package, requirements=policy_requirements(
            policy, result, package, tuple(procedures)))
    return AssembledPackage(package=package, request=request)



def _coverage(db: DbSession, auth: AuthorizationRow, session: SessionRow,
              mrn: str) -> pkg.Coverage:
    rows = list(db.exec(select(CoverageRow).where(CoverageRow.patient_id == session.patient_id,
                                                  CoverageRow.payer == auth.payer)
                        .order_by(col(CoverageRow.effective_start))))
    if not rows:
        raise NoCoverageForPayer(auth.id or 0, auth.payer, mrn)
    in_force = [r for r in rows if r.effective_start <= session.date
                and (r.effective_end is None or session.date <= r.effective_end)]
    chosen = min(in_force or rows, key=lambda r: (
        COVERAGE_RANKS.index(r.rank) if r.rank in COVERAGE_RANKS else len(COVERAGE_RANKS),
        -r.effective_start.toordinal()))
    policy = policies_in_force().get(auth.payer)
    return pkg.Coverage(payer=auth.payer, payer_name=policy.name if policy else auth.payer,
                        member_id=chosen.member_id, rank=chosen.rank)


def _facility(db: DbSession, session: SessionRow) -> pkg.Facility | None:
    location = db.get(LocationRow, session.location_id) if session.location_id else None
    if location is None:
        return None
    return pkg.Facility(name=location.name, address=location.address,
                        place_of_service=location.place_of_service, npi=location.npi,
                        state=location.state)


def _care_episodes(db: DbSession, patient_id: int, spans: tuple[tuple[str, date, date], ...],
                   ) -> tuple[pkg.CareEpisode, ...]:
    """The engine's conservative care, with the detail the store holds for each episode."""
    rows = {(r.kind, r.start): r for r in db.exec(
        select(ConservativeCareRow).where(ConservativeCareRow.patient_id == patient_id))}
    episodes = []
    for kind, start, end in spans:
        row = rows.get((kind, start))
        episodes.append(pkg.CareEpisode(
            kind=kind, start=start, end=end, outcome=row.outcome if row else None,
            drugs=row.drugs if row else None, visits=row.visits if row else None))
    return tuple(episodes)


def _scores(db: DbSession, patient_id: int) -> dict[date, pkg.Scores]:
    """The pain and function scores of the patient's performed sessions, by date."""
    rows = db.exec(select(SessionRow).where(SessionRow.patient_id == patient_id,
                                            SessionRow.status == "performed"))
    scores = {}
    for row in rows:
        found = pkg.Scores(pain_before=row.pain_before, pain_after=row.pain_after,
                           function_scale=row.function_scale,
                           function_before=row.function_before, function_after=row.function_after)
        if found.text:
            scores[row.date] = found
    return scores


def _with_scores(treatments: list[pkg.PriorTreatment],
                 scores: dict[date, pkg.Scores]) -> list[pkg.PriorTreatment]:
    return [replace(t, scores=scores.get(t.date)) for t in treatments]


def _psych_evaluations(db: DbSession, patient_id: int,
                       days: tuple[date, ...]) -> tuple[pkg.PsychEvaluation, ...]:
    """The engine's psychological evaluations, each with the evaluator the store names."""
    rows = {r.date: r for r in db.exec(
        select(PsychEvaluationRow).where(PsychEvaluationRow.patient_id == patient_id))}
    return tuple(pkg.PsychEvaluation(date=day, result=rows[day].result,
                                     evaluator=rows[day].evaluator)
                 for day in days if day in rows)


def _imaging(db: DbSession, patient_id: int, until: date) -> tuple[pkg.ImagingStudy, ...]:
    """The imaging studies on file up to the requested date, newest first."""
    rows = db.exec(select(ImagingStudyRow).where(ImagingStudyRow.patient_id == patient_id,
                                                 col(ImagingStudyRow.date) <= until)
                   .order_by(col(ImagingStudyRow.date).desc(), col(ImagingStudyRow.modality)))
    return tuple(pkg.ImagingStudy(date=r.date, modality=r.modality, region=r.region,
                                  impression=r.impression) for r in rows)


def clinical_documents(db: DbSession, patient_id: int) -> tuple[AttachedDocument, ...]:
    """The patient's uploaded clinical documents in force (not withdrawn, not payer
    correspondence), oldest first: an MRI report uploaded for one request supports the next."""
    rows = db.exec(select(DocumentRow)
                   .where(DocumentRow.patient_id == patient_id,
                          col(DocumentRow.withdrawn_at).is_(None),
                          col(DocumentRow.kind).not_in(PAYER_CORRESPONDENCE))
                   .order_by(col(DocumentRow.document_date), col(DocumentRow.id)))
    return tuple(attached(row) for row in rows)


def attached(row: DocumentRow) -> AttachedDocument:
    assert row.id is not None
    return AttachedDocument(id=row.id, kind=row.kind, date=row.document_date, title=row.title,
                            content_type=row.content_type, size_bytes=row.size_bytes,
                            sha256=row.sha256, stored_name=row.stored_name,
                            uploaded_at=row.uploaded_at, pages=row.pages)


def _provider(row: ProviderRow | None) -> pkg.Provider | None:
    return pkg.Provider(npi=row.npi, name=row.name) if row is not None else None


def _service_lines(db: DbSession, session_id: int, catalog: Catalog) -> tuple[pkg.ServiceLine, ...]:
    rows = db.exec(select(SessionCodeRow).where(SessionCodeRow.session_id == session_id)
                   .order_by(col(SessionCodeRow.position)))
    lines = []
    for row in rows:
        code = normalize_code(row.code)
        entry = catalog.get(code)
        lines.append(pkg.ServiceLine(
            code=code, description=entry.name if entry else "", units=row.units,
            modifiers=tuple(m.strip().upper() for m in row.modifiers),
            family=entry.family if entry else None, dose_mg=row.dose_mg,
            wasted_mg=row.wasted_mg, container=row.container, ndc=row.ndc,
            levels=tuple(row.levels or ())))
    return tuple(lines)


def _requested(procedure: Procedure) -> pkg.RequestedProcedure:
    return pkg.RequestedProcedure(family=procedure.family, region=procedure.region,
                                  intent=procedure.intent, levels=procedure.levels,
                                  codes=tuple(sorted(procedure.codes)))


def _treatment(session: DatedSession, procedure: Procedure) -> pkg.PriorTreatment:
    outcome = session.outcome
    return pkg.PriorTreatment(
        date=session.date, codes=tuple(sorted(procedure.codes)), family=procedure.family,
        region=procedure.region, intent=procedure.intent, levels=procedure.levels,
        relief_percent=outcome.relief_percent if outcome else None,
        duration_days=outcome.duration_days if outcome else None)


def _treatments(performed: list[DatedSession],
                wanted: Callable[[Procedure], bool]) -> list[pkg.PriorTreatment]:
    return [_treatment(s, p) for s in performed for p in s.procedures if wanted(p)]


def _prior_in_region(performed: list[DatedSession], procedures: tuple[Procedure, ...],
                     day: date) -> list[pkg.PriorTreatment]:
    regions = {p.region for p in procedures if p.region is not None}
    since = add_months(day, -PRIOR_TREATMENT_MONTHS)
    return [_treatment(s, p) for s in performed if s.date > since
            for p in s.procedures if p.region in regions]


def _diagnostic_blocks(performed: list[DatedSession],
                       procedures: tuple[Procedure, ...]) -> list[pkg.PriorTreatment]:
    wanted = {(_BLOCKS_BEFORE[p.family], p.region) for p in procedures
              if p.family in _BLOCKS_BEFORE}
    return [_treatment(s, p) for s in performed for p in s.procedures
            if (p.family, p.region) in wanted and p.intent == "diagnostic"]
