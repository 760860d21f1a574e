"""The project's own checks of a Da Vinci PAS 2.2.1 request bundle.

`fhir.resources` checks a bundle against base FHIR; these check what the PAS profiles add, each
rule taken from the minimum cardinalities, fixed values and invariants of the StructureDefinitions
in `shared/fixtures/davinci-pas-2.2.1/profiles` (the snapshot of each profile, US Core included):

- profile-pas-request-bundle: identifier 1..1, timestamp 1..1, type = collection, entry 1..*,
  entry.fullUrl and entry.resource 1..1, no entry.request/response/search, the first entry a
  Claim (invariant ClaimFirst), at most two Claims;
- profile-claim (on profile-claim-base): identifier 1..2 with system and value, status = active,
  use = preauthorization, type, patient, created, insurer, provider, priority 1..1, insurance 1..*
  with sequence, focal and coverage, item 1..* with sequence, category, productOrService,
  location[x] and the requestType and certificationType extensions, dates as full dates,
  careTeam with the careTeamClaimScope extension, sequence and provider, supportingInfo with
  sequence and category and the shape of the slices named by category (additionalInformation,
  freeFormMessage, patientEvent, admissionDates, dischargeDates), diagnosis with sequence and
  diagnosis[x], a quantity (profile-quantity) with a value;
- profile-beneficiary / profile-subscriber (US Core Patient): identifier, name, gender;
- profile-coverage: identifier, status = active, beneficiary, relationship, payor;
- profile-insurer / profile-requestor (PAS Organization): active and name;
- profile-practitionerrole: practitioner; profile-practitioner: identifier and name.

And one rule of a bundle sent on its own: every reference the Claim makes resolves to an entry.

`pas_problems` holds a bundle to the profiles (the IG's own request examples pass it);
`package_problems` adds what painauth itself promises of the bundles it builds — among them that
*every* reference of every entry resolves. (The IG's surgical example fails that one: its
PractitionerRole points at the referral example's Practitioner and Location, which that bundle
does not hold; so the rule is painauth's, not the profiles'.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tracker.codes.diagnoses import ICD10CM_SYSTEM, is_diagnosis
from tracker.packages.evidence import EVIDENCE_KINDS, EVIDENCE_SYSTEM

PAS = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/"
PAS_TEMP_CODES = "http://hl7.org/fhir/us/davinci-pas/CodeSystem/PASTempCodes"
REQUIRED_ITEM_EXTENSIONS = {
    PAS + "extension-serviceItemRequestType": "requestType",
    PAS + "extension-certificationType": "certificationType",
}
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEMS = ("http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
                 "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets")
PLACE_OF_SERVICE_SYSTEM = ("https://www.cms.gov/Medicare/Coding/place-of-service-codes/"
                           "Place_of_Service_Code_Set")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")

Resource = dict[str, Any]


def pas_problems(bundle: Any) -> list[str]:
    """Every way `bundle` falls short of a PAS 2.2.1 request bundle; empty when it conforms."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return ["Bundle: not a FHIR Bundle (resourceType must be \"Bundle\")"]
    problems = _bundle_problems(bundle)
    entries = [e for e in bundle.get("entry") or [] if isinstance(e, dict)]
    resources: list[Resource] = [e["resource"] for e in entries
                                 if isinstance(e.get("resource"), dict)]
    claims = [r for r in resources if r.get("resourceType") == "Claim"]
    if not resources or resources[0].get("resourceType") != "Claim":
        problems.append("Bundle.entry[0]: the first entry must be the Claim (ClaimFirst)")
    if len(claims) > 2:
        problems.append(f"Bundle.entry: {len(claims)} Claims; a request carries at most 2")
    index = _Index(entries)
    problems += index.unresolved(entries[:1])
    if resources and resources[0].get("resourceType") == "Claim":
        problems += _claim_problems(resources[0], index)
    return problems


