"""The evidence a reviewer reads, out of FHIR R4 resources, in the CSV columns of `formats`:
locations, the drug given (MedicationAdministration), spinal levels (Procedure.bodySite), pain and
function scores (Observation), imaging (ImagingStudy, DiagnosticReport), conservative care
(Procedure with a care category, MedicationStatement) and psychological evaluations.

Each function reads one resource (or the resources of one session) and returns column values;
the checks are `formats`'. docs/import.md documents the mapping.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from tracker.codes import load_catalog
from tracker.importers.fhir_values import (
    CATEGORY_SYSTEM,
    HCPCS_SYSTEMS,
    LOINC_SYSTEM,
    NDC_SYSTEM,
    NPI_SYSTEM,
    PLACE_OF_SERVICE_SYSTEM,
    billing_code,
    code_in,
    codings,
    concept_text,
    day,
    extension,
    extensions,
    reference,
)

PAIN_SEVERITY = "72514-3"  # LOINC: Pain severity - 0-10 verbal numeric rating [Score] - Reported
FUNCTION_SYSTEM = "urn:painauth:fhir:function-scale"  # code: ODI, NDI, PDI, RMDQ
# DICOM modality codes (ImagingStudy.modality) as the imaging file names them.
DICOM_MODALITIES = {"MR": "MRI", "CT": "CT", "CR": "X-ray", "DX": "X-ray", "RF": "myelogram",
                    "US": "ultrasound", "NM": "bone scan"}
_LEVEL = re.compile(r"\b[CTLS]\d{1,2}(?:-[CTLS]\d{1,2})?\b", re.IGNORECASE)

Resolve = Callable[[str | None], dict[str, Any] | None]


def _object(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one for anything else."""
    return value if isinstance(value, dict) else {}


class Unreadable(ValueError):
    """Resources whose meaning cannot be read: the message says what to send instead."""


def procedure_category(procedure: dict[str, Any]) -> str | None:
    """painauth's category of a Procedure: a care kind or `psych-evaluation`; None for a session
    line."""
    for concept in [procedure.get("category")] if isinstance(procedure.get("category"),
                                                             dict) else []:
        found = code_in(concept, CATEGORY_SYSTEM)
        if found:
            return found
    return None


def location(resource: dict[str, Any]) -> dict[str, Any]:
    identifiers = [i for i in resource.get("identifier") or [] if isinstance(i, dict)]
    code = next((i.get("value") for i in identifiers if i.get("system") != NPI_SYSTEM), None)
    address = _object(resource.get("address"))
    return {
        "code": code or resource.get("id"),
        "name": resource.get("name"),
        "address": _address_text(address),
        "npi": next((i.get("value") for i in identifiers if i.get("system") == NPI_SYSTEM), None),
        "place_of_service": next((code_in(t, PLACE_OF_SERVICE_SYSTEM)
                                  for t in resource.get("type") or []
                                  if code_in(t, PLACE_OF_SERVICE_SYSTEM)), None),
        "state": address.get("state"),
    }


def location_code(resource: dict[str, Any]) -> str | None:
    """What a session's `location` column names the Location by (as `location` reads it)."""
    return location(resource)["code"]


def _address_text(address: dict[str, Any]) -> str | None:
    if isinstance(address.get("text"), str) and address["text"].strip():
        return str(address["text"]).strip()
    city_line = " ".join(str(p) for p in (address.get("state"), address.get("postalCode")) if p)
    parts = [*(str(line) for line in address.get("line") or []), address.get("city"), city_line]
    return ", ".join(str(p) for p in parts if p) or None


def session_location(resources: list[dict[str, Any]], resolve: Resolve) -> str | None:
    """The Location of a session: a Procedure's `location`, else its Encounter's first
    location."""
    for resource in resources:
        found = resolve(reference(resource.get("location")))
        encounter = resolve(reference(resource.get("encounter")))
        if found is None and encounter is not None:
            first = _object(next(iter(encounter.get("location") or []), None))
            found = resolve(reference(first.get("location")))
        if found is not None and found.get("resourceType") == "Location":
            return location_code(found)
    return None


