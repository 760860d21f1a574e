"""Charge capture, pure: what a performed session documented but did not bill.

Given the session's billed lines, what its procedure note documents (the imaging guidance used,
the drugs given and discarded, the trigger-point muscles injected) and the catalog, list each
charge the claim would miss. No I/O; tracker.money.capture prices the misses."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tracker.codes import Catalog, ProcedureCode, normalize_code
from tracker.rules.session import CodeLine

GUIDANCE_MODALITIES: tuple[str, ...] = ("fluoroscopy", "ct", "ultrasound", "none")
# The guidance line each documented modality is billed with, where it is billable at all.
GUIDANCE_CODES: dict[str, str] = {"fluoroscopy": "77003", "ct": "77012", "ultrasound": "76942"}


@dataclass(frozen=True)
class DrugGiven:
    """A drug the procedure note says was given: its HCPCS code, the dose and any discarded."""

    code: str
    dose_mg: float
    wasted_mg: float = 0.0


@dataclass(frozen=True)
class Documentation:
    """What was done, as the procedure note documents it."""

    guidance: str | None = None  # one of GUIDANCE_MODALITIES; None: not documented
    drugs: tuple[DrugGiven, ...] = ()
    muscles: int | None = None


@dataclass(frozen=True)
class Miss:
    kind: str  # guidance_not_billed, drug_not_billed, trigger_point_muscles, waste_not_billed
    code: str  # the line to add, or the code to bill instead
    units: int
    message: str
    instead_of: str | None = None  # the billed code the right one replaces (trigger points)


def missed_lines(lines: Sequence[CodeLine], documentation: Documentation,
                 catalog: Catalog) -> list[Miss]:
    """Every charge the documentation supports that the lines do not carry, in a stable order."""
    known = [(entry, line) for line in lines
             if (entry := catalog.get(normalize_code(line.code))) is not None]
    return (_guidance(known, documentation)
            + _drugs(known, documentation, catalog)
            + _trigger_points(known, documentation)
            + _waste(known, documentation, catalog))


_Known = list[tuple[ProcedureCode, CodeLine]]
# The code that includes imaging for a code billed "without imaging" (REFERENCE §1-2): with
# fluoroscopy or CT documented, the procedure is the with-imaging code, never + 77003.
WITH_IMAGING: dict[str, str] = {"62320": "62321", "62322": "62323", "62324": "62325",
                                "62326": "62327"}
# Fluoroscopy outside the spine (trigger points) is 77002, not the spinal 77003.
_FLUOROSCOPY_NOT_SPINAL = "77002"


def _procedures(known: _Known) -> list[ProcedureCode]:
    return [entry for entry, _ in known if entry.family not in ("imaging", "drug")]


def _guidance(known: _Known, documentation: Documentation) -> list[Miss]:
    modality = documentation.guidance
    code = GUIDANCE_CODES.get(modality or "")
    procedures = _procedures(known)
    if code is None or not procedures or any(e.family == "imaging" for e, _ in known):
        return []
    swaps = [e.code for e in procedures if e.code in WITH_IMAGING]
    if swaps and modality in ("fluoroscopy", "ct"):
        old = swaps[0]
        return [Miss("guidance_not_billed", WITH_IMAGING[old], 1,
                     f"{modality} documented with {old} (without imaging): bill "
                     f"{WITH_IMAGING[old]} (with imaging) instead", instead_of=old)]
    if any(e.bundles_guidance for e in procedures):
        return []  # guidance is inside the procedure's code: nothing to add
    if modality == "fluoroscopy" and all(e.family == "trigger_point" for e in procedures):
        code = _FLUOROSCOPY_NOT_SPINAL
    billed = ", ".join(sorted({e.code for e in procedures}))
    return [Miss("guidance_not_billed", code, 1,
                 f"{modality} guidance documented with {billed}, where it is billed separately, "
                 f"but no {code} line")]


def _drugs(known: _Known, documentation: Documentation, catalog: Catalog) -> list[Miss]:
    misses = []
    for given in documentation.drugs:
        entry = catalog.get(normalize_code(given.code))
        if entry is None or not entry.is_drug or not entry.billing_unit_mg:
            continue
        needed = units_for(given.dose_mg, entry.billing_unit_mg)
        billed = sum(line.units for e, line in known
                     if e.code == entry.code and "JW" not in _modifiers(line))
        if needed > billed:
            short = needed - billed
            what = (f"no {entry.code} line" if billed == 0
                    else f"the {entry.code} line bills {billed} unit(s)")
            misses.append(Miss("drug_not_billed", entry.code, short,
                               f"{given.dose_mg:g} mg of {entry.name.removeprefix('Injection, ')}"
                               f" documented as given is {needed} unit(s) of {entry.code}, but "
                               f"{what}"))
    return misses


def _trigger_points(known: _Known, documentation: Documentation) -> list[Miss]:
    billed = sorted({e.code for e in _procedures(known) if e.family == "trigger_point"})
    muscles = documentation.muscles
    if len(billed) != 1 or not muscles:
        return []
    right = "20553" if muscles >= 3 else "20552"
    if billed[0] == right:
        return []
    return [Miss("trigger_point_muscles", right, 1,
                 f"{muscles} muscle(s) injected is {right}, but the session bills {billed[0]}",
                 instead_of=billed[0])]


def _waste(known: _Known, documentation: Documentation, catalog: Catalog) -> list[Miss]:
    wasted: dict[str, float] = {}
    for given in documentation.drugs:
        wasted[normalize_code(given.code)] = wasted.get(normalize_code(given.code), 0.0) \
            + given.wasted_mg
    documented = {normalize_code(g.code) for g in documentation.drugs}
    for billed, line in known:
        if billed.is_drug and line.wasted_mg and "JW" not in _modifiers(line) \
                and billed.code not in documented:
            wasted[billed.code] = wasted.get(billed.code, 0.0) + line.wasted_mg
    misses = []
    for code, amount in sorted(wasted.items()):
        entry = catalog.get(code)
        if amount <= 0 or entry is None or not entry.is_drug or not entry.billing_unit_mg:
            continue
        lines = [line for e, line in known if e.code == code]
        if any(line.container == "multi_dose" for line in lines):
            continue  # JW is for single-dose containers only
        if any("JW" in _modifiers(line) for line in lines):
            continue
        misses.append(Miss("waste_not_billed", code, units_for(amount, entry.billing_unit_mg),
                           f"{amount:g} mg of {code} documented as discarded, but no {code}-JW "
                           "line"))
    return misses


def _modifiers(line: CodeLine) -> frozenset[str]:
    return frozenset(m.strip().upper() for m in line.modifiers)


def units_for(amount_mg: float, unit_mg: float) -> int:
    """HCPCS drug units: the amount over the code's billing unit, rounded up."""
    return math.ceil(round(amount_mg / unit_mg, 9))
