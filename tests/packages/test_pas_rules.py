"""The project's PAS rule checks: they accept the IG's own request examples and painauth's
bundles, and each rule rejects a bundle broken in its way."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tracker.packages.fhir_validation import r4b_problems
from tracker.packages.pas_rules import package_problems, pas_problems

from .packages import rfa_bundle

FIXTURES = Path(__file__).with_name("fixtures")
OFFICIAL_REQUESTS = sorted(FIXTURES.glob("Bundle-*.json"))

Bundle = dict[str, Any]


def _claim(bundle: Bundle) -> dict[str, Any]:
    claim: dict[str, Any] = bundle["entry"][0]["resource"]
    return claim


def _entry_of(bundle: Bundle, resource_type: str) -> dict[str, Any]:
    resource: dict[str, Any] = next(e["resource"] for e in bundle["entry"]
                                    if e["resource"]["resourceType"] == resource_type)
    return resource


def test_the_official_request_examples_are_all_here() -> None:
    assert len(OFFICIAL_REQUESTS) == 5


@pytest.mark.parametrize("path", OFFICIAL_REQUESTS, ids=lambda p: p.stem)
def test_every_official_request_example_passes_the_pas_rules(path: Path) -> None:
    bundle = json.loads(path.read_text(encoding="utf-8"))
    assert pas_problems(bundle) == []
    assert r4b_problems(bundle) == []


def test_a_painauth_bundle_passes_the_pas_and_package_rules_and_fhir_r4b() -> None:
    bundle = rfa_bundle()
    assert pas_problems(bundle) == []
    assert package_problems(bundle) == []
    assert r4b_problems(bundle) == []


def _set(path: str, value: Any) -> Callable[[Bundle], None]:
    def change(bundle: Bundle) -> None:
        target: Any = bundle
        parts = path.split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if value is _DELETE:
            del target[int(last) if last.isdigit() else last]
        else:
            target[int(last) if last.isdigit() else last] = value
    return change


_DELETE = object()


def _claim_set(path: str, value: Any) -> Callable[[Bundle], None]:
    return _set("entry.0.resource." + path, value)


def _move_claim_last(bundle: Bundle) -> None:
    bundle["entry"].append(bundle["entry"].pop(0))


def _third_claim(bundle: Bundle) -> None:
    for n in (2, 3):
        extra = copy.deepcopy(bundle["entry"][0])
        extra["fullUrl"] += f"-{n}"
        bundle["entry"].append(extra)


def _unresolvable_patient(bundle: Bundle) -> None:
    _claim(bundle)["patient"] = {"reference": "Patient/not-in-the-bundle"}


def _no_focal_insurance(bundle: Bundle) -> None:
    _claim(bundle)["insurance"][0]["focal"] = False


def _patient_without(name: str) -> Callable[[Bundle], None]:
    def change(bundle: Bundle) -> None:
        del _entry_of(bundle, "Patient")[name]
    return change


def _practitioner_without_npi(bundle: Bundle) -> None:
    del _entry_of(bundle, "Practitioner")["identifier"]


def _insurer_without_name(bundle: Bundle) -> None:
    del _entry_of(bundle, "Organization")["name"]


def _coverage_without_payor(bundle: Bundle) -> None:
    del _entry_of(bundle, "Coverage")["payor"]


def _item_without_extension(slice_url: str) -> Callable[[Bundle], None]:
    def change(bundle: Bundle) -> None:
        item = _claim(bundle)["item"][0]
        item["extension"] = [e for e in item["extension"] if not e["url"].endswith(slice_url)]
    return change


def _repeated_item_sequence(bundle: Bundle) -> None:
    _claim(bundle)["item"][1]["sequence"] = 1


def _dangling_diagnosis_sequence(bundle: Bundle) -> None:
    _claim(bundle)["item"][0]["diagnosisSequence"] = [1, 9]


def _free_form_message_with_timing(bundle: Bundle) -> None:
    _claim(bundle)["supportingInfo"].append({
        "sequence": 99, "timingDate": "2026-12-01",
        "category": {"coding": [{"system": "http://hl7.org/fhir/us/davinci-pas/CodeSystem/"
                                           "PASTempCodes", "code": "freeFormMessage"}]}})


def _document_without_information(bundle: Bundle) -> None:
    _claim(bundle)["supportingInfo"].append({
        "sequence": 99, "valueReference": {"reference": _claim(bundle)["patient"]["reference"]},
        "category": {"coding": [{"system": "http://hl7.org/fhir/us/davinci-pas/CodeSystem/"
                                           "PASTempCodes", "code": "additionalInformation"}]}})


def _entry_with_request(bundle: Bundle) -> None:
    bundle["entry"][1]["request"] = {"method": "POST", "url": "Patient"}


# (what is broken, how, words the problem must contain). One per rule.
BROKEN: list[tuple[str, Callable[[Bundle], None], str]] = [
    ("no identifier", _set("identifier", _DELETE), "Bundle.identifier"),
    ("empty identifier value", _set("identifier.value", " "), "Bundle.identifier"),
    ("no timestamp", _set("timestamp", _DELETE), "Bundle.timestamp"),
    ("timestamp without a zone", _set("timestamp", "2026-12-01T09:30:00"), "Bundle.timestamp"),
    ("type transaction", _set("type", "transaction"), "Bundle.type"),
    ("no entries", _set("entry", []), "Bundle.entry"),
    ("entry without fullUrl", _set("entry.1.fullUrl", _DELETE), "fullUrl"),
    ("entry with a request", _entry_with_request, ".request"),
    ("Claim not first", _move_claim_last, "first entry must be the Claim"),
    ("three Claims", _third_claim, "at most 2"),
    ("reference outside the bundle", _unresolvable_patient, "does not resolve"),
    ("use claim", _claim_set("use", "claim"), "Claim.use"),
    ("status draft", _claim_set("status", "draft"), "Claim.status"),
    ("no Claim.identifier", _claim_set("identifier", []), "Claim.identifier"),
    ("Claim.identifier without system", _claim_set("identifier.0.system", _DELETE),
     "Claim.identifier[0]"),
    ("no created", _claim_set("created", _DELETE), "Claim.created"),
    ("no priority", _claim_set("priority", _DELETE), "Claim.priority"),
    ("no insurer", _claim_set("insurer", _DELETE), "Claim.insurer"),
    ("no provider", _claim_set("provider", _DELETE), "Claim.provider"),
    ("no insurance", _claim_set("insurance", []), "Claim.insurance"),
    ("no focal insurance", _no_focal_insurance, "focal = true"),
    ("no items", _claim_set("item", []), "Claim.item"),
    ("item without sequence", _claim_set("item.0.sequence", _DELETE), "sequence"),
    ("repeated item sequence", _repeated_item_sequence, "repeats"),
    ("item without productOrService", _claim_set("item.0.productOrService", _DELETE),
     "productOrService"),
    ("item without category", _claim_set("item.0.category", _DELETE), "category"),
    ("item without location", _claim_set("item.0.locationCodeableConcept", _DELETE),
     "location[x]"),
    ("item without requestType", _item_without_extension("serviceItemRequestType"),
     "requestType"),
    ("item without certificationType", _item_without_extension("certificationType"),
     "certificationType"),
    ("item served on a partial date", _claim_set("item.0.servicedDate", "2026-12"),
     "full date"),
    ("quantity without value", _claim_set("item.0.quantity", {"unit": "units"}),
     "quantity: has no value"),
    ("diagnosisSequence naming nothing", _dangling_diagnosis_sequence, "names no Claim.diagnosis"),
    ("diagnosis without a code", _claim_set("diagnosis.0.diagnosisCodeableConcept", _DELETE),
     "diagnosis[x]"),
    ("supportingInfo without category", _claim_set("supportingInfo.0.category", _DELETE),
     "category"),
    ("freeFormMessage with timing", _free_form_message_with_timing, "freeFormMessage"),
    ("additionalInformation without documentInformation", _document_without_information,
     "documentInformation"),
    ("careTeam without claim scope", _claim_set("careTeam.0.extension", []),
     "careTeamClaimScope"),
    ("patient without identifier", _patient_without("identifier"), "Patient.identifier"),
    ("patient without name", _patient_without("name"), "Patient.name"),
    ("patient without gender", _patient_without("gender"), "Patient.gender"),
    ("practitioner without NPI", _practitioner_without_npi, "Practitioner.identifier"),
    ("insurer without name", _insurer_without_name, "Organization.name"),
    ("coverage without payor", _coverage_without_payor, "Coverage.payor"),
]


@pytest.mark.parametrize(("broken", "change", "words"), BROKEN, ids=[b[0] for b in BROKEN])
def test_pas_rules_reject_a_broken_bundle_naming_what_is_wrong(
        broken: str, change: Callable[[Bundle], None], words: str) -> None:
    bundle = rfa_bundle()
    change(bundle)
    problems = pas_problems(bundle)
    assert any(words in p for p in problems), problems


def test_a_non_bundle_is_rejected() -> None:
    assert pas_problems({"resourceType": "Claim"}) != []
    assert pas_problems([]) != []


# painauth's own promises, beyond the profiles
OWN: list[tuple[str, Callable[[Bundle], None], str]] = [
    ("line without quantity", _claim_set("item.0.quantity", _DELETE), "quantity: missing"),
    ("no diagnosis", _claim_set("diagnosis", _DELETE), "no diagnosis"),
    ("diagnosis not ICD-10-CM", _claim_set(
        "diagnosis.0.diagnosisCodeableConcept.coding.0.system", "http://snomed.info/sct"),
     "ICD-10-CM"),
    ("code not CPT", _claim_set("item.0.productOrService.coding.0.system",
                                "http://example.org/codes"), "CPT or HCPCS"),
    ("unknown evidence kind", _claim_set("supportingInfo.0.code.coding.0.code", "horoscope"),
     "unknown evidence kind"),
    ("dangling reference outside the Claim", _set("entry.1.resource.practitioner.reference",
                                                  "Practitioner/elsewhere"), "does not resolve"),
]


@pytest.mark.parametrize(("broken", "change", "words"), OWN, ids=[b[0] for b in OWN])
def test_package_rules_reject_what_painauth_never_sends(
        broken: str, change: Callable[[Bundle], None], words: str) -> None:
    bundle = rfa_bundle()
    change(bundle)
    problems = package_problems(bundle)
    assert any(words in p for p in problems), problems


def test_fhir_r4b_validation_reports_a_claim_missing_required_elements() -> None:
    bundle = rfa_bundle()
    del _claim(bundle)["patient"]
    problems = r4b_problems(bundle)
    assert any("patient" in p and "required" in p.lower() for p in problems), problems
