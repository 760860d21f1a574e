"""An authorization package as a Da Vinci PAS 2.2.1 request bundle (FHIR R4 JSON).

The shape follows the PAS profiles: a `collection` Bundle with an identifier and a timestamp, the
Claim first (`use = preauthorization`), then every resource the Claim refers to — the patient as a
PAS beneficiary, the coverage, the insurer, the requesting practitioner (PractitionerRole and
Practitioner), a DocumentReference for each uploaded clinical document and, when a packet is
attached, one for the packet. The bundle identifier is the
caller's: each submission attempt carries its own stable one, so a payer can tell a retry of the
same attempt from a new request.

Evidence goes into `Claim.supportingInfo` with a `code` from `evidence.EVIDENCE_SYSTEM`, which is
how the payer sandbox and `evidence_codes` read a package back. Documents go into the PAS
profile's `additionalInformation` slice (category PASTempCodes#additionalInformation, the
documentInformation extension with the X12 PWK01 report type, a valueReference to the
DocumentReference, whose attachment carries the bytes as `data`: the PAS DocumentReference
profile forbids `url`).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from tracker.codes.diagnoses import ICD10CM_SYSTEM
from tracker.packages.attachments import LOINC_TYPES, REPORT_TYPES, AttachedDocument
from tracker.packages.errors import DocumentFileMissing
from tracker.packages.evidence import EVIDENCE_KINDS, EVIDENCE_SYSTEM, detail_extension
from tracker.packages.package import (
    AuthorizationPackage,
    Evidence,
    Facility,
    Practice,
    Provider,
    ServiceLine,
)

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEM = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
PLACE_OF_SERVICE_SYSTEM = ("https://www.cms.gov/Medicare/Coding/place-of-service-codes/"
                           "Place_of_Service_Code_Set")
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
TAX_ID_SYSTEM = "urn:oid:2.16.840.1.113883.4.4"  # US IRS employer identification number
NDC_SYSTEM = "http://hl7.org/fhir/sid/ndc"
X12 = "https://codesystem.x12.org/005010/"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
UCUM = "http://unitsofmeasure.org"
INFO_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/claiminformationcategory"
PAS_TEMP_CODES = "http://hl7.org/fhir/us/davinci-pas/CodeSystem/PASTempCodes"
# Identifier systems of the practice's own numbers.
PAINAUTH_SID = "https://painauth.example.org/fhir/sid/"
SUBMISSION_SYSTEM = PAINAUTH_SID + "submission"
AUTHORIZATION_SYSTEM = PAINAUTH_SID + "authorization"
MRN_SYSTEM = PAINAUTH_SID + "mrn"
PAYER_SYSTEM = PAINAUTH_SID + "payer"

# X12 1365 service type of a line, by catalog family; procedures are surgical.
_SERVICE_TYPE: dict[str, tuple[str, str]] = {"imaging": ("4", "Diagnostic X-Ray"),
                                             "drug": ("1", "Medical Care")}
_SURGICAL = ("2", "Surgical")
_RANK_ORDER = {"primary": 1, "secondary": 2, "tertiary": 3}


def pas_request_bundle(package: AuthorizationPackage, identifier: str, *,
                       timestamp: datetime | None = None,
                       packet_pdf: bytes | None = None,
                       document_content: Callable[[AttachedDocument], bytes] | None = None,
                       ) -> dict[str, Any]:
    """The package as a PAS request bundle identified by `identifier` (one per submission attempt).

    `packet_pdf`, when given, travels as a DocumentReference the Claim points to, and so does
    each uploaded clinical document of the package, its bytes read by `document_content`
    (default: from PAINAUTH_HOME/documents).
    """
    if not identifier.strip():
        raise ValueError("a PAS request bundle needs a non-empty identifier")
    moment = (timestamp or datetime.now(UTC)).replace(microsecond=0)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    ids = _Ids(identifier)
    entries: list[dict[str, Any]] = []
    provider = package.rendering_provider or package.ordering_provider
    if provider is not None:
        entries += [_entry(_practitioner_role(ids, package)), _entry(_practitioner(ids, provider))]
    if package.practice is not None:
        entries.append(_entry(_requestor(ids, package.practice)))
    if package.facility is not None:
        entries.append(_entry(_location(ids, package.facility)))
    entries += [_entry(_patient(ids, package)), _entry(_coverage(ids, package)),
                _entry(_insurer(ids, package))]
    read = document_content or _stored_content
    uploaded = [(d, _uploaded(ids, d, read(d))) for d in package.documents if d.in_request]
    entries += [_entry(resource) for _, resource in uploaded]
    document = None
    if packet_pdf is not None:
        document = _document(ids, package, packet_pdf, moment)
        entries.append(_entry(document))
    claim = _claim(ids, package, moment, provider is not None, document, uploaded)
    return {
        "resourceType": "Bundle",
        "meta": {"profile": [PAS + "profile-pas-request-bundle"]},
        "identifier": {"system": SUBMISSION_SYSTEM, "value": identifier},
        "type": "collection",
        "timestamp": moment.isoformat(),
        "entry": [_entry(claim), *entries],
    }


class _Ids:
    """Stable resource ids per bundle identifier: the same package and identifier give the same
    bundle, byte for byte."""

    def __init__(self, identifier: str) -> None:
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, SUBMISSION_SYSTEM + "/" + identifier)

    def of(self, resource_type: str) -> str:
        return str(uuid.uuid5(self.namespace, resource_type))

    def reference(self, resource_type: str) -> dict[str, str]:
        return {"reference": f"urn:uuid:{self.of(resource_type)}"}


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return coding


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [_coding(system, code, display)]}


def _claim(ids: _Ids, package: AuthorizationPackage, moment: datetime, has_provider: bool,
           document: dict[str, Any] | None,
           uploaded: list[tuple[AttachedDocument, dict[str, Any]]]) -> dict[str, Any]:
    evidence = package.evidence()
    supporting = [_supporting_info(n, e) for n, e in enumerate(evidence, start=1)]
    for attached, resource in uploaded:
        supporting.append(_uploaded_info(len(supporting) + 1, attached, resource))
    if document is not None:
        supporting.append(_document_info(len(supporting) + 1, document))
    diagnoses = [{"sequence": n, "diagnosisCodeableConcept": _concept(ICD10CM_SYSTEM, code)}
                 for n, code in enumerate(package.diagnoses, start=1)]
    claim: dict[str, Any] = {
        "resourceType": "Claim",
        "id": ids.of("Claim"),
        "meta": {"profile": [PAS + "profile-claim"]},
        "identifier": [{"system": AUTHORIZATION_SYSTEM, "value": str(package.authorization_id)}],
        "status": "active",
        "type": _concept("http://terminology.hl7.org/CodeSystem/claim-type", "professional"),
        "use": "preauthorization",
        "patient": ids.reference("Patient"),
        "created": moment.isoformat(),
        "insurer": ids.reference("Organization"),
        "provider": ids.reference("PractitionerRole") if has_provider else None,
        "priority": _concept("http://terminology.hl7.org/CodeSystem/processpriority", "normal"),
        "careTeam": [{
            "extension": [{"url": PAS + "extension-careTeamClaimScope", "valueBoolean": True}],
            "sequence": 1, "provider": ids.reference("PractitionerRole"),
        }] if has_provider else None,
        "supportingInfo": supporting,
        "diagnosis": diagnoses or None,
        "facility": ids.reference("Location") if package.facility is not None else None,
        "insurance": [{"sequence": 1, "focal": True, "coverage": ids.reference("Coverage")}],
        "item": [_item(n, line, package, has_provider, len(diagnoses), len(supporting))
                 for n, line in enumerate(package.lines, start=1)],
    }
    return {k: v for k, v in claim.items() if v is not None}


def _item(sequence: int, line: ServiceLine, package: AuthorizationPackage, has_provider: bool,
          diagnoses: int, information: int) -> dict[str, Any]:
    service_type = _SERVICE_TYPE.get(line.family or "", _SURGICAL)
    item: dict[str, Any] = {
        "extension": [
            {"url": PAS + "extension-serviceItemRequestType",
             "valueCodeableConcept": _concept(X12 + "1525", "HS", "Health Services Review")},
            {"url": PAS + "extension-certificationType",
             "valueCodeableConcept": _concept(X12 + "1322", "I", "Initial")},
        ],
        "sequence": sequence,
        "category": _concept(X12 + "1365", *service_type),
        "productOrService": _product(line),
        "servicedDate": package.requested_date.isoformat(),
        "locationCodeableConcept": _concept(PLACE_OF_SERVICE_SYSTEM, package.place_of_service),
        "quantity": {"value": line.units},
    }
    if has_provider:
        item["careTeamSequence"] = [1]
    if diagnoses:
        item["diagnosisSequence"] = list(range(1, min(diagnoses, 12) + 1))
    if information:
        item["informationSequence"] = list(range(1, information + 1))
    if line.modifiers:
        item["modifier"] = [_concept(_modifier_system(m), m) for m in line.modifiers]
    if line.levels:
        # Claim.item.bodySite has an example binding only (oral sites): the spinal levels as text
        item["bodySite"] = {"text": "spinal levels " + line.levels_text}
    return item


def _product(line: ServiceLine) -> dict[str, Any]:
    """The line's CPT/HCPCS code; a drug line also carries its NDC (a second coding)."""
    concept = _concept(_code_system(line.code), line.code, line.description or None)
    if line.ndc:
        concept["coding"].append(_coding(NDC_SYSTEM, line.ndc_text))
    return concept