def package_problems(bundle: Any) -> list[str]:
    """`pas_problems` plus what painauth promises of its own bundles: a quantity on every line,
    CPT/HCPCS codes, a CMS place of service, ICD-10-CM diagnoses, and evidence coded in the
    shared evidence vocabulary."""
    problems = pas_problems(bundle)
    entries = [e for e in bundle.get("entry") or [] if isinstance(e, dict)] \
        if isinstance(bundle, dict) else []
    claim = entries[0].get("resource") if entries else None
    if not isinstance(claim, dict) or claim.get("resourceType") != "Claim":
        return problems
    problems += _Index(entries).unresolved(entries[1:])
    for n, item in enumerate(claim.get("item") or []):
        where = f"Claim.item[{n}]"
        if not isinstance(item.get("quantity"), dict):
            problems.append(f"{where}.quantity: missing; every line states its units")
        systems = _systems(item.get("productOrService"))
        if not systems & {CPT_SYSTEM, *HCPCS_SYSTEMS}:
            problems.append(f"{where}.productOrService: not coded in CPT or HCPCS")
        if PLACE_OF_SERVICE_SYSTEM not in _systems(item.get("locationCodeableConcept")):
            problems.append(f"{where}.locationCodeableConcept: not a CMS place-of-service code")
    diagnoses = claim.get("diagnosis") or []
    if not diagnoses:
        problems.append("Claim.diagnosis: no diagnosis; a request carries at least one ICD-10-CM code")
    for n, diagnosis in enumerate(diagnoses):
        codings = (diagnosis.get("diagnosisCodeableConcept") or {}).get("coding") or []
        if not any(c.get("system") == ICD10CM_SYSTEM and is_diagnosis(str(c.get("code", "")))
                   for c in codings):
            problems.append(f"Claim.diagnosis[{n}]: no ICD-10-CM code ({ICD10CM_SYSTEM})")
    for n, info in enumerate(claim.get("supportingInfo") or []):
        for coding in (info.get("code") or {}).get("coding") or []:
            if coding.get("system") == EVIDENCE_SYSTEM and coding.get("code") not in EVIDENCE_KINDS:
                problems.append(f"Claim.supportingInfo[{n}].code: unknown evidence kind "
                                f"{coding.get('code')!r}")
    return problems


# -- the bundle ---------------------------------------------------------------------------------

def _bundle_problems(bundle: Resource) -> list[str]:
    problems = []
    identifier = bundle.get("identifier")
    if not isinstance(identifier, dict) or not str(identifier.get("value") or "").strip():
        problems.append("Bundle.identifier: missing; each submission attempt carries a stable "
                        "identifier value")
    timestamp = bundle.get("timestamp")
    if not isinstance(timestamp, str) or not _INSTANT.fullmatch(timestamp):
        problems.append("Bundle.timestamp: missing or not an instant with a time zone")
    if bundle.get("type") != "collection":
        problems.append(f"Bundle.type: {bundle.get('type')!r}; a PAS request is a 'collection'")
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        problems.append("Bundle.entry: empty; the request needs at least the Claim")
        return problems
    for n, entry in enumerate(entries):
        where = f"Bundle.entry[{n}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: not an object")
            continue
        if not entry.get("fullUrl"):
            problems.append(f"{where}.fullUrl: missing")
        if not isinstance(entry.get("resource"), dict):
            problems.append(f"{where}.resource: missing")
        for forbidden in ("request", "response", "search"):
            if forbidden in entry:
                problems.append(f"{where}.{forbidden}: not allowed in a collection request")
    return problems


