"""Is a bundle entry shaped as FHIR R4 JSON says, in the parts the importer reads?

An EHR export can hold anything: a Patient whose `name` is a string, a `coding` that is an object,
a family name that is a number, `null` where FHIR JSON forbids it. Each is found here with the
path to it, so the entry is quarantined with that reason instead of crashing the import or slipping
through as a wrong value.
"""

from __future__ import annotations

from typing import Any

# Elements the importer reads that must be text wherever they appear.
_TEXT = frozenset({"family", "system", "reference", "display", "birthDate", "start",
                   "end", "status", "id", "subscriberId", "performedDateTime", "fullUrl", "url",
                   "resourceType", "use"})
# Elements that must be lists of objects wherever they appear.
_OBJECT_LISTS = frozenset({"coding", "extension", "reasonCode", "serviceType", "participant"})
# Elements that must be lists of objects on the resource itself (Organization.name is text).
_RESOURCE_LISTS = {"Patient": ("name", "identifier"), "Coverage": ("identifier", "payor")}


def entry_problem(entry: Any, number: int) -> tuple[str, str] | None:
    """(path, what is wrong) for bundle entry `number` (1-based), or None when it is readable."""
    where = f"entry[{number - 1}]"
    if not isinstance(entry, dict):
        return where, f"{where} is {_kind(entry)}; each entry must be an object with a resource"
    resource = entry.get("resource")
    if resource is None or not isinstance(resource, dict):
        return (f"{where}.resource",
                f"{where}.resource is {_kind(resource)}; it must be a FHIR resource object")
    return resource_problem(resource, f"{where}.resource")


def resource_problem(resource: dict[str, Any], path: str) -> tuple[str, str] | None:
    for name in _RESOURCE_LISTS.get(str(resource.get("resourceType")), ()):
        if name in resource and not _list_of_objects(resource[name]):
            return (f"{path}.{name}", f"{path}.{name} is {_kind(resource[name])}; FHIR wants a "
                                      "list of objects here")
    patient_name = resource.get("name") if resource.get("resourceType") == "Patient" else None
    for index, name in enumerate(patient_name or []):
        given = name.get("given")
        if given is not None and not (isinstance(given, list)
                                      and all(isinstance(g, str) for g in given)):
            where = f"{path}.name[{index}].given"
            return where, f"{where} is {_kind(given)}; FHIR wants a list of texts"
    return _walk(resource, path)


def _walk(value: Any, path: str) -> tuple[str, str] | None:
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if item is None:
                return where, f"{where} is null; FHIR JSON leaves an absent value out"
            if key in _TEXT and not isinstance(item, str):
                return where, f"{where} is {_kind(item)}; it must be text"
            if key in _OBJECT_LISTS and not _list_of_objects(item):
                return where, f"{where} is {_kind(item)}; FHIR wants a list of objects here"
            if key == "coding":
                for number, coding in enumerate(item):
                    code = coding.get("code")
                    if code is not None and not isinstance(code, str):
                        return (f"{where}[{number}].code",
                                f"{where}[{number}].code is {_kind(code)}; it must be text")
            if key == "div":  # narrative XHTML: not read
                continue
            found = _walk(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            where = f"{path}[{index}]"
            if item is None:
                return where, f"{where} is null; leave empty list items out"
            found = _walk(item, where)
            if found is not None:
                return found
    return None


def _list_of_objects(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:40] + "…"
        return f"the text {shown!r}"
    if isinstance(value, list):
        return "a list"
    return "an object"