def _code_system(code: str) -> str:
    """CPT for five digits (and category II/III codes), HCPCS level II for a letter + 4 digits."""
    return HCPCS_SYSTEM if code[:1].isalpha() else CPT_SYSTEM


def _modifier_system(modifier: str) -> str:
    """CPT modifiers are two digits (50 = bilateral); RT, LT and other letters are HCPCS."""
    return CPT_SYSTEM if modifier.isdigit() else HCPCS_SYSTEM


def _supporting_info(sequence: int, evidence: Evidence) -> dict[str, Any]:
    code = _concept(EVIDENCE_SYSTEM, evidence.kind, EVIDENCE_KINDS[evidence.kind])
    code["text"] = evidence.text
    info: dict[str, Any] = {
        "sequence": sequence,
        "category": _concept(INFO_CATEGORY_SYSTEM, "info", "Information"),
        "code": code,
    }
    if evidence.start is not None and evidence.end is not None:
        info["timingPeriod"] = {"start": evidence.start.isoformat(),
                                "end": evidence.end.isoformat()}
    elif evidence.start is not None:
        info["timingDate"] = evidence.start.isoformat()
    if evidence.details:
        info["extension"] = [detail_extension(evidence.details)]
    if evidence.percent is not None:
        info["valueQuantity"] = {"value": evidence.percent, "unit": "%", "system": UCUM,
                                 "code": "%"}
    else:
        info["valueString"] = evidence.text
    return info


