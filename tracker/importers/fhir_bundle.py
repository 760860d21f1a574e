"""FHIR R4 bundles: Patient, Coverage, Procedure (performed) and Appointment (booked) resources,
flattened into the CSV columns of `formats` so they pass the very same checks.

The mapping is documented in docs/import.md. Procedures of one patient on one date are one
session (their codes are joined); other resource types are counted as skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.codes.diagnoses import ICD10CM_SYSTEM
from tracker.errors import InputError
from tracker.importers.errors import ImportFileError
from tracker.importers.fhir_shapes import entry_problem
from tracker.importers.json_document import load_json_document

CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEMS = ("https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
                 "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets")
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
EXTENSION = "urn:painauth:fhir:"  # + units, modifier, place-of-service, intent, muscles, ...

PROCEDURE_STATUS = {"completed": "performed"}
APPOINTMENT_STATUS = {
    "proposed": "scheduled", "pending": "scheduled", "booked": "scheduled", "arrived": "scheduled",
    "checked-in": "scheduled", "waitlist": "scheduled", "cancelled": "cancelled",
    "noshow": "cancelled",
}
_RANKS = {1: "primary", 2: "secondary", 3: "tertiary"}
_ORDER = ("Patient", "Coverage", "Procedure", "Appointment")


@dataclass(slots=True)
class FhirRow:
    """One row in CSV columns, from one resource (or the Procedures of one session)."""

    kind: str
    line: int  # the 1-based number of the (first) bundle entry
    values: dict[str, str | None]
    raw: str
    problem: str | None = None
    problem_field: str | None = None


@dataclass(slots=True)
class BundleRows:
    rows: list[FhirRow] = field(default_factory=list)
    skipped: int = 0


def read_bundle(path: Path) -> BundleRows:
    try:
        document = load_json_document(path.read_bytes())
    except OSError as error:
        raise ImportFileError(str(path), f"cannot open it ({error.strerror})") from None
    except InputError as error:
        raise ImportFileError(str(path), f"it is not valid JSON ({error.message})") from None
    if not isinstance(document, dict) or document.get("resourceType") != "Bundle":
        raise ImportFileError(str(path), "it is JSON but not a FHIR Bundle (resourceType must "
                                         "be \"Bundle\"); export the data as a bundle")
    entries = document.get("entry") or []
    if not isinstance(entries, list):
        raise ImportFileError(str(path), "the bundle's entry is not a list")
    return _rows(entries)


_KIND_OF = {"Patient": "patients", "Coverage": "coverages", "Procedure": "sessions",
            "Appointment": "sessions"}
UNREADABLE = "fhir_entries"  # the kind of a quarantined entry that is no resource at all


def _rows(entries: list[Any]) -> BundleRows:
    result = BundleRows()
    index = _Index()
    resources: list[tuple[int, dict[str, Any]]] = []
    for number, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") not in _ORDER:
            result.skipped += 1  # a resource type painauth does not read
            continue
        problem = entry_problem(entry, number)
        if problem is not None:
            kind = _KIND_OF.get(str(resource.get("resourceType")), UNREADABLE) if isinstance(
                resource, dict) else UNREADABLE
            result.rows.append(_refused(kind, number, entry, problem))
            continue
        assert isinstance(resource, dict) and isinstance(entry, dict)
        index.add(entry.get("fullUrl"), resource)
        resources.append((number, resource))
    resources.sort(key=lambda item: _ORDER.index(item[1]["resourceType"]))
    procedures: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]] = {}
    for number, resource in resources:
        try:
            row = _row(number, resource, index, procedures)
        except (AttributeError, TypeError, ValueError, KeyError, IndexError) as error:
            row = _refused(_KIND_OF[resource["resourceType"]], number, resource,
                           (f"entry[{number - 1}].resource",
                            f"entry[{number - 1}].resource is not shaped as a FHIR R4 "
                            f"{resource['resourceType']} ({type(error).__name__}: {error})"))
        if row is None:
            result.skipped += 1
        elif row is not _GROUPED:
            result.rows.append(row)
    for (patient, day), group in procedures.items():
        try:
            result.rows.append(_session(group, patient, day))
        except (AttributeError, TypeError, ValueError, KeyError, IndexError) as error:
            number = group[0][0]
            result.rows.append(_refused("sessions", number, [r for _, r in group], (
                f"entry[{number - 1}].resource", f"the Procedures of entry[{number - 1}] are not "
                f"shaped as FHIR R4 ({type(error).__name__}: {error})")))
    return result


_GROUPED = FhirRow("sessions", 0, {}, "")  # a Procedure kept for its session's row


def _row(number: int, resource: dict[str, Any], index: _Index,
         procedures: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]]) -> FhirRow | None:
    """The row of one resource; None when it is skipped (a status painauth does not take)."""
    kind = resource["resourceType"]
    if kind == "Patient":
        return _patient(number, resource)
    if kind == "Coverage":
        return _coverage(number, resource, index)
    if kind == "Procedure":
        if PROCEDURE_STATUS.get(str(resource.get("status"))) is None:
            return None
        patient = index.patient_mrn(_reference(resource.get("subject")))
        day = _day(resource.get("performedDateTime")
                   or (resource.get("performedPeriod") or {}).get("start"))
        procedures.setdefault((patient or "", day or ""), []).append((number, resource))
        return _GROUPED
    status = APPOINTMENT_STATUS.get(str(resource.get("status")))
    if status is None:
        return None
    return _appointment(number, resource, status, index)


def _refused(kind: str, number: int, value: Any, problem: tuple[str, str]) -> FhirRow:
    path, message = problem
    return FhirRow(kind, number, {}, _raw(value), problem=message, problem_field=path[-64:])


class _Index:
    """Resolves references inside the bundle: fullUrl, or ResourceType/id."""

    def __init__(self) -> None:
        self.by_reference: dict[str, dict[str, Any]] = {}

    def add(self, full_url: Any, resource: dict[str, Any]) -> None:
        if isinstance(full_url, str):
            self.by_reference[full_url] = resource
        if resource.get("id"):
            self.by_reference[f"{resource['resourceType']}/{resource['id']}"] = resource

    def patient_mrn(self, reference: str | None) -> str | None:
        if reference is None:
            return None
        resource = self.by_reference.get(reference)
        if resource is not None and resource.get("resourceType") == "Patient":
            return _mrn(resource)
        # A patient imported earlier: the store looks the id up as an MRN, then as a FHIR id.
        return reference.rsplit("/", 1)[-1] if reference.startswith("Patient/") else None

    def resource(self, reference: str | None) -> dict[str, Any] | None:
        return self.by_reference.get(reference) if reference else None


def _patient(number: int, resource: dict[str, Any]) -> FhirRow:
    names = resource.get("name") or [{}]
    name = next((n for n in names if n.get("use") == "official"), names[0])
    return FhirRow("patients", number, {
        "mrn": _mrn(resource),
        "family_name": name.get("family"),
        "given_name": " ".join(name.get("given") or []) or None,
        "birth_date": resource.get("birthDate"),
        "fhir_id": resource.get("id"),
    }, _raw(resource))


def _mrn(resource: dict[str, Any]) -> str | None:
    identifiers = [i for i in resource.get("identifier") or [] if isinstance(i, dict)]
    for identifier in identifiers:
        codings = (identifier.get("type") or {}).get("coding") or []
        if any(c.get("code") == "MR" for c in codings) and identifier.get("value"):
            return str(identifier["value"])
    if identifiers and identifiers[0].get("value"):
        return str(identifiers[0]["value"])
    return resource.get("id")


def _coverage(number: int, resource: dict[str, Any], index: _Index) -> FhirRow:
    period = resource.get("period") or {}
    order = resource.get("order")
    payor = (resource.get("payor") or [{}])[0]
    payer = (payor.get("identifier") or {}).get("value")
    organization = index.resource(payor.get("reference"))
    if payer is None and organization is not None:
        payer = next((i.get("value") for i in organization.get("identifier") or []), None)
    member = resource.get("subscriberId") or next(
        (i.get("value") for i in resource.get("identifier") or []), None)
    return FhirRow("coverages", number, {
        "patient_mrn": index.patient_mrn(_reference(resource.get("beneficiary"))),
        "payer": payer,
        "member_id": member,
        "effective_start": _day(period.get("start")),
        "effective_end": _day(period.get("end")),
        "rank": _RANKS.get(order, str(order)) if order is not None else None,
        "plan_type": _extension(resource, "plan-type"),
    }, _raw(resource))


def _session(group: list[tuple[int, dict[str, Any]]], patient: str, day: str) -> FhirRow:
    first = group[0][1]
    codes = [_code_text(r.get("code"), r) for _, r in group]
    outcome = next((r for _, r in group if _extension(r, "relief-percent") is not None), first)
    return FhirRow("sessions", group[0][0], {
        "patient_mrn": patient or None,
        "date": day or None,
        "status": "performed",
        "codes": ";".join(c for c in codes if c),
        "place_of_service": _first_extension(group, "place-of-service"),
        "intent": _first_extension(group, "intent"),
        "muscles": _first_extension(group, "muscles"),
        "relief_percent": _extension(outcome, "relief-percent"),
        "duration_days": _extension(outcome, "duration-days"),
        "medication_reduction_percent": _extension(outcome, "medication-reduction-percent"),
        "service_state": _first_extension(group, "service-state"),
        "rfa_not_an_option": _first_extension(group, "rfa-not-an-option"),
        "diagnoses": _diagnoses([r for _, r in group]),
    }, _raw([r for _, r in group]))


def _appointment(number: int, resource: dict[str, Any], status: str, index: _Index) -> FhirRow:
    patient = next((index.patient_mrn(_reference(p.get("actor")))
                    for p in resource.get("participant") or []
                    if (_reference(p.get("actor")) or "").startswith("Patient/")
                    or (index.resource(_reference(p.get("actor"))) or {}).get("resourceType")
                    == "Patient"), None)
    codes = [_code_text(concept, concept) for concept in resource.get("serviceType") or []]
    return FhirRow("sessions", number, {
        "patient_mrn": patient,
        "date": _day(resource.get("start")),
        "status": status,
        "codes": ";".join(c for c in codes if c),
        "place_of_service": _extension(resource, "place-of-service"),
        "intent": _extension(resource, "intent"),
        "muscles": _extension(resource, "muscles"),
        "service_state": _extension(resource, "service-state"),
        "rfa_not_an_option": _extension(resource, "rfa-not-an-option"),
        "diagnoses": _diagnoses([resource]),
        "source_id": f"appointment.{resource['id']}" if resource.get("id") else None,
    }, _raw(resource))


def _diagnoses(resources: list[dict[str, Any]]) -> str | None:
    """The ICD-10-CM codings of the resources' `reasonCode`, joined as the CSV column is."""
    codes = [str(coding["code"]) for resource in resources
             for concept in resource.get("reasonCode") or [] if isinstance(concept, dict)
             for coding in concept.get("coding") or []
             if isinstance(coding, dict) and coding.get("system") == ICD10CM_SYSTEM
             and coding.get("code")]
    return ";".join(dict.fromkeys(codes)) or None