class _Index:
    """The bundle's resources by fullUrl and by `Type/id`, to resolve references."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries
        self.by_key: dict[str, Resource] = {}
        for entry in entries:
            resource = entry.get("resource")
            if not isinstance(resource, dict):
                continue
            full_url = entry.get("fullUrl")
            if isinstance(full_url, str):
                self.by_key[full_url] = resource
            if resource.get("id"):
                self.by_key[f"{resource.get('resourceType')}/{resource['id']}"] = resource

    def resolve(self, reference: Any) -> Resource | None:
        text = reference.get("reference") if isinstance(reference, dict) else None
        if not isinstance(text, str):
            return None
        found = self.by_key.get(text)
        if found is None and "/" in text and not text.startswith("urn:"):
            # an absolute URL to a resource of the bundle: its last two segments are Type/id
            found = self.by_key.get("/".join(text.rstrip("/").split("/")[-2:]))
        return found

    def unresolved(self, entries: list[dict[str, Any]]) -> list[str]:
        """References of `entries` that no entry of the bundle answers."""
        problems = []
        for entry in entries:
            n = self.entries.index(entry)
            resource = entry.get("resource")
            if not isinstance(resource, dict):
                continue
            contained = {f"#{c.get('id')}" for c in resource.get("contained") or []
                         if isinstance(c, dict)}
            for path, text in _references(resource, resource.get("resourceType", "?")):
                if text in contained or text == "#":
                    continue
                if self.resolve({"reference": text}) is None:
                    problems.append(f"Bundle.entry[{n}] {path}: reference {text!r} does not "
                                    "resolve to an entry of the bundle")
        return problems


def _references(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        reference = value.get("reference")
        if isinstance(reference, str):
            yield path, reference
        for key, child in value.items():
            if key != "contained":
                yield from _references(child, f"{path}.{key}")
    elif isinstance(value, list):
        for n, child in enumerate(value):
            yield from _references(child, f"{path}[{n}]")


# -- the Claim ----------------------------------------------------------------------------------

def _claim_problems(claim: Resource, index: _Index) -> list[str]:
    problems = []
    identifiers = claim.get("identifier") or []
    if not 1 <= len(identifiers) <= 2:
        problems.append("Claim.identifier: needs 1 or 2 identifiers")
    for n, identifier in enumerate(identifiers):
        if not (identifier.get("system") and identifier.get("value")):
            problems.append(f"Claim.identifier[{n}]: needs a system and a value")
    if claim.get("status") != "active":
        problems.append(f"Claim.status: {claim.get('status')!r}; must be 'active'")
    if claim.get("use") != "preauthorization":
        problems.append(f"Claim.use: {claim.get('use')!r}; must be 'preauthorization'")
    for name in ("type", "patient", "created", "insurer", "provider", "priority"):
        if not claim.get(name):
            problems.append(f"Claim.{name}: missing")
    problems += _party_problems(claim, index)
    sequences = {
        "careTeam": _sequence_problems(claim, "careTeam", problems),
        "diagnosis": _sequence_problems(claim, "diagnosis", problems),
        "supportingInfo": _sequence_problems(claim, "supportingInfo", problems),
    }
    for n, member in enumerate(claim.get("careTeam") or []):
        if not _has_extension(member, PAS + "extension-careTeamClaimScope"):
            problems.append(f"Claim.careTeam[{n}]: missing the careTeamClaimScope extension")
        if not member.get("provider"):
            problems.append(f"Claim.careTeam[{n}].provider: missing")
    for n, diagnosis in enumerate(claim.get("diagnosis") or []):
        if not (diagnosis.get("diagnosisCodeableConcept") or diagnosis.get("diagnosisReference")):
            problems.append(f"Claim.diagnosis[{n}].diagnosis[x]: missing")
    for n, info in enumerate(claim.get("supportingInfo") or []):
        problems += _supporting_info_problems(n, info)
    problems += _insurance_problems(claim, index)
    items = claim.get("item") or []
    if not items:
        problems.append("Claim.item: none; a request asks for at least one service")
    seen: set[Any] = set()
    for n, item in enumerate(items):
        problems += _item_problems(n, item, sequences)
        if item.get("sequence") in seen:
            problems.append(f"Claim.item[{n}].sequence: {item.get('sequence')} repeats")
        seen.add(item.get("sequence"))
    return problems


def _sequence_problems(claim: Resource, element: str, problems: list[str]) -> set[Any]:
    found: set[Any] = set()
    for n, part in enumerate(claim.get(element) or []):
        sequence = part.get("sequence")
        if not isinstance(sequence, int) or sequence < 1:
            problems.append(f"Claim.{element}[{n}].sequence: missing or not a positive integer")
        elif sequence in found:
            problems.append(f"Claim.{element}[{n}].sequence: {sequence} repeats")
        found.add(sequence)
    return found


def _item_problems(n: int, item: Resource, sequences: dict[str, set[Any]]) -> list[str]:
    where = f"Claim.item[{n}]"
    problems = []
    if not isinstance(item.get("sequence"), int) or item["sequence"] < 1:
        problems.append(f"{where}.sequence: missing or not a positive integer")
    for name in ("category", "productOrService"):
        if not item.get(name):
            problems.append(f"{where}.{name}: missing")
    if not any(key.startswith("location") for key in item):
        problems.append(f"{where}.location[x]: missing (the place of service)")
    urls = {e.get("url") for e in item.get("extension") or [] if isinstance(e, dict)}
    for url, slice_name in REQUIRED_ITEM_EXTENSIONS.items():
        if url not in urls:
            problems.append(f"{where}.extension:{slice_name}: missing")
    if "servicedDate" in item and not _FULL_DATE.fullmatch(str(item["servicedDate"])):
        problems.append(f"{where}.servicedDate: not a full date (YYYY-MM-DD)")
    for end in ("start", "end"):
        value = (item.get("servicedPeriod") or {}).get(end)
        if value is not None and not _FULL_DATE.fullmatch(str(value)):
            problems.append(f"{where}.servicedPeriod.{end}: not a full date (YYYY-MM-DD)")
    quantity = item.get("quantity")
    if quantity is not None and (not isinstance(quantity, dict) or "value" not in quantity):
        problems.append(f"{where}.quantity: has no value")
    for link, element in (("careTeamSequence", "careTeam"), ("diagnosisSequence", "diagnosis"),
                          ("informationSequence", "supportingInfo")):
        for number in item.get(link) or []:
            if number not in sequences[element]:
                problems.append(f"{where}.{link}: {number} names no Claim.{element} entry")
    return problems


def _supporting_info_problems(n: int, info: Resource) -> list[str]:
    where = f"Claim.supportingInfo[{n}]"
    category = info.get("category")
    if not category:
        return [f"{where}.category: missing"]
    codes = {c.get("code") for c in category.get("coding") or []
             if c.get("system") == PAS_TEMP_CODES}
    has_timing = any(k.startswith("timing") for k in info)
    has_value = any(k.startswith("value") for k in info)
    problems = []
    if "additionalInformation" in codes:
        if not _has_extension(info, PAS + "extension-documentInformation"):
            problems.append(f"{where}: additionalInformation needs the documentInformation "
                            "extension")
        if "valueReference" not in info:
            problems.append(f"{where}: additionalInformation needs valueReference to a document")
        if has_timing:
            problems.append(f"{where}: additionalInformation takes no timing")
    if "freeFormMessage" in codes:
        if "valueString" not in info:
            problems.append(f"{where}: freeFormMessage needs valueString")
        if has_timing:
            problems.append(f"{where}: freeFormMessage takes no timing")
    if codes & {"patientEvent", "admissionDates", "dischargeDates"}:
        if not has_timing:
            problems.append(f"{where}: {sorted(codes)[0]} needs timing[x]")
        if has_value:
            problems.append(f"{where}: {sorted(codes)[0]} takes no value[x]")
        if "dischargeDates" in codes and "timingDate" not in info:
            problems.append(f"{where}: dischargeDates needs timingDate")
    for key in ("timingDate",):
        if key in info and not _FULL_DATE.fullmatch(str(info[key])):
            problems.append(f"{where}.{key}: not a full date (YYYY-MM-DD)")
    return problems


def _insurance_problems(claim: Resource, index: _Index) -> list[str]:
    insurance = claim.get("insurance") or []
    if not insurance:
        return ["Claim.insurance: none; the request names the coverage it is made under"]
    problems = []
    for n, entry in enumerate(insurance):
        for name in ("sequence", "coverage"):
            if not entry.get(name):
                problems.append(f"Claim.insurance[{n}].{name}: missing")
        if not isinstance(entry.get("focal"), bool):
            problems.append(f"Claim.insurance[{n}].focal: missing")
        coverage = index.resolve(entry.get("coverage"))
        if coverage is not None:
            problems += _coverage_problems(n, coverage)
    if not any(entry.get("focal") is True for entry in insurance):
        problems.append("Claim.insurance: no entry has focal = true")
    return problems


def _coverage_problems(n: int, coverage: Resource) -> list[str]:
    where = f"Claim.insurance[{n}].coverage"
    if coverage.get("resourceType") != "Coverage":
        return [f"{where}: refers to a {coverage.get('resourceType')}, not a Coverage"]
    problems = [f"{where}: Coverage.{name} missing"
                for name in ("identifier", "beneficiary", "relationship", "payor")
                if not coverage.get(name)]
    if coverage.get("status") != "active":
        problems.append(f"{where}: Coverage.status must be 'active'")
    return problems


def _party_problems(claim: Resource, index: _Index) -> list[str]:
    problems = []
    patient = index.resolve(claim.get("patient"))
    if patient is not None:
        if patient.get("resourceType") != "Patient":
            problems.append("Claim.patient: does not refer to a Patient")
        else:
            problems += [f"Claim.patient: Patient.{name} missing (PAS beneficiary)"
                         for name in ("identifier", "name", "gender") if not patient.get(name)]
            birth = patient.get("birthDate")
            if birth is not None and not _FULL_DATE.fullmatch(str(birth)):
                problems.append("Claim.patient: Patient.birthDate is not a full date")
    insurer = index.resolve(claim.get("insurer"))
    if insurer is not None:
        problems += _organization_problems("Claim.insurer", insurer)
    provider = index.resolve(claim.get("provider"))
    if provider is not None:
        kind = provider.get("resourceType")
        if kind == "Organization":
            problems += _organization_problems("Claim.provider", provider)
        elif kind == "PractitionerRole":
            practitioner = index.resolve(provider.get("practitioner"))
            if not provider.get("practitioner"):
                problems.append("Claim.provider: PractitionerRole.practitioner missing")
            elif practitioner is not None:
                problems += [f"Claim.provider: Practitioner.{name} missing"
                             for name in ("identifier", "name") if not practitioner.get(name)]
        else:
            problems.append(f"Claim.provider: refers to a {kind}, not an Organization or a "
                            "PractitionerRole")
    return problems


def _organization_problems(where: str, organization: Resource) -> list[str]:
    if organization.get("resourceType") != "Organization":
        return [f"{where}: refers to a {organization.get('resourceType')}, not an Organization"]
    problems = []
    if not isinstance(organization.get("active"), bool):
        problems.append(f"{where}: Organization.active missing")
    if not organization.get("name"):
        problems.append(f"{where}: Organization.name missing")
    return problems


def _has_extension(element: Resource, url: str) -> bool:
    return any(isinstance(e, dict) and e.get("url") == url for e in element.get("extension") or [])


def _systems(concept: Any) -> set[str]:
    if not isinstance(concept, dict):
        return set()
    return {str(c.get("system")) for c in concept.get("coding") or [] if isinstance(c, dict)}