def body_site_levels(procedure: dict[str, Any]) -> list[str]:
    """The spinal levels a Procedure's `bodySite` names (`L4-L5`, `L5-S1`), in its text or
    codings' displays and codes."""
    levels: list[str] = []
    for site in procedure.get("bodySite") or []:
        words = [concept_text(site) or ""] + [str(c.get("code") or "") for c in codings(site)]
        for word in words:
            levels += [m.upper() for m in _LEVEL.findall(word)]
    return list(dict.fromkeys(levels))


def drug_line(administration: dict[str, Any]) -> tuple[str | None, str | None]:
    """A MedicationAdministration as a code line (`J1010-JZx40`) and its `drugs` entry
    (`J1010 dose=40 container=single_dose ndc=...`): the HCPCS coding of its medication, its
    `dosage.dose` in mg, the painauth `wasted` and `container` extensions and its NDC coding.
    Units are the `units` extension, else the dose in the code's billing unit (J1010 per 1 mg)."""
    concept = administration.get("medicationCodeableConcept")
    code = code_in(concept, *HCPCS_SYSTEMS) or billing_code(concept)
    if code is None:
        return None, None
    modifiers = [str(m) for m in extensions(administration, "modifier")]
    dose = _object(_object(administration.get("dosage")).get("dose")).get("value")
    units = extension(administration, "units")
    if units is None and isinstance(dose, int | float):
        known = load_catalog().get(code)
        if known is not None and known.billing_unit_mg:
            units = math.ceil(dose / known.billing_unit_mg)
    line = code + "".join(f"-{m}" for m in modifiers) + (f"x{units}" if units is not None
                                                        else "")
    details = [f"dose={dose}" if dose is not None else None,
               _pair("wasted", extension(administration, "wasted")),
               _pair("container", extension(administration, "container")),
               _pair("ndc", code_in(concept, NDC_SYSTEM))]
    if "JW" in modifiers or not any(details):
        return line, None
    return line, " ".join([code, *(d for d in details if d)])


def drug_given(administration: dict[str, Any]) -> str | None:
    """A MedicationAdministration as a `drugs_given` entry (`J1010 dose=80 wasted=10`): what the
    record documents as given, whatever its line bills, so charge capture can compare the two
    (units fewer than the dose, a discarded amount without its JW line). None without a dose in
    mg or a drug code."""
    concept = administration.get("medicationCodeableConcept")
    code = code_in(concept, *HCPCS_SYSTEMS) or billing_code(concept)
    dose = _object(_object(administration.get("dosage")).get("dose")).get("value")
    if code is None or not isinstance(dose, int | float) or isinstance(dose, bool):
        return None
    wasted = extension(administration, "wasted")
    return f"{code} dose={dose}" + (f" wasted={wasted}" if wasted not in (None, 0) else "")


def _pair(name: str, value: Any) -> str | None:
    return None if value is None else f"{name}={value}"


def observation_scores(observations: list[dict[str, Any]],
                       procedures: list[dict[str, Any]]) -> dict[str, Any]:
    """Pain (LOINC 72514-3) and function scores of one session's Observations, as the sessions
    columns. Before or after: the painauth `timing` extension, else the Observation's time
    against the Procedure's."""
    columns: dict[str, Any] = {}
    started = next((p.get("performedDateTime") or (p.get("performedPeriod") or {}).get("start")
                    for p in procedures if p.get("performedDateTime") or p.get("performedPeriod")),
                   None)
    for observation in observations:
        when = extension(observation, "timing") or _when(observation, started)
        value = _value(observation)
        if code_in(observation.get("code"), LOINC_SYSTEM) == PAIN_SEVERITY:
            columns[f"pain_{when}"] = value
        else:
            columns["function_scale"] = code_in(observation.get("code"), FUNCTION_SYSTEM)
            columns[f"function_{when}"] = value
    return columns


def is_score(observation: dict[str, Any]) -> bool:
    concept = observation.get("code")
    return (code_in(concept, LOINC_SYSTEM) == PAIN_SEVERITY
            or code_in(concept, FUNCTION_SYSTEM) is not None)


