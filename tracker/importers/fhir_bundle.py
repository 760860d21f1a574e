"""FHIR R4 bundles: Patient, Coverage, Procedure (performed) and Appointment (booked) resources,
flattened into the CSV columns of `formats` so they pass the very same checks.

The mapping is documented in docs/import.md. Procedures of one patient on one date are one
session (their codes are joined); other resource types are counted as skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.codes.diagnoses import ICD10CM_SYSTEM
from tracker.errors import InputError
from tracker.importers import fhir_evidence as evidence
from tracker.importers.errors import ImportFileError
from tracker.importers.fhir_shapes import entry_problem
from tracker.importers.fhir_values import PSYCH_CATEGORY
from tracker.importers.fhir_values import code_text as _code_text
from tracker.importers.fhir_values import day as _day
from tracker.importers.fhir_values import extension as _extension
from tracker.importers.fhir_values import raw as _raw
from tracker.importers.fhir_values import reference as _reference
from tracker.importers.json_document import load_json_document
from tracker.rules.session import CARE_KINDS

PROCEDURE_STATUS = {"completed": "performed"}
APPOINTMENT_STATUS = {
    "proposed": "scheduled", "pending": "scheduled", "booked": "scheduled", "arrived": "scheduled",
    "checked-in": "scheduled", "waitlist": "scheduled", "cancelled": "cancelled",
    "noshow": "cancelled",
}
_RANKS = {1: "primary", 2: "secondary", 3: "tertiary"}
_ORDER = ("Patient", "Location", "Coverage", "Procedure", "MedicationAdministration",
          "Observation", "Appointment", "MedicationStatement", "ImagingStudy", "DiagnosticReport")
# Read only as what other resources refer to (an Encounter's location, a performer's name).
_REFERRED = ("Encounter", "Practitioner", "Organization")


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


_KIND_OF = {"Patient": "patients", "Location": "locations", "Coverage": "coverages",
            "Procedure": "sessions", "MedicationAdministration": "sessions",
            "Observation": "sessions", "Appointment": "sessions",
            "MedicationStatement": "conservative_care", "ImagingStudy": "imaging",
            "DiagnosticReport": "imaging"}
UNREADABLE = "fhir_entries"  # the kind of a quarantined entry that is no resource at all


def _rows(entries: list[Any]) -> BundleRows:
    result = BundleRows()
    index = _Index()
    resources: list[tuple[int, dict[str, Any]]] = []
    for number, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") not in _ORDER:
            result.skipped += 1  # a resource type painauth does not read
            if resource.get("resourceType") in _REFERRED and isinstance(entry, dict) \
                    and entry_problem(entry, number) is None:
                index.add(entry.get("fullUrl"), resource)
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
            result.rows.append(_session(group, patient, day, index))
        except evidence.Unreadable as error:
            number = group[0][0]
            result.rows.append(_refused("sessions", number, [r for _, r in group], (
                f"entry[{number - 1}].resource", f"entry[{number - 1}]: {error}")))
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
    if kind == "Location":
        return FhirRow("locations", number, evidence.location(resource), _raw(resource))
    if kind in ("Procedure", "MedicationAdministration", "Observation"):
        return _session_part(number, resource, index, procedures)
    if kind == "MedicationStatement":
        if resource.get("status") not in ("active", "completed", "stopped"):
            return None
        return _with_patient("conservative_care", number, resource, index,
                             evidence.medication_statement(resource))
    if kind == "ImagingStudy":
        if resource.get("status") not in ("available", None):
            return None
        return _with_patient("imaging", number, resource, index,
                             evidence.imaging_study(resource, index.conclusion(resource)))
    if kind == "DiagnosticReport":
        return None  # read as the impression of the ImagingStudy it refers to
    status = APPOINTMENT_STATUS.get(str(resource.get("status")))
    if status is None:
        return None
    return _appointment(number, resource, status, index)


def _session_part(number: int, resource: dict[str, Any], index: _Index,
                  procedures: dict[tuple[str, str], list[tuple[int, dict[str, Any]]]]
                  ) -> FhirRow | None:
    """A Procedure, MedicationAdministration or score Observation, kept for the session of its
    patient and date; a Procedure of a care or psych category is a row of its own."""
    kind = resource["resourceType"]
    category = evidence.procedure_category(resource) if kind == "Procedure" else None
    if kind == "Observation":
        if resource.get("status") not in ("final", "amended", "corrected") \
                or not evidence.is_score(resource):
            return None
    elif PROCEDURE_STATUS.get(str(resource.get("status"))) is None:
        return None
    if category == PSYCH_CATEGORY:
        return _with_patient("psych_evaluations", number, resource, index,
                             evidence.psych_evaluation(resource, index.resource))
    if category in CARE_KINDS:
        return _with_patient("conservative_care", number, resource, index,
                             evidence.care_episode(resource, category))
    patient = index.patient_mrn(_reference(resource.get("subject")))
    day = _day(resource.get("performedDateTime") or resource.get("effectiveDateTime")
               or (resource.get("performedPeriod") or resource.get("effectivePeriod")
                   or {}).get("start"))
    procedures.setdefault((patient or "", day or ""), []).append((number, resource))
    return _GROUPED


def _with_patient(kind: str, number: int, resource: dict[str, Any], index: _Index,
                  values: dict[str, Any]) -> FhirRow:
    patient = index.patient_mrn(_reference(resource.get("subject")))
    return FhirRow(kind, number, {"patient_mrn": patient, **values}, _raw(resource))


def _refused(kind: str, number: int, value: Any, problem: tuple[str, str]) -> FhirRow:
    path, message = problem
    return FhirRow(kind, number, {}, _raw(value), problem=message, problem_field=path[-64:])


class _Index:
    """Resolves references inside the bundle: fullUrl, or ResourceType/id."""

    def __init__(self) -> None:
        self.by_reference: dict[str, dict[str, Any]] = {}
        self.reports: list[dict[str, Any]] = []  # DiagnosticReports, referred to or not

    def add(self, full_url: Any, resource: dict[str, Any]) -> None:
        if resource.get("resourceType") == "DiagnosticReport":
            self.reports.append(resource)
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

    def conclusion(self, study: dict[str, Any]) -> str | None:
        """The `conclusion` of a DiagnosticReport in the bundle that refers to `study`."""
        for report in self.reports:
            if not report.get("conclusion"):
                continue
            for ref in report.get("imagingStudy") or []:
                if self.resource(_reference(ref)) is study:
                    return str(report["conclusion"])
        return None


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


def _session(group: list[tuple[int, dict[str, Any]]], patient: str, day: str,
             index: _Index) -> FhirRow:
    resources = [r for _, r in group]
    procedures = [r for r in resources if r["resourceType"] == "Procedure"]
    drugs = [r for r in resources if r["resourceType"] == "MedicationAdministration"]
    scores = [r for r in resources if r["resourceType"] == "Observation"]
    if not procedures and not drugs:
        raise evidence.Unreadable(
            "a score Observation of a date with no Procedure of the patient in the bundle; send "
            "it with the session's Procedures")
    first = (procedures or drugs)[0]
    codes = [_code_text(r.get("code"), r) for r in procedures]
    levels = [f"{code.split('-')[0].split('x')[0]} {' '.join(found)}"
              for r, code in zip(procedures, codes, strict=True)
              if code and (found := evidence.body_site_levels(r))]
    given = [evidence.drug_line(r) for r in drugs]
    codes += [line for line, _ in given]
    group_of = [(n, r) for n, r in group if r["resourceType"] != "Observation"]
    outcome = next((r for r in procedures if _extension(r, "relief-percent") is not None), first)
    return FhirRow("sessions", group[0][0], {
        "patient_mrn": patient or None,
        "date": day or None,
        "status": "performed",
        "codes": ";".join(c for c in codes if c),
        "place_of_service": _first_extension(group_of, "place-of-service"),
        "intent": _first_extension(group_of, "intent"),
        "muscles": _first_extension(group_of, "muscles"),
        "relief_percent": _extension(outcome, "relief-percent"),
        "duration_days": _extension(outcome, "duration-days"),
        "medication_reduction_percent": _extension(outcome, "medication-reduction-percent"),
        "service_state": _first_extension(group_of, "service-state"),
        "rfa_not_an_option": _first_extension(group_of, "rfa-not-an-option"),
        "diagnoses": _diagnoses(procedures),
        "levels": ";".join(levels) or None,
        "drugs": ";".join(d for _, d in given if d) or None,
        "guidance": _first_extension(group_of, "guidance"),
        "drugs_given": ";".join(d for d in map(evidence.drug_given, drugs) if d) or None,
        "location": evidence.session_location(procedures, index.resource),
        **evidence.observation_scores(scores, procedures),
    }, _raw(resources))


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
        "location": next((evidence.location_code(found) for p in resource.get("participant") or []
                          if (found := index.resource(_reference(p.get("actor")))) is not None
                          and found.get("resourceType") == "Location"), None),
    }, _raw(resource))


def _diagnoses(resources: list[dict[str, Any]]) -> str | None:
    """The ICD-10-CM codings of the resources' `reasonCode`, joined as the CSV column is."""
    codes = [str(coding["code"]) for resource in resources
             for concept in resource.get("reasonCode") or [] if isinstance(concept, dict)
             for coding in concept.get("coding") or []
             if isinstance(coding, dict) and coding.get("system") == ICD10CM_SYSTEM
             and coding.get("code")]
    return ";".join(dict.fromkeys(codes)) or None


def _first_extension(group: list[tuple[int, dict[str, Any]]], name: str) -> Any:
    return next((v for _, r in group if (v := _extension(r, name)) is not None), None)


def iter_kinds(rows: list[FhirRow]) -> Iterator[str]:
    seen: dict[str, None] = {}
    for row in rows:
        seen.setdefault(row.kind)
    yield from seen