def _document_info(sequence: int, document: dict[str, Any]) -> dict[str, Any]:
    """The PDF packet, in the profile's AdditionalInformation slice."""
    return {
        "extension": [{"url": PAS + "extension-documentInformation", "extension": [
            {"url": "reportTypeCode",
             "valueCodeableConcept": _concept(X12 + "755", "OZ", "Support Data for Claim")},
            {"url": "transmissionMethod",
             "valueCodeableConcept": _concept(X12 + "756", "EL", "Electronically Only")},
            {"url": "description", "valueString": "Authorization packet: cover letter, evidence "
                                                  "tables and timeline"},
        ]}],
        "sequence": sequence,
        "category": _concept(PAS_TEMP_CODES, "additionalInformation"),
        "valueReference": {"reference": f"urn:uuid:{document['id']}"},
    }


def _uploaded_info(sequence: int, attached: AttachedDocument,
                   resource: dict[str, Any]) -> dict[str, Any]:
    """An uploaded document, in the profile's AdditionalInformation slice."""
    code, display = REPORT_TYPES.get(attached.kind, REPORT_TYPES["other_clinical"])
    return {
        "extension": [{"url": PAS + "extension-documentInformation", "extension": [
            {"url": "reportTypeCode", "valueCodeableConcept": _concept(X12 + "755", code, display)},
            {"url": "transmissionMethod",
             "valueCodeableConcept": _concept(X12 + "756", "EL", "Electronically Only")},
            {"url": "description", "valueString": f"{attached.kind_name}: {attached.title} "
                                                  f"({attached.date.isoformat()})"},
        ]}],
        "sequence": sequence,
        "category": _concept(PAS_TEMP_CODES, "additionalInformation"),
        "valueReference": {"reference": f"urn:uuid:{resource['id']}"},
    }


