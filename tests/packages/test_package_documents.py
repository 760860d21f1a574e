"""What a payer's rules ask the package to say: Medicare's therapeutic facet injection needs the
reason radiofrequency ablation is not an option (policies.md), a package item, not a finding."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from tracker.packages.completeness import documents_needed
from tracker.packages.package import (
    AuthorizationPackage,
    Coverage,
    Patient,
    RequestedProcedure,
)

FACET = RequestedProcedure(family="facet_injection", region="lumbar_sacral",
                           intent="therapeutic", levels=1, codes=("64493",))
PACKAGE = AuthorizationPackage(
    authorization_id=1, session_id=1, status="needed",
    patient=Patient(mrn="P-1", family_name="Testperson", given_name="Alex",
                    birth_date=date(1960, 1, 2)),
    coverage=Coverage(payer="medicare", payer_name="Medicare", member_id="1EG4", rank="primary"),
    ordering_provider=None, rendering_provider=None, place_of_service="22",
    requested_date=date(2026, 12, 10), lines=(), procedures=(FACET,), diagnoses=("M47.816",))


def test_a_medicare_therapeutic_facet_package_without_the_rfa_reason_is_missing_it():
    [need] = documents_needed(PACKAGE)
    assert need.code == "RFA_REASON_MISSING"
    assert "radiofrequency ablation is not an option" in need.message


def test_the_stated_reason_satisfies_it_and_travels_as_evidence():
    package = replace(PACKAGE, rfa_not_an_option="pacemaker: RF lesioning contraindicated")
    assert documents_needed(package) == []
    assert "rfa-not-an-option" in {e.kind for e in package.evidence()}


def test_a_diagnostic_block_or_another_payer_needs_no_reason():
    diagnostic = replace(FACET, intent="diagnostic")
    assert documents_needed(replace(PACKAGE, procedures=(diagnostic,))) == []
    aetna = Coverage(payer="aetna", payer_name="Aetna", member_id="W1", rank="primary")
    assert documents_needed(replace(PACKAGE, coverage=aetna)) == []
