"""The `painauth check` document: JSON in, a CheckRequest out, or an InputError naming the field."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from tracker.codes import load_catalog, normalize_code
from tracker.dates import parse_date
from tracker.errors import InputError
from tracker.rules.policy_files import US_STATES, payer_id
from tracker.rules.session import (
    CARE_KINDS,
    CONTAINERS,
    INTENTS,
    PSYCH_RESULTS,
    CheckRequest,
    CodeLine,
    ConservativeCare,
    Exemption,
    Outcome,
    PsychEvaluation,
    Session,
)


def _mapping(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(path, "must be a JSON object")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(path, "must be a JSON list")
    return value


def _date(value: Any, path: str) -> date:
    if value is None:
        raise InputError(path, "is required: a date YYYY-MM-DD")
    try:
        return parse_date(value)
    except (ValueError, TypeError):
        raise InputError(path, f"{value!r} is not a valid date YYYY-MM-DD") from None


def _whole(value: Any, path: str, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(path, f"{what} must be a whole number (got {value!r})")
    if value < 0:
        raise InputError(path, f"{what} cannot be negative (got {value})")
    return value


def _choice(value: Any, path: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InputError(path, f"{value!r} is not one of: {', '.join(choices)}")
    return str(value)


def _code_line(value: Any, path: str) -> CodeLine:
    if isinstance(value, str):
        if not value.strip():
            raise InputError(path, "a code cannot be empty")
        return CodeLine(code=value)
    entry = _mapping(value, path)
    code = entry.get("code")
    if not isinstance(code, str) or not code.strip():
        raise InputError(f"{path}.code", "is required: a CPT or HCPCS code such as \"64483\"")
    units = _whole(entry.get("units", 1), f"{path}.units", "units")
    modifiers = _list(entry.get("modifiers"), f"{path}.modifiers")
    for index, modifier in enumerate(modifiers):
        if not isinstance(modifier, str) or not modifier.strip():
            raise InputError(f"{path}.modifiers[{index}]", "must be a modifier such as \"50\"")
    drug = {name: entry.get(name) for name in DRUG_FIELDS if entry.get(name) is not None}
    if drug and not _is_drug_code(code):
        field = next(iter(drug))
        raise InputError(f"{path}.{field}", f"{field} belongs on a drug line (a HCPCS J-code such "
                         f"as J1010), not on {code.strip()}")
    return CodeLine(code=code, units=units, modifiers=tuple(m.strip() for m in modifiers),
                    dose_mg=_milligrams(drug.get("dose_mg"), f"{path}.dose_mg"),
                    wasted_mg=_milligrams(drug.get("wasted_mg"), f"{path}.wasted_mg"),
                    container=(_choice(drug["container"], f"{path}.container", CONTAINERS)
                               if "container" in drug else None),
                    ndc=_ndc(drug.get("ndc"), f"{path}.ndc"))


DRUG_FIELDS = ("dose_mg", "wasted_mg", "container", "ndc")


def _is_drug_code(code: str) -> bool:
    normal = code.strip().lstrip("+").upper()
    return len(normal) == 5 and normal[0] == "J" and normal[1:].isdigit()


def _milligrams(value: Any, path: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(path, f"must be an amount in mg, a number (got {value!r})")
    if not value >= 0 or value == float("inf"):
        raise InputError(path, f"must be 0 mg or more (got {value})")
    return float(value)


def _ndc(value: Any, path: str) -> str | None:
    """The 11-digit NDC (5-4-2), written with or without its hyphens."""
    if value is None:
        return None
    digits = value.replace("-", "") if isinstance(value, str) else None
    if digits is None or len(digits) != 11 or not digits.isdigit() or not digits.isascii():
        raise InputError(path, f"must be the 11-digit NDC, e.g. \"00009-3073-03\" (got {value!r})")
    return digits


def _outcome(value: Any, path: str) -> Outcome | None:
    if value is None:
        return None
    entry = _mapping(value, path)
    relief = entry.get("relief_percent")
    if relief is not None:
        if isinstance(relief, bool) or not isinstance(relief, int | float):
            raise InputError(f"{path}.relief_percent", f"must be a number from 0 to 100 (got {relief!r})")
        if not 0 <= relief <= 100:
            raise InputError(f"{path}.relief_percent", f"must be from 0 to 100 (got {relief})")
    duration = entry.get("duration_days")
    if duration is not None:
        duration = _whole(duration, f"{path}.duration_days", "duration_days")
    reduction = entry.get("medication_reduction_percent")
    if reduction is not None:
        reduction = _percent(reduction, f"{path}.medication_reduction_percent")
    return Outcome(relief_percent=relief, duration_days=duration,
                   medication_reduction_percent=reduction)


def _percent(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(path, f"must be a number from 0 to 100 (got {value!r})")
    if not 0 <= value <= 100:
        raise InputError(path, f"must be from 0 to 100 (got {value})")
    return value


def _session(value: Any, path: str, with_outcome: bool) -> Session:
    entry = _mapping(value, path)
    codes = _list(entry.get("codes"), f"{path}.codes")
    if not codes:
        raise InputError(f"{path}.codes", "is required: at least one CPT or HCPCS code")
    place = entry.get("place_of_service", "11")
    if isinstance(place, int) and not isinstance(place, bool):
        place = f"{place:02d}"
    if not (isinstance(place, str) and len(place) == 2 and place.isdigit()):
        raise InputError(f"{path}.place_of_service",
                         f"must be a two-digit CMS place-of-service code such as \"11\" (got {place!r})")
    intent = entry.get("intent")
    if intent is not None:
        _choice(intent, f"{path}.intent", INTENTS)
    muscles = entry.get("muscles")
    if muscles is not None:
        muscles = _whole(muscles, f"{path}.muscles", "muscles")
    npi = entry.get("provider_npi")
    if npi is not None:
        npi = _npi(npi, f"{path}.provider_npi")
    return Session(
        date=_date(entry.get("date"), f"{path}.date"),
        codes=tuple(_code_line(c, f"{path}.codes[{i}]") for i, c in enumerate(codes)),
        place_of_service=place,
        intent=intent,
        muscles=muscles,
        outcome=_outcome(entry.get("outcome"), f"{path}.outcome") if with_outcome else None,
        provider_npi=npi,
    )


def _npi(value: Any, path: str) -> str:
    if not (isinstance(value, str) and len(value) == 10 and value.isdigit()):
        raise InputError(path, f"must be a provider's 10-digit NPI such as \"1234567893\" "
                         f"(got {value!r})")
    return value


def _state(value: Any, path: str) -> str | None:
    if value is None:
        return None
    if not (isinstance(value, str) and value.strip().upper() in US_STATES):
        raise InputError(path, f"must be a two-letter USPS state code such as \"TX\" "
                         f"(got {value!r})")
    return value.strip().upper()


def _exemption(value: Any, path: str, programs: Collection[str]) -> Exemption:
    entry = _mapping(value, path)
    program = entry.get("program")
    if not isinstance(program, str) or not program.strip():
        raise InputError(f"{path}.program", "is required: the program id the exemption lifts, "
                         f"one of: {', '.join(sorted(programs)) or 'none for this payer'}")
    known = {p.lower(): p for p in programs}
    if program.strip().lower() not in known:
        raise InputError(f"{path}.program", f"unknown program {program!r} for this payer; "
                         f"use one of: {', '.join(sorted(programs)) or 'none'}")
    catalog = load_catalog()
    codes = [str(c) for c in _list(entry.get("codes"), f"{path}.codes")]
    for index, code in enumerate(codes):
        if normalize_code(code) not in catalog.codes:
            raise InputError(f"{path}.codes[{index}]", f"{code!r} is not a code of the procedure "
                             "catalog")
    group = entry.get("group")
    families: frozenset[str] = frozenset()
    if group is not None:
        found = catalog.group_families(group) if isinstance(group, str) else None
        if found is None:
            raise InputError(f"{path}.group", f"unknown group {group!r}; use one of: "
                             f"{', '.join(sorted(catalog.groups))}")
        families = frozenset(found)
    npi = entry.get("provider_npi")
    start = _date(entry.get("from"), f"{path}.from")
    end = _date(entry.get("to"), f"{path}.to")
    if end < start:
        raise InputError(f"{path}.to", f"{end} is before from {start}")
    reference = entry.get("reference")
    return Exemption(program=known[program.strip().lower()], start=start, end=end,
                     codes=frozenset(normalize_code(c) for c in codes), families=families,
                     provider_npi=None if npi is None else _npi(npi, f"{path}.provider_npi"),
                     reference="" if reference is None else str(reference))


def _care(value: Any, path: str) -> ConservativeCare:
    entry = _mapping(value, path)
    kind = _choice(entry.get("kind"), f"{path}.kind", CARE_KINDS)
    start = _date(entry.get("start"), f"{path}.start")
    end = _date(entry.get("end"), f"{path}.end")
    if end < start:
        raise InputError(f"{path}.end", f"{end} is before start {start}")
    return ConservativeCare(kind=kind, start=start, end=end)  # type: ignore[arg-type]


def _psych(value: Any, path: str) -> PsychEvaluation:
    entry = _mapping(value, path)
    return PsychEvaluation(date=_date(entry.get("date"), f"{path}.date"),
                           result=_choice(entry.get("result"), f"{path}.result",  # type: ignore[arg-type]
                                          PSYCH_RESULTS))


def parse_check_document(document: Any, known_payers: list[str], today: date,
                         programs: Mapping[str, Collection[str]] | None = None) -> CheckRequest:
    """Validate a check document; raises InputError naming the first bad field.

    `programs` maps each payer id to its prior-authorization program ids (for `exemptions`).
    """
    doc = _mapping(document, "$")
    as_of = _date(doc["as_of"], "as_of") if doc.get("as_of") is not None else today
    payer = doc.get("payer")
    if not isinstance(payer, str) or not payer.strip():
        raise InputError("payer", f"is required: one of {', '.join(known_payers)}")
    known = payer_id(payer, known_payers)
    if known is None:
        raise InputError("payer", f"unknown payer {payer!r}; known payers: {', '.join(known_payers)}")
    payer = known
    patient = doc.get("patient")
    patient_id = None
    if patient is not None:
        patient_id = _mapping(patient, "patient").get("id")
        patient_id = None if patient_id is None else str(patient_id)
    if doc.get("scheduled") is None:
        raise InputError("scheduled", "is required: the session being checked "
                         "({\"date\": ..., \"codes\": [...]})")
    scheduled = _session(doc["scheduled"], "scheduled", with_outcome=False)
    if scheduled.date < as_of:
        raise InputError("scheduled.date", f"{scheduled.date} is before as_of {as_of}; "
                         "a scheduled session cannot be in the past")
    history = tuple(_session(s, f"history[{i}]", with_outcome=True)
                    for i, s in enumerate(_list(doc.get("history"), "history")))
    for index, session in enumerate(history):
        if session.date > as_of:
            raise InputError(f"history[{index}].date", f"{session.date} is after as_of {as_of}; "
                             "a performed session cannot be in the future (book it under "
                             "other_scheduled)")
    return CheckRequest(
        as_of=as_of,
        payer=payer,
        scheduled=scheduled,
        patient_id=patient_id,
        history=history,
        other_scheduled=tuple(
            _session(s, f"other_scheduled[{i}]", with_outcome=False)
            for i, s in enumerate(_list(doc.get("other_scheduled"), "other_scheduled"))),
        conservative_care=tuple(
            _care(c, f"conservative_care[{i}]")
            for i, c in enumerate(_list(doc.get("conservative_care"), "conservative_care"))),
        psych_evaluations=tuple(
            _psych(e, f"psych_evaluations[{i}]")
            for i, e in enumerate(_list(doc.get("psych_evaluations"), "psych_evaluations"))),
        service_state=_state(doc.get("service_state"), "service_state"),
        exemptions=tuple(
            _exemption(e, f"exemptions[{i}]", (programs or {}).get(payer, ()))
            for i, e in enumerate(_list(doc.get("exemptions"), "exemptions"))),
    )