def _uploaded(ids: _Ids, attached: AttachedDocument, content: bytes) -> dict[str, Any]:
    """An uploaded document as a PAS DocumentReference: the bytes inline, with the SHA-1 FHIR
    asks of `Attachment.hash` (base64) beside its size, title and date."""
    code, display = LOINC_TYPES.get(attached.kind, LOINC_TYPES["other_clinical"])
    uploaded_at = attached.uploaded_at if attached.uploaded_at.tzinfo else \
        attached.uploaded_at.replace(tzinfo=UTC)  # SQLite gives naive UTC
    return {
        "resourceType": "DocumentReference",
        "id": ids.of(f"DocumentReference/{attached.id}"),
        "meta": {"profile": [PAS + "profile-documentreference"]},
        "status": "current",
        "type": _concept("http://loinc.org", code, display),
        "category": [_concept("http://hl7.org/fhir/us/core/CodeSystem/"
                              "us-core-documentreference-category", "clinical-note",
                              "Clinical Note")],
        "subject": ids.reference("Patient"),
        "date": uploaded_at.replace(microsecond=0).isoformat(),
        "description": attached.kind_name,
        "content": [{"attachment": {
            "contentType": attached.content_type,
            "data": base64.b64encode(content).decode("ascii"),
            "size": len(content),
            "hash": base64.b64encode(hashlib.sha1(content).digest()).decode("ascii"),
            "title": attached.title,
            "creation": attached.date.isoformat(),
        }}],
    }


def _stored_content(attached: AttachedDocument) -> bytes:
    from tracker.settings import load_settings
    from tracker.store.document_files import read_document_file

    try:
        return read_document_file(load_settings().home, attached.stored_name)
    except (OSError, ValueError):
        raise DocumentFileMissing(attached.id, attached.title) from None


def _patient(ids: _Ids, package: AuthorizationPackage) -> dict[str, Any]:
    patient = package.patient
    return {
        "resourceType": "Patient",
        "id": ids.of("Patient"),
        "meta": {"profile": [PAS + "profile-beneficiary"]},
        "identifier": [{"type": _concept(V2_0203, "MR", "Medical record number"),
                        "system": MRN_SYSTEM, "value": patient.mrn}],
        "name": [{"family": patient.family_name, "given": patient.given_name.split()}],
        # The practice exports no administrative gender; US Core requires the element.
        "gender": "unknown",
        "birthDate": patient.birth_date.isoformat(),
    }


def _coverage(ids: _Ids, package: AuthorizationPackage) -> dict[str, Any]:
    coverage = package.coverage
    return {
        "resourceType": "Coverage",
        "id": ids.of("Coverage"),
        "meta": {"profile": [PAS + "profile-coverage"]},
        "identifier": [{"type": _concept(V2_0203, "MB", "Member Number"),
                        "system": f"{PAINAUTH_SID}member-id/{coverage.payer}",
                        "value": coverage.member_id}],
        "status": "active",
        "subscriberId": coverage.member_id,
        "beneficiary": ids.reference("Patient"),
        "relationship": {"coding": [
            _coding("http://terminology.hl7.org/CodeSystem/subscriber-relationship", "self"),
            _coding(X12 + "1069", "18")]},
        "payor": [ids.reference("Organization")],
        "order": _RANK_ORDER.get(coverage.rank, 1),
    }


