"""The packet a utilization reviewer reads, per family: the practice's letterhead, the request
(codes with descriptions, laterality, modifiers, units, drug and NDC), diagnoses with their
ICD-10-CM descriptions, each item the payer's policy asks for beside the rule and its source, the
attestation, and for a fax payer a cover sheet with the page count. The PAS bundle carries the
practice and the NDC and still passes the R4B and PAS checks."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlmodel import Session as DbSession

from tracker.authorizations.gateways import fax_number
from tracker.packages.assembly import assemble_package
from tracker.packages.completeness import package_needs
from tracker.packages.fhir_validation import r4b_problems
from tracker.packages.package import AuthorizationPackage
from tracker.packages.packet import render_packet
from tracker.packages.pas_bundle import pas_request_bundle
from tracker.packages.pas_rules import package_problems, pas_problems
from tracker.visits.pre_visit import check_upcoming_visits

from .practice import DR_EXAMPLE, TODAY, Practice, add_rows

IDENTITY = {
    "PAINAUTH_PRACTICE_NAME": "Lakeside Spine & Pain Associates",
    "PAINAUTH_PRACTICE_ADDRESS": "200 Example Road NE, Suite 300, Albuquerque, NM 87101",
    "PAINAUTH_PRACTICE_PHONE": "+1 555 0100 0100",
    "PAINAUTH_PRACTICE_FAX": "+1 555 0100 0101",
    "PAINAUTH_PRACTICE_TAX_ID": "00-0000000",
    "PAINAUTH_PRACTICE_NPI": "1234567893",
}
# Two more patients: an ESI with a single-dose methylprednisolone line, and an SI joint injection
# with triamcinolone from a multi-dose vial.
MORE_PATIENTS = [("PKG-ESI-DRUG", "Dosewell", "Ari", "1971-03-03"),
                 ("PKG-SI-LEFT", "Sacral", "Jo", "1964-07-07")]
MORE_SESSIONS = [
    ("PKG-ESI-DRUG", "2026-12-15", "scheduled", "64483-LT;J1010-JZx40", "11", "", DR_EXAMPLE,
     "M54.16", "J1010 dose=40 container=single_dose ndc=00009-3073-03", "", "64483 L4-L5"),
    ("PKG-SI-LEFT", "2026-12-17", "scheduled", "27096-LT;J3301x4", "24", "therapeutic",
     DR_EXAMPLE, "M46.1", "J3301 dose=40 container=multi_dose", "ASC-EL-PASO", ""),
]
LOCATION = ("ASC-EL-PASO", "Synthetic Surgery Center El Paso", "1 Example Way, El Paso, TX 79901",
            "1555000003", "24", "TX")


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def more(practice: Practice) -> Practice:
    add_rows(practice, "patients.csv", ["mrn", "family_name", "given_name", "birth_date"],
             MORE_PATIENTS)
    add_rows(practice, "coverages.csv", ["patient_mrn", "payer", "member_id", "effective_start"],
             [(mrn, "aetna", f"AET{n}", "2025-01-01") for n, (mrn, *_) in enumerate(MORE_PATIENTS)])
    add_rows(practice, "conservative_care.csv",
             ["patient_mrn", "kind", "start", "end", "outcome", "drugs", "visits"],
             [(mrn, kind, "2026-08-01", "2026-11-01", outcome, drugs, visits)
              for mrn, *_ in MORE_PATIENTS
              for kind, outcome, drugs, visits in (("physical_therapy", "partial", "", "12"),
                                                   ("medication", "no_relief", "naproxen 500 mg",
                                                    ""))])
    add_rows(practice, "locations.csv",
             ["code", "name", "address", "npi", "place_of_service", "state"], [LOCATION])
    add_rows(practice, "sessions.csv", ["patient_mrn", "date", "status", "codes",
                                        "place_of_service", "intent", "provider_npi",
                                        "diagnoses", "drugs", "location", "levels"],
             MORE_SESSIONS)
    check_upcoming_visits(practice.engine, TODAY)
    return practice


def _package(practice: Practice, mrn: str) -> AuthorizationPackage:
    with DbSession(practice.engine) as db:
        return assemble_package(db, practice.authorization_id(mrn), TODAY).package


def _words(text: str) -> str:
    """Text as one line: white space folded, a word broken at its hyphen by a table cell joined."""
    return re.sub(r"-\s+(?=[a-z])", "-", re.sub(r"\s+", " ", text))


def _text(pdf: bytes) -> str:
    return _words(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages))


def _requirements_are_beside_their_sources(package: AuthorizationPackage, text: str) -> None:
    assert package.requirements, "the policy asks nothing of this request?"
    for requirement in package.requirements:
        # the source as printed (its first words: the table wraps long ones)
        assert _words(requirement.source)[:40] in text, requirement.rule_id


FAMILIES = [("PKG-ESI-DRUG", "Radiculopathy, lumbar region"),
            ("PKG-RFA-NOBLOCKS", "Spondylosis without myelopathy or radiculopathy, lumbar region"),
            ("PKG-SI-LEFT", "Sacroiliitis, not elsewhere classified"),
            ("PKG-SCS-PSYCH", "Chronic pain syndrome")]


@pytest.mark.parametrize(("mrn", "described"), FAMILIES, ids=[m for m, _ in FAMILIES])
def test_each_familys_packet_has_the_letterhead_diagnoses_requirements_and_attestation(
        more: Practice, identity: None, mrn: str, described: str) -> None:
    package = _package(more, mrn)
    text = _text(render_packet(package, today=TODAY))

    assert "Lakeside Spine & Pain Associates" in text
    assert "200 Example Road NE, Suite 300, Albuquerque, NM 87101" in text
    assert "Group NPI 1234567893" in text and "Tax ID 00-0000000" in text
    assert described in text
    _requirements_are_beside_their_sources(package, text)
    assert "I attest that the information in this request is true and accurate" in text
    assert f"NPI {DR_EXAMPLE}" in text
    for line in package.lines:
        assert f"{line.code} {line.description}"[:30] in text


def test_a_drug_line_shows_its_dose_container_ndc_and_waste_modifier(
        more: Practice, identity: None) -> None:
    text = _text(render_packet(_package(more, "PKG-ESI-DRUG"), today=TODAY))
    assert "JZ" in text and "left" in text
    assert "40 mg given, single-dose container; NDC 00009-3073-03" in text


def test_the_request_shows_the_facility_and_the_spinal_levels(more: Practice,
                                                               identity: None) -> None:
    asc = _text(render_packet(_package(more, "PKG-SI-LEFT"), today=TODAY))
    assert ("Facility Synthetic Surgery Center El Paso · 1 Example Way, El Paso, TX 79901 · "
            "NPI 1555000003") in asc
    esi = _text(render_packet(_package(more, "PKG-ESI-DRUG"), today=TODAY))
    assert "L4-L5" in esi
    assert "Facility" not in esi  # no location on file: no facility row


def test_conservative_care_shows_its_visits_drugs_and_outcome_beside_the_rule(
        more: Practice, identity: None) -> None:
    text = _text(render_packet(_package(more, "PKG-ESI-DRUG"), today=TODAY))
    assert "medication: naproxen 500 mg 2026-08-01 2026-11-01 93 no relief" in text
    assert "physical therapy 2026-08-01 2026-11-01 93 12 partial improvement" in text

    package = _package(more, "PKG-ESI-READY")  # UnitedHealthcare asks for conservative care
    (step,) = [r for r in package.requirements if "conservative" in r.asks
               or "medication" in r.asks]
    summary = "Physical therapy 2026-08-01 to 2026-11-01 (93 days), 12 visits, partial improvement"
    assert summary in step.on_file
    assert summary[:40] in _text(render_packet(package, today=TODAY))


def test_a_fax_payers_packet_opens_with_a_cover_sheet_counting_its_pages(
        more: Practice, identity: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAINAUTH_PAYER_AETNA_CHANNEL", "manual")
    monkeypatch.setenv("PAINAUTH_PAYER_AETNA_FAX", "+1 555 0100 0142")
    package = _package(more, "PKG-SI-LEFT")
    pdf = render_packet(package, today=TODAY, fax_to=fax_number("aetna"))
    pages = PdfReader(io.BytesIO(pdf)).pages
    cover = _words(pages[0].extract_text())
    assert cover.startswith("Fax") and "+1 555 0100 0142" in cover
    assert f"Pages {len(pages)} (this cover included)" in cover
    assert "Sacral" not in cover  # the cover carries no patient name


def test_a_pas_payer_gets_no_fax_cover(more: Practice, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAINAUTH_PAYER_AETNA_URL", "http://127.0.0.1:9/fhir")
    monkeypatch.setenv("PAINAUTH_PAYER_AETNA_FAX", "+1 555 0100 0142")
    assert fax_number("aetna") is None


@pytest.mark.skipif(shutil.which("pdftoppm") is None,
                    reason="poppler-utils is not installed: `make test` installs it as root")
def test_the_first_page_renders_as_a_picture_that_is_not_blank(
        more: Practice, identity: None, tmp_path: Path) -> None:
    from PIL import Image

    pdf = tmp_path / "packet.pdf"
    pdf.write_bytes(render_packet(_package(more, "PKG-ESI-DRUG"), today=TODAY))
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdf),
                    str(tmp_path / "page")], check=True, timeout=120)
    picture = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    dark = sum(picture.histogram()[:128])  # pixels darker than mid-grey
    assert dark > 0.01 * picture.width * picture.height


def test_the_pas_bundle_carries_the_practice_and_the_ndc_and_stays_valid(
        more: Practice, identity: None) -> None:
    bundle = pas_request_bundle(_package(more, "PKG-ESI-DRUG"), "reviewer-1")
    resources = [e["resource"] for e in bundle["entry"]]
    practice = next(r for r in resources if r["resourceType"] == "Organization"
                    and r["meta"]["profile"][0].endswith("profile-requestor"))
    assert practice["name"] == "Lakeside Spine & Pain Associates"
    assert {"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"} in practice[
        "identifier"]
    role = next(r for r in resources if r["resourceType"] == "PractitionerRole")
    assert role["organization"]["reference"] == f"urn:uuid:{practice['id']}"
    claim = resources[0]
    drug = next(i for i in claim["item"] if i["productOrService"]["coding"][0]["code"] == "J1010")
    assert {"system": "http://hl7.org/fhir/sid/ndc", "code": "00009-3073-03"} in drug[
        "productOrService"]["coding"]
    assert [m["coding"][0]["code"] for m in drug["modifier"]] == ["JZ"]
    esi = next(i for i in claim["item"] if i["productOrService"]["coding"][0]["code"] == "64483")
    assert esi["bodySite"] == {"text": "spinal levels L4-L5"}
    care = [i for i in claim["supportingInfo"]
            if i["code"]["coding"][0]["code"] == "conservative-therapy"]
    assert sorted({e["url"]: e["valueString"] for e in i["extension"][0]["extension"]}["outcome"]
                  for i in care) == ["no_relief", "partial"]
    assert r4b_problems(bundle) == [] and pas_problems(bundle) == []
    assert package_problems(bundle) == []


def test_the_pas_bundle_carries_the_facility_as_a_location_and_stays_valid(
        more: Practice, identity: None) -> None:
    bundle = pas_request_bundle(_package(more, "PKG-SI-LEFT"), "reviewer-2")
    resources = [e["resource"] for e in bundle["entry"]]
    location = next(r for r in resources if r["resourceType"] == "Location")
    assert location["name"] == "Synthetic Surgery Center El Paso"
    assert location["address"]["text"] == "1 Example Way, El Paso, TX 79901"
    assert location["identifier"] == [{"system": "http://hl7.org/fhir/sid/us-npi",
                                       "value": "1555000003"}]
    assert resources[0]["facility"]["reference"] == f"urn:uuid:{location['id']}"
    assert r4b_problems(bundle) == [] and pas_problems(bundle) == []
    assert package_problems(bundle) == []


def test_a_category_diagnosis_is_not_ready_to_send(more: Practice) -> None:
    add_rows(more, "sessions.csv", ["patient_mrn", "date", "status", "codes", "diagnoses"],
             [("PKG-ESI-DRUG", "2026-12-15", "scheduled", "64483-LT", "M54.5")])
    needs = package_needs(_package(more, "PKG-ESI-DRUG"))
    assert [n.code for n in needs] == ["DIAGNOSIS_NOT_BILLABLE"]
    assert "M54.5 (Low back pain) is a category" in needs[0].message


IMPRESSION = "L4-L5 disc protrusion contacting the right L5 nerve root"


def _with_evidence_detail(practice: Practice) -> Practice:
    """Scores on the prior ESI, an MRI, and the psychologist's name on the SCS evaluation."""
    add_rows(practice, "sessions.csv", ["patient_mrn", "date", "status", "codes", "relief_percent",
                                        "duration_days", "provider_npi", "diagnoses",
                                        "pain_before", "pain_after", "function_scale",
                                        "function_before", "function_after"],
             [("PKG-ESI-READY", "2026-06-15", "performed", "64483-RT", "70", "120", DR_EXAMPLE,
               "M54.16", "7", "2", "ODI", "48", "30")])
    add_rows(practice, "imaging.csv", ["patient_mrn", "date", "modality", "region", "impression"],
             [("PKG-ESI-READY", "2026-03-02", "MRI", "lumbar spine", IMPRESSION),
              ("PKG-SCS-PSYCH", "2025-11-20", "CT", "thoracic spine", "")])
    add_rows(practice, "psych_evaluations.csv", ["patient_mrn", "date", "result", "evaluator"],
             [("PKG-SCS-PSYCH", "2025-06-01", "cleared", "Dr. Morgan Synthetic, PsyD")])
    return practice


