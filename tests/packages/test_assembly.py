"""Assembling a package from imported sample data: what a payer reviewer gets to read."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session as DbSession
from sqlmodel import select

from tracker.packages.assembly import assemble_package
from tracker.store.tables import AuthorizationRow, PatientRow, SessionRow

from .practice import TODAY, Practice


def test_rfa_package_holds_patient_coverage_provider_codes_levels_diagnoses_and_blocks(
        practice: Practice) -> None:
    with DbSession(practice.engine) as db:
        package = assemble_package(db, practice.authorization_id("SYN-1002"), TODAY).package

    assert (package.patient.mrn, package.patient.full_name) == ("SYN-1002", "Jordan Sampleton")
    assert (package.coverage.payer, package.coverage.payer_name,
            package.coverage.member_id) == ("aetna", "Aetna", "W123456789")
    assert package.rendering_provider is not None
    assert package.rendering_provider.npi == "1987654328"
    assert package.ordering_provider == package.rendering_provider
    assert (package.place_of_service, package.requested_date) == ("24", date(2026, 12, 15))
    assert [(line.code, line.units) for line in package.lines] == [("64635", 1), ("64636", 1)]
    assert [(p.family, p.region, p.levels) for p in package.procedures] == [
        ("facet_rfa", "lumbar_sacral", 2)]
    assert package.diagnoses == ("M47.816", "M54.50")
    assert [(b.date, b.relief_percent) for b in package.diagnostic_blocks] == [
        (date(2026, 5, 12), 85), (date(2026, 6, 9), 90)]
    assert package.prior_treatments == ()  # the blocks are listed as blocks, not twice
    assert [c.kind for c in package.conservative_care] == ["home_exercise"]
    assert package.psych_evaluations == () and package.scs_trials == ()


def test_repeat_esi_package_carries_the_prior_response_and_the_laterality(
        practice: Practice) -> None:
    with DbSession(practice.engine) as db:
        package = assemble_package(db, practice.authorization_id("PKG-ESI-READY"), TODAY).package

    assert [(line.code, line.modifiers, line.laterality) for line in package.lines] == [
        ("64483", ("RT",), "right"), ("64484", ("RT",), "right")]
    assert [(p.levels, p.region) for p in package.procedures] == [(2, "lumbar_sacral")]
    assert [(t.date, t.relief_percent) for t in package.prior_treatments] == [
        (date(2026, 6, 15), 70)]
    assert {c.kind for c in package.conservative_care} == {"physical_therapy", "medication"}
    assert {e.kind for e in package.evidence()} == {
        "conservative-therapy", "prior-response", "treatment-plan"}


def test_scs_trial_package_carries_the_psychological_evaluation(practice: Practice) -> None:
    with DbSession(practice.engine) as db:
        package = assemble_package(db, practice.authorization_id("PKG-SCS-PSYCH"), TODAY).package

    assert [(p.family, p.intent) for p in package.procedures] == [("scs", "trial")]
    assert [(e.date, e.result) for e in package.psych_evaluations] == [
        (date(2025, 6, 1), "cleared")]
    assert "psych-evaluation" in {e.kind for e in package.evidence()}


def test_bilateral_si_injection_package_for_the_secondary_payer(practice: Practice) -> None:
    with DbSession(practice.engine) as db:
        session_id = db.exec(select(SessionRow.id).join(PatientRow)
                             .where(PatientRow.mrn == "SYN-1003",
                                    SessionRow.status == "scheduled")).one()
        assert session_id is not None
        auth = AuthorizationRow(session_id=session_id, payer="cigna", status="needed")
        db.add(auth)
        db.commit()
        assert auth.id is not None
        package = assemble_package(db, auth.id, TODAY).package

    assert (package.coverage.payer, package.coverage.rank) == ("cigna", "secondary")
    assert [(line.code, line.modifiers, line.laterality) for line in package.lines] == [
        ("27096", ("50",), "bilateral")]
    assert package.diagnoses == ("M46.1",)
