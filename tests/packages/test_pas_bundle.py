"""Packages rendered as Da Vinci PAS 2.2.1 request bundles: valid FHIR R4B, passing the PAS rule
checks, shaped as the profiles ask, and readable by `evidence_codes`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tracker.packages.evidence import EVIDENCE_SYSTEM, evidence_codes
from tracker.packages.fhir_validation import r4b_problems
from tracker.packages.pas_bundle import (
    CPT_SYSTEM,
    HCPCS_SYSTEM,
    PLACE_OF_SERVICE_SYSTEM,
    pas_request_bundle,
)
from tracker.packages.pas_rules import package_problems
from tracker.packages.preparation import prepare_open_authorizations

from .packages import rfa_bundle, rfa_package
from .practice import TODAY, Practice

MOMENT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_every_bundle_of_the_practice_validates_and_passes_the_pas_rules(
        practice: Practice) -> None:
    summary = prepare_open_authorizations(practice.engine, "test", as_of=TODAY)
    assert len(summary.prepared) == 7
    for preparation in summary.prepared:
        if not preparation.package.diagnoses:
            continue  # a package without a diagnosis is documentation_missing, never sent
        bundle = pas_request_bundle(preparation.package, f"auth-{preparation.authorization_id}-1",
                                    timestamp=MOMENT)
        assert r4b_problems(bundle) == [], preparation.package.patient.mrn
        assert package_problems(bundle) == [], preparation.package.patient.mrn
        assert "treatment-plan" in evidence_codes(bundle)


def test_evidence_kinds_follow_the_procedure(practice: Practice) -> None:
    summary = prepare_open_authorizations(practice.engine, "test", as_of=TODAY)
    kinds = {p.package.patient.mrn: evidence_codes(pas_request_bundle(p.package, "x"))
             for p in summary.prepared}
    assert kinds["SYN-1002"] == {"conservative-therapy", "diagnostic-blocks", "treatment-plan"}
    assert kinds["PKG-ESI-READY"] == {"conservative-therapy", "prior-response", "treatment-plan"}
    assert kinds["PKG-SCS-PSYCH"] == {"conservative-therapy", "psych-evaluation",
                                      "treatment-plan"}


def test_bundle_is_a_collection_with_the_callers_identifier_and_the_claim_first() -> None:
    bundle = rfa_bundle()
    assert bundle["type"] == "collection"
    assert bundle["identifier"]["value"] == "auth-41-attempt-1"
    assert bundle["timestamp"] == "2026-12-01T09:30:00+00:00"
    claim = bundle["entry"][0]["resource"]
    assert (claim["resourceType"], claim["use"], claim["status"]) == (
        "Claim", "preauthorization", "active")
    assert claim["type"]["coding"][0]["code"] == "professional"
    assert claim["insurance"] == [{"sequence": 1, "focal": True,
                                   "coverage": claim["insurance"][0]["coverage"]}]
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    for name in ("patient", "insurer", "provider"):
        assert claim[name]["reference"] in full_urls


def test_items_carry_cpt_codes_modifiers_place_quantity_date_and_required_extensions() -> None:
    claim = rfa_bundle()["entry"][0]["resource"]
    first = claim["item"][0]
    assert first["sequence"] == 1
    assert first["productOrService"]["coding"][0]["system"] == CPT_SYSTEM
    assert first["productOrService"]["coding"][0]["code"] == "64635"
    assert first["modifier"][0]["coding"][0] == {"system": HCPCS_SYSTEM, "code": "RT"}
    assert first["locationCodeableConcept"]["coding"][0] == {"system": PLACE_OF_SERVICE_SYSTEM,
                                                             "code": "24"}
    assert first["quantity"] == {"value": 1}
    assert first["servicedDate"] == "2026-12-16"
    assert first["category"]["coding"][0]["code"] == "2"
    assert {e["url"].rsplit("-", 1)[-1] for e in first["extension"]} == {
        "serviceItemRequestType", "certificationType"}
    assert [d["diagnosisCodeableConcept"]["coding"][0]["code"] for d in claim["diagnosis"]] == [
        "M47.816", "M54.50"]
    assert first["diagnosisSequence"] == [1, 2]


def test_evidence_goes_into_supporting_info_with_the_shared_codes() -> None:
    claim = rfa_bundle()["entry"][0]["resource"]
    infos = claim["supportingInfo"]
    assert [i["sequence"] for i in infos] == list(range(1, len(infos) + 1))
    assert all(i["code"]["coding"][0]["system"] == EVIDENCE_SYSTEM for i in infos)
    blocks = [i for i in infos if i["code"]["coding"][0]["code"] == "diagnostic-blocks"]
    assert [(b["timingDate"], b["valueQuantity"]["value"]) for b in blocks] == [
        ("2026-05-12", 85.0), ("2026-06-09", 90.0)]
    care = [i for i in infos if i["code"]["coding"][0]["code"] == "conservative-therapy"]
    assert care[0]["timingPeriod"] == {"start": "2026-06-01", "end": "2026-08-15"}
    assert "Physical therapy" in care[0]["valueString"]


def test_the_same_package_and_identifier_give_the_same_bundle_and_a_new_attempt_a_new_one(
        ) -> None:
    package = rfa_package()
    first = pas_request_bundle(package, "auth-41-attempt-1", timestamp=MOMENT)
    again = pas_request_bundle(package, "auth-41-attempt-1", timestamp=MOMENT)
    retry = pas_request_bundle(package, "auth-41-attempt-2", timestamp=MOMENT)
    assert json.dumps(first) == json.dumps(again)
    assert retry["identifier"]["value"] == "auth-41-attempt-2"
    assert retry["entry"][0]["fullUrl"] != first["entry"][0]["fullUrl"]


def test_a_hcpcs_code_and_a_bilateral_modifier_use_their_code_systems() -> None:
    from tracker.packages.package import ServiceLine

    package = rfa_package(lines=(ServiceLine("G0260", "SI joint injection", 1, ("50",),
                                             "si_injection"),))
    item = pas_request_bundle(package, "x")["entry"][0]["resource"]["item"][0]
    assert item["productOrService"]["coding"][0]["system"] == HCPCS_SYSTEM
    assert item["modifier"][0]["coding"][0] == {"system": CPT_SYSTEM, "code": "50"}


def test_the_packet_can_travel_as_a_document_reference_in_the_additional_information_slice(
        ) -> None:
    bundle = pas_request_bundle(rfa_package(), "x", timestamp=MOMENT, packet_pdf=b"%PDF-1.7 x")
    claim = bundle["entry"][0]["resource"]
    document = next(e for e in bundle["entry"]
                    if e["resource"]["resourceType"] == "DocumentReference")
    attached = [i for i in claim["supportingInfo"]
                if i["category"]["coding"][0]["code"] == "additionalInformation"]
    assert attached[0]["valueReference"]["reference"] == document["fullUrl"]
    assert document["resource"]["content"][0]["attachment"]["contentType"] == "application/pdf"
    assert package_problems(bundle) == [] and r4b_problems(bundle) == []


def test_a_package_without_a_provider_still_names_its_patient_but_fails_the_rules() -> None:
    bundle = pas_request_bundle(rfa_package(rendering_provider=None, ordering_provider=None), "x")
    assert any("Claim.provider" in p for p in package_problems(bundle))