def _when(observation: dict[str, Any], started: Any) -> str:
    taken = observation.get("effectiveDateTime")
    if isinstance(taken, str) and isinstance(started, str) and len(taken) > 10 \
            and len(started) > 10:
        return "before" if taken < started else "after"
    raise Unreadable("an Observation's score must say whether it was taken before or after the "
                     "procedure: add the extension urn:painauth:fhir:timing (valueCode before or "
                     "after), or give effectiveDateTime and the Procedure's performedDateTime "
                     "with their times")


def _value(observation: dict[str, Any]) -> Any:
    if "valueInteger" in observation:
        return observation["valueInteger"]
    quantity = observation.get("valueQuantity")
    return quantity.get("value") if isinstance(quantity, dict) else None


def care_episode(procedure: dict[str, Any], kind: str) -> dict[str, Any]:
    """A Procedure of a care category: `performedPeriod`, its `outcome` (a code from
    docs/import.md, or text) and the painauth `visits` and `drugs` extensions."""
    period = _object(procedure.get("performedPeriod"))
    return {"kind": kind, "start": day(period.get("start")), "end": day(period.get("end")),
            "outcome": _outcome(procedure.get("outcome")),
            "visits": extension(procedure, "visits"), "drugs": extension(procedure, "drugs")}


def medication_statement(statement: dict[str, Any]) -> dict[str, Any]:
    """A MedicationStatement as medication conservative care: the drug and its dosage text."""
    period = _object(statement.get("effectivePeriod"))
    dosage = next((d.get("text") for d in statement.get("dosage") or []
                   if isinstance(d, dict) and d.get("text")), None)
    drug = concept_text(statement.get("medicationCodeableConcept"))
    return {"kind": "medication", "start": day(period.get("start")),
            "end": day(period.get("end")),
            "outcome": extension(statement, "outcome"),
            "drugs": " ".join(str(p) for p in (drug, dosage) if p) or None, "visits": None}


def _outcome(concept: Any) -> str | None:
    text = concept_text(concept)
    return text.strip().lower().replace(" ", "_") if text else None


def psych_evaluation(procedure: dict[str, Any], resolve: Resolve) -> dict[str, Any]:
    """A psychological evaluation: its date, `outcome` (cleared / not cleared) and the first
    performer (a Practitioner's name, or the reference's display)."""
    performed = procedure.get("performedDateTime") or _object(
        procedure.get("performedPeriod")).get("start")
    return {"date": day(performed), "result": _outcome(procedure.get("outcome")),
            "evaluator": _performer(procedure, resolve)}


def _performer(procedure: dict[str, Any], resolve: Resolve) -> str | None:
    for performer in procedure.get("performer") or []:
        actor = performer.get("actor") if isinstance(performer, dict) else None
        practitioner = resolve(reference(actor))
        if practitioner is not None:
            name = _object(next(iter(practitioner.get("name") or []), None))
            if name.get("text") or name.get("family"):
                return str(name.get("text") or " ".join(
                    [*(str(g) for g in name.get("given") or []), str(name["family"]),
                     *(str(s) for s in name.get("suffix") or [])]))
        if isinstance(actor, dict) and actor.get("display"):
            return str(actor["display"])
    return None


def imaging_study(study: dict[str, Any], conclusion: str | None) -> dict[str, Any]:
    """An ImagingStudy: `started`, its DICOM modality, the region (its first series' bodySite,
    else its procedureCode), and the impression (its DiagnosticReport's `conclusion`, else its
    `description`)."""
    modality = next((DICOM_MODALITIES.get(str(m.get("code")), str(m.get("code")))
                     for m in study.get("modality") or [] if isinstance(m, dict)), None)
    site = _object(_object(next(iter(study.get("series") or []), None)).get("bodySite"))
    region = site.get("display") or site.get("code")
    region = region or next((concept_text(c) for c in study.get("procedureCode") or []), None)
    return {"date": day(study.get("started")), "modality": modality, "region": region,
            "impression": conclusion or study.get("description")}