def test_the_packet_and_bundle_show_pain_and_function_scores_imaging_and_the_evaluator(
        practice: Practice, identity: None) -> None:
    _with_evidence_detail(practice)
    esi = _package(practice, "PKG-ESI-READY")
    text = _text(render_packet(esi, today=TODAY))
    assert "7/10 before, 2/10 after" in text and "ODI 48 before, 30 after" in text
    assert "Imaging" in text and "MRI lumbar spine" in text
    assert IMPRESSION[:30] in text
    scs = _package(practice, "PKG-SCS-PSYCH")
    scs_text = _text(render_packet(scs, today=TODAY))
    assert "Dr. Morgan Synthetic, PsyD" in scs_text and "CT thoracic spine" in scs_text
    assert "No imaging study on file" not in scs_text

    for package, name in ((esi, "evidence-esi"), (scs, "evidence-scs")):
        bundle = pas_request_bundle(package, name)
        assert r4b_problems(bundle) == [] and pas_problems(bundle) == []
        assert package_problems(bundle) == []
    claim = pas_request_bundle(esi, "evidence-esi")["entry"][0]["resource"]
    by_kind: dict[str, list[dict[str, str]]] = {}
    for info in claim["supportingInfo"]:
        details = {e["url"]: e["valueString"] for x in info.get("extension") or []
                   for e in x.get("extension") or []}
        by_kind.setdefault(info["code"]["coding"][0]["code"], []).append(details)
    assert {"pain-before": "7", "pain-after": "2", "function-scale": "ODI",
            "function-before": "48", "function-after": "30"}.items() <= by_kind[
        "prior-response"][0].items()
    assert by_kind["imaging"] == [{"modality": "MRI", "region": "lumbar spine",
                                   "impression": IMPRESSION}]
    scs_claim = pas_request_bundle(scs, "evidence-scs")["entry"][0]["resource"]
    psych = [i for i in scs_claim["supportingInfo"]
             if i["code"]["coding"][0]["code"] == "psych-evaluation"]
    assert "Dr. Morgan Synthetic, PsyD" in psych[0]["valueString"]