def _insurer(ids: _Ids, package: AuthorizationPackage) -> dict[str, Any]:
    return {
        "resourceType": "Organization",
        "id": ids.of("Organization"),
        "meta": {"profile": [PAS + "profile-insurer"]},
        "identifier": [{"system": PAYER_SYSTEM, "value": package.coverage.payer}],
        "active": True,
        "type": [_concept(X12 + "98", "PR", "Payer")],
        "name": package.coverage.payer_name,
    }


def _practitioner_role(ids: _Ids, package: AuthorizationPackage) -> dict[str, Any]:
    role: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "id": ids.of("PractitionerRole"),
        "meta": {"profile": [PAS + "profile-practitionerrole"]},
        "active": True,
        "practitioner": ids.reference("Practitioner"),
    }
    if package.practice is not None:
        role["organization"] = ids.reference("Organization/practice")
    return role


def _requestor(ids: _Ids, practice: Practice) -> dict[str, Any]:
    """The practice as the requesting organization: its group NPI and tax id, address, phone
    and fax."""
    identifiers = []
    if practice.npi:
        identifiers.append({"system": NPI_SYSTEM, "value": practice.npi})
    if practice.tax_id:
        identifiers.append({"system": TAX_ID_SYSTEM, "value": practice.tax_id})
    telecom = [{"system": kind, "value": value, "use": "work"}
               for kind, value in (("phone", practice.phone), ("fax", practice.fax)) if value]
    organization: dict[str, Any] = {
        "resourceType": "Organization",
        "id": ids.of("Organization/practice"),
        "meta": {"profile": [PAS + "profile-requestor"]},
        "active": True,
        "type": [_concept(X12 + "98", "1P", "Provider")],
        "name": practice.name,
    }
    if identifiers:
        organization["identifier"] = identifiers
    if telecom:
        organization["telecom"] = telecom
    if practice.address:
        organization["address"] = [{"use": "work", "text": practice.address}]
    return organization


def _location(ids: _Ids, facility: Facility) -> dict[str, Any]:
    """The facility of the place of service (PAS Location: a name and an address)."""
    location: dict[str, Any] = {
        "resourceType": "Location",
        "id": ids.of("Location"),
        "meta": {"profile": [PAS + "profile-location"]},
        "status": "active",
        "name": facility.name,
        "type": [_concept(PLACE_OF_SERVICE_SYSTEM, facility.place_of_service)],
        "address": {"use": "work", "text": facility.address},
    }
    if facility.state:
        location["address"]["state"] = facility.state
        location["address"]["country"] = "US"
    if facility.npi:
        location["identifier"] = [{"system": NPI_SYSTEM, "value": facility.npi}]
    return location


def _practitioner(ids: _Ids, provider: Provider) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": ids.of("Practitioner"),
        "meta": {"profile": [PAS + "profile-practitioner"]},
        "identifier": [{"system": NPI_SYSTEM, "value": provider.npi}],
        "name": [_human_name(provider.name)],
    }


def _human_name(text: str) -> dict[str, Any]:
    """`Dr. Synthia Example` -> prefix Dr., given Synthia, family Example."""
    words = text.split()
    prefix = [w for w in words[:1] if w.rstrip(".").lower() in ("dr", "doctor")]
    rest = words[len(prefix):] or words
    name: dict[str, Any] = {"text": text, "family": rest[-1]}
    if rest[:-1]:
        name["given"] = rest[:-1]
    if prefix:
        name["prefix"] = prefix
    return name


def _document(ids: _Ids, package: AuthorizationPackage, pdf: bytes,
              moment: datetime) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": ids.of("DocumentReference"),
        "meta": {"profile": [PAS + "profile-documentreference"]},
        "status": "current",
        "type": _concept("http://loinc.org", "34109-9", "Note"),
        "category": [_concept("http://hl7.org/fhir/us/core/CodeSystem/"
                              "us-core-documentreference-category", "clinical-note",
                              "Clinical Note")],
        "subject": ids.reference("Patient"),
        "date": moment.isoformat(),
        "content": [{"attachment": {
            "contentType": "application/pdf",
            "data": base64.b64encode(pdf).decode("ascii"),
            "title": f"Authorization packet {package.patient.mrn} "
                     f"{_day(package.requested_date)}",
        }}],
    }


def _day(day: date) -> str:
    return day.isoformat()