def _code_text(concept: Any, carrier: Any) -> str | None:
    """A CodeableConcept's CPT/HCPCS code as `CODE[-MOD][xUNITS]`, from painauth extensions."""
    if not isinstance(concept, dict):
        return None
    codings = [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    coding = next((c for c in codings if c.get("system") in (CPT_SYSTEM, *HCPCS_SYSTEMS)),
                  codings[0] if codings else None)
    if coding is None or not coding.get("code"):
        return None
    text = str(coding["code"])
    modifiers = [str(e.get("valueCode") or e.get("valueString"))
                 for e in carrier.get("extension") or []
                 if e.get("url") == EXTENSION + "modifier"]
    text += "".join(f"-{m}" for m in modifiers)
    units = _extension(carrier, "units")
    return text + (f"x{units}" if units is not None else "")


def _extension(resource: dict[str, Any], name: str) -> Any:
    for extension in resource.get("extension") or []:
        if isinstance(extension, dict) and extension.get("url") == EXTENSION + name:
            for key, value in extension.items():
                if key.startswith("value"):
                    return value
    return None


def _first_extension(group: list[tuple[int, dict[str, Any]]], name: str) -> Any:
    return next((v for _, r in group if (v := _extension(r, name)) is not None), None)


def _reference(value: Any) -> str | None:
    return value.get("reference") if isinstance(value, dict) else None


def _day(value: Any) -> str | None:
    """The calendar date of a FHIR date or dateTime, as written (no time-zone shift)."""
    return value[:10] if isinstance(value, str) else None


def _raw(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def iter_kinds(rows: list[FhirRow]) -> Iterator[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.setdefault(row.kind)
    yield from seen
