"""Reading one field of an incoming row, with a message that says how to fix a bad value.

Every reader takes the row as text (a CSV row, or a FHIR resource flattened into the same
columns) and raises `RowProblem(field, message)`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.codes import is_well_formed, load_catalog, normalize_code
from tracker.codes.diagnoses import normalize_diagnosis
from tracker.dates import parse_date
from tracker.importers.errors import RowProblem
from tracker.rules.charges import DrugGiven
from tracker.rules.session import CONTAINERS, CodeLine

Row = Mapping[str, str | None]

_CODE = re.compile(r"\d{4}[0-9FTU]|[A-V]\d{4}")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
_UNITS = re.compile(r"[xX](-?\d+)$")
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PAYER = re.compile(r"[a-z][a-z0-9_]*")
_PHONE = re.compile(r"\+[1-9]\d{7,14}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_TRUE = {"true", "yes", "y", "1"}
_FALSE = {"false", "no", "n", "0"}


def text(row: Row, name: str, *, required: bool = True, max_length: int = 100) -> str | None:
    value = (row.get(name) or "").strip()
    if not value:
        if required:
            raise RowProblem(name, f"{name} is empty; every row needs one")
        return None
    if len(value) > max_length:
        raise RowProblem(name, f"{name} is {len(value)} characters long; at most {max_length}")
    return value


def required_text(row: Row, name: str, *, max_length: int = 100) -> str:
    value = text(row, name, max_length=max_length)
    assert value is not None
    return value


def identifier(row: Row, name: str, *, required: bool = True) -> str | None:
    value = text(row, name, required=required, max_length=64)
    if value is not None and not _IDENTIFIER.fullmatch(value):
        raise RowProblem(name, f"{name} {value!r} may hold only letters, digits, '.', '_' and '-'")
    return value


def iso_date(row: Row, name: str, *, required: bool = True,
             not_after: date | None = None) -> date | None:
    value = (row.get(name) or "").strip()
    if not value:
        if required:
            raise RowProblem(name, f"{name} is empty; write a date as YYYY-MM-DD, e.g. 2026-03-14")
        return None
    try:
        day = parse_date(value)
    except ValueError:
        raise RowProblem(name, f"{name} {value!r} is not a date; write it as YYYY-MM-DD, "
                               "e.g. 2026-03-14") from None
    if day.year < 1900:
        raise RowProblem(name, f"{name} {value} is before 1900; check the year")
    if not_after is not None and day > not_after:
        raise RowProblem(name, f"{name} {value} is in the future (after {not_after.isoformat()})")
    return day


def required_date(row: Row, name: str, *, not_after: date | None = None) -> date:
    day = iso_date(row, name, not_after=not_after)
    assert day is not None
    return day


def choice(row: Row, name: str, choices: Sequence[str], *,
           default: str | None = None) -> str | None:
    value = (row.get(name) or "").strip().lower()
    if not value:
        return default
    if value not in choices:
        raise RowProblem(name, f"{name} {value!r} is not one of: {', '.join(choices)}")
    return value


def required_choice(row: Row, name: str, choices: Sequence[str]) -> str:
    value = choice(row, name, choices)
    if value is None:
        raise RowProblem(name, f"{name} is empty; use one of: {', '.join(choices)}")
    return value


def whole_number(row: Row, name: str, *, minimum: int = 0) -> int | None:
    value = (row.get(name) or "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise RowProblem(name, f"{name} {value!r} is not a whole number") from None
    if number < minimum:
        raise RowProblem(name, f"{name} {number} is below {minimum}")
    return number


def pain_score(row: Row, name: str) -> int | None:
    """A 0-10 numeric rating scale score: a whole number."""
    value = (row.get(name) or "").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not (0 <= number <= 10 and number.is_integer()):
        raise RowProblem(name, f"{name} {value!r} is not a pain score; use a whole number from 0 "
                               "(no pain) to 10 (worst pain) on the numeric rating scale")
    return int(number)


def percent(row: Row, name: str) -> float | None:
    value = (row.get(name) or "").strip().rstrip("%").strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        raise RowProblem(name, f"{name} {value!r} is not a number from 0 to 100") from None
    if not 0 <= number <= 100:
        raise RowProblem(name, f"{name} {value} is outside 0-100")
    return number


def payer_id(row: Row, name: str) -> str:
    value = required_text(row, name, max_length=64)
    if not _PAYER.fullmatch(value):
        raise RowProblem(name, f"{name} {value!r} is not a payer policy id; use the id of a file "
                               "in policies/, in lower case, e.g. medicare or unitedhealthcare")
    return value


def fee_payer(row: Row, name: str) -> str:
    """A payer policy id, or `*` for a fee every payer pays."""
    if (row.get(name) or "").strip() == "*":
        return "*"
    return payer_id(row, name)


def cents(row: Row, name: str) -> int:
    """`285`, `285.00`, `$1,850`: an amount in dollars as integer cents (never through a float)."""
    text = required_text(row, name, max_length=20)
    cleaned = text.removeprefix("$").replace(",", "").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise RowProblem(name, f"{name} {text!r} is not an amount in dollars (0 or more, at most "
                               "two decimals), e.g. 285 or 1,850.00")
    return int(value * 100)


def procedure_code(row: Row, name: str) -> str:
    value = required_text(row, name, max_length=10)
    code = normalize_code(value)
    if not is_well_formed(code):
        raise RowProblem(name, f"{name} {value!r} is not a CPT or HCPCS code (5 digits, or a "
                               "letter + 4 digits), e.g. 64483 or J1010")
    return code


def drugs_given(row: Row, name: str) -> tuple[DrugGiven, ...]:
    """`J1010 dose=80;J3301 dose=40 wasted=20`: the drugs the procedure note documents as given,
    by HCPCS code, in mg."""
    value = (row.get(name) or "").strip()
    given = []
    for item in (part.strip() for part in value.split(";")):
        if not item:
            continue
        code, *pairs = item.split()
        code = code.lstrip("+").upper()
        entry = load_catalog().get(code)
        if entry is None or not entry.is_drug:
            raise RowProblem(name, f"{name}: {code} is not a drug code of the catalog (a HCPCS "
                                   "J-code such as J1010); see docs/import.md")
        details = _drug_details(name, code, pairs)
        if details.get("dose_mg") is None or set(details) - {"dose_mg", "wasted_mg"}:
            raise RowProblem(name, f"{name}: give {code} as dose=MG and, if any was discarded, "
                                   f"wasted=MG, e.g. {code} dose=40 wasted=10")
        given.append(DrugGiven(code=code, dose_mg=details["dose_mg"],
                               wasted_mg=details.get("wasted_mg") or 0.0))
    return tuple(given)


def npi(row: Row, name: str, *, required: bool = True) -> str | None:
    value = text(row, name, required=required, max_length=10)
    if value is None:
        return None
    if not (len(value) == 10 and value.isdigit() and _npi_check_digit_ok(value)):
        raise RowProblem(name, f"{name} {value!r} is not a valid NPI (ten digits whose last digit "
                               "is the Luhn check digit)")
    return value


def _npi_check_digit_ok(number: str) -> bool:
    # The NPI check digit is the Luhn digit of "80840" + the first nine digits.
    digits = [int(d) for d in "80840" + number]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def phone(row: Row, name: str) -> str | None:
    value = text(row, name, required=False, max_length=20)
    if value is not None:
        compact = re.sub(r"[\s().-]", "", value)
        if not _PHONE.fullmatch(compact):
            raise RowProblem(name, f"{name} {value!r} is not a phone number in international form; "
                                   "write it like +15555550123")
        return compact
    return None


def email(row: Row, name: str) -> str | None:
    value = text(row, name, required=False, max_length=254)
    if value is not None and not _EMAIL.fullmatch(value):
        raise RowProblem(name, f"{name} {value!r} is not an email address")
    return value


def time_zone(row: Row, name: str, *, default: str) -> str:
    value = text(row, name, required=False, max_length=64) or default
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise RowProblem(name, f"{name} {value!r} is not an IANA time zone, "
                               "e.g. America/Chicago") from None
    return value


def clock_time(row: Row, name: str) -> time | None:
    value = (row.get(name) or "").strip()
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{2}:\d{2}", value):
            raise ValueError(value)
        return time.fromisoformat(value)
    except ValueError:
        raise RowProblem(name, f"{name} {value!r} is not a time; write it as HH:MM, "
                               "e.g. 21:00") from None


def yes_no(row: Row, name: str, *, default: bool = False) -> bool:
    value = (row.get(name) or "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise RowProblem(name, f"{name} {value!r} is not true or false")


def word_list(row: Row, name: str, choices: Sequence[str]) -> tuple[str, ...] | None:
    value = (row.get(name) or "").strip().lower()
    if not value:
        return None
    words = tuple(w.strip() for w in value.split(";") if w.strip())
    for word in words:
        if word not in choices:
            raise RowProblem(name, f"{name} has {word!r}; use ;-separated values from: "
                                   f"{', '.join(choices)}")
    return tuple(dict.fromkeys(words))


def place_of_service(row: Row, name: str) -> str:
    value = (row.get(name) or "").strip() or "11"
    if len(value) == 1 and value.isdigit():
        value = "0" + value
    if not (len(value) == 2 and value.isdigit() and value != "00"):
        raise RowProblem(name, f"{name} {value!r} is not a CMS place-of-service code "
                               "(two digits, e.g. 11 office, 22 hospital outpatient, 24 ASC)")
    return value


def code_lines(row: Row, name: str, *, required: bool = True) -> tuple[CodeLine, ...]:
    """`64483;64484x1;27096-50`: codes separated by `;`, each `CODE[-MODIFIER...][xUNITS]`."""
    value = (row.get(name) or "").strip()
    items = [item.strip() for item in value.split(";") if item.strip()]
    if not items:
        if required:
            raise RowProblem(name, f"{name} is empty; list the CPT/HCPCS codes separated by ';', "
                                   "e.g. 64483;64484x1")
        return ()
    return tuple(_code_line(name, item) for item in items)


def _code_line(name: str, item: str) -> CodeLine:
    body = item.lstrip("+").upper()
    units = 1
    match = _UNITS.search(body)
    if match:
        units = int(match.group(1))
        if units < 0:
            raise RowProblem(name, f"{name}: {item!r} has negative units; units are 0 or more, "
                                   "e.g. 64484x2")
        body = body[:match.start()]
    code, *modifiers = body.split("-")
    if not _CODE.fullmatch(code):
        raise RowProblem(name, f"{name}: {item!r} is not a CPT/HCPCS code (five characters: "
                               "five digits like 64483, or a letter and four digits like J1010); "
                               "write units as 64484x2 and modifiers as 27096-50")
    for modifier in modifiers:
        if not _MODIFIER.fullmatch(modifier):
            raise RowProblem(name, f"{name}: {item!r} has modifier {modifier!r}; a modifier is two "
                                   "letters or digits, e.g. 27096-50")
    return CodeLine(code=code, units=units, modifiers=tuple(modifiers))


_LEVEL = re.compile(r"([CTLS])(\d{1,2})(?:-([CTLS])(\d{1,2}))?")


def line_levels(row: Row, name: str,
                lines: tuple[CodeLine, ...]) -> tuple[tuple[str, ...], ...]:
    """`64483 L4-L5 L5-S1;64484 S1`: the spinal levels of code lines in `codes`, put on the first
    line of that code that has none yet; one tuple per line (empty for a line without levels)."""
    value = (row.get(name) or "").strip()
    result: list[tuple[str, ...]] = [() for _ in lines]
    for item in (part.strip() for part in value.split(";")):
        if not item:
            continue
        code, *levels = item.split()
        code = code.lstrip("+").upper()
        target = next((i for i, line in enumerate(lines)
                       if line.code == code and not result[i]), None)
        if target is None:
            raise RowProblem(name, f"{name}: {code} is not a line of this session's codes (or "
                                   "already has its levels); list it in codes too, e.g. codes "
                                   "64483 and levels 64483 L4-L5")
        if not levels:
            raise RowProblem(name, f"{name}: {code} has no level; write it like 64483 L4-L5")
        for level in levels:
            if not _LEVEL.fullmatch(level.upper()):
                raise RowProblem(name, f"{name}: {level!r} for {code} is not a spinal level; "
                                       "write a segment like L4-L5 or L5-S1, or a level like S1")
        result[target] = tuple(dict.fromkeys(level.upper() for level in levels))
    return tuple(result)


_DRUG_KEYS = ("dose", "wasted", "container", "ndc")


def with_drug_details(row: Row, name: str, lines: tuple[CodeLine, ...]) -> tuple[CodeLine, ...]:
    """`J1010 dose=40 wasted=10 container=single_dose ndc=00009-3073-03;J3301 dose=40`: what was
    given of each drug line in `codes`, in mg, put on the first line of that code without JW."""
    value = (row.get(name) or "").strip()
    result = list(lines)
    for item in (part.strip() for part in value.split(";")):
        if not item:
            continue
        code, *pairs = item.split()
        code = code.lstrip("+").upper()
        target = next((i for i, line in enumerate(result)
                       if line.code == code and "JW" not in line.modifiers), None)
        if target is None:
            raise RowProblem(name, f"{name}: {code} is not a drug line of this session's codes; "
                                   "list it in codes too, e.g. codes 64483;J1010x40")
        details = _drug_details(name, code, pairs)
        result[target] = result[target]._replace(**details)
    return tuple(result)


def _drug_details(name: str, code: str, pairs: list[str]) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.lower()
        if not sep or key not in _DRUG_KEYS:
            raise RowProblem(name, f"{name}: {pair!r} after {code} is not one of "
                                   "dose=MG, wasted=MG, container=single_dose|multi_dose, ndc=NDC")
        if key in ("dose", "wasted"):
            try:
                amount = float(text.lower().removesuffix("mg"))
            except ValueError:
                amount = -1.0
            if not 0 <= amount < float("inf"):
                raise RowProblem(name, f"{name}: {key}={text} for {code} is not an amount in mg "
                                       "(a number, 0 or more, e.g. dose=40)")
            details["dose_mg" if key == "dose" else "wasted_mg"] = amount
        elif key == "container":
            if text not in CONTAINERS:
                raise RowProblem(name, f"{name}: container={text} for {code}; use single_dose or "
                                       "multi_dose")
            details["container"] = text
        else:
            digits = text.replace("-", "")
            if len(digits) != 11 or not digits.isdigit() or not digits.isascii():
                raise RowProblem(name, f"{name}: ndc={text} for {code} is not an 11-digit NDC "
                                       "(e.g. 00009-3073-03)")
            details["ndc"] = digits
    return details


def diagnoses(row: Row, name: str) -> tuple[str, ...] | None:
    """`M54.16;M47.816`: ICD-10-CM codes separated by `;`, the primary first; empty is None."""
    value = (row.get(name) or "").strip()
    items = [item.strip() for item in value.split(";") if item.strip()]
    if not items:
        return None
    codes: list[str] = []
    for item in items:
        try:
            codes.append(normalize_diagnosis(item))
        except ValueError as error:
            raise RowProblem(name, f"{name}: {error}; separate codes with ';'") from None
    return tuple(dict.fromkeys(codes))
