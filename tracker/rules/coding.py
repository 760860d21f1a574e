"""CPT/HCPCS coding checks every payer shares: errors that get a claim denied whatever the policy."""

from __future__ import annotations

import math
from collections.abc import Sequence

from tracker.codes import Catalog, ProcedureCode, is_well_formed, normalize_code
from tracker.rules.findings import Finding
from tracker.rules.policy import WasteModifiers
from tracker.rules.session import CodeLine, Session

_Known = list[tuple[ProcedureCode, tuple[str, ...]]]


def _finding(catalog: Catalog, code: str, message: str) -> Finding:
    rule = catalog.coding_rules[code]
    return Finding(code=code, message=message, policy=rule.id, source=rule.source)


def coding_findings(session: Session, catalog: Catalog) -> list[Finding]:
    """Every coding error in the session's lines, in a stable order.

    Only code deletions depend on the date; the rest is memoized per set of lines.
    """
    key = ("coding", session.codes, session.muscles)
    found = catalog.memo.get(key)
    if found is None:
        found = catalog.memo[key] = _undated_findings(session, catalog)
    undated: list[Finding]
    deletable: list[ProcedureCode]
    undated, deletable = found  # type: ignore[misc]
    deleted = [
        _finding(catalog, "DELETED_CODE", f"{entry.code} was deleted on "
                 f"{entry.deleted.isoformat()}"
                 + (f"; report {entry.replaced_by}" if entry.replaced_by else ""))
        for entry in deletable if entry.deleted and session.date >= entry.deleted
    ]
    return deleted + undated if deleted else list(undated)


def _undated_findings(session: Session, catalog: Catalog
                      ) -> tuple[list[Finding], list[ProcedureCode]]:
    known: _Known = []
    findings: list[Finding] = []
    for line in session.codes:
        code = normalize_code(line.code)
        if not is_well_formed(code):
            findings.append(_finding(catalog, "UNKNOWN_CODE", f"{line.code!r} is not a well-formed "
                            "CPT or HCPCS code (5 digits, 4 digits + F/T/U/M, or a letter + 4 digits)"))
            continue
        entry = catalog.get(code)
        if entry is None:
            continue  # well-formed codes outside the catalog are not ours to judge
        known.append((entry, tuple(m.strip().upper() for m in line.modifiers)))
    findings += _guidance_findings(known, catalog)
    findings += _addon_findings(known, catalog)
    findings += _trigger_point_findings(session, known, catalog)
    findings += _bilateral_findings(known, catalog)
    return findings, [entry for entry, _ in known if entry.deleted]


def _guidance_findings(known: _Known, catalog: Catalog) -> list[Finding]:
    guidance = sorted({e.code for e, _ in known if e.is_guidance})
    bundling = sorted({e.code for e, _ in known if e.bundles_guidance})
    if not (guidance and bundling):
        return []
    return [_finding(catalog, "IMAGING_GUIDANCE_BUNDLED",
                     f"{', '.join(guidance)} cannot be billed with {', '.join(bundling)}: imaging "
                     "guidance is included in (or not allowed with) that code; remove the guidance "
                     "line")]


def _addon_findings(known: _Known, catalog: Catalog) -> list[Finding]:
    present = {entry.code for entry, _ in known}
    return [
        _finding(catalog, "ADDON_WITHOUT_PRIMARY", f"add-on {code} needs its primary code "
                 f"{' or '.join(addon_to)} in the same session")
        for code, addon_to in sorted({(e.code, e.addon_to) for e, _ in known if e.is_addon})
        if present.isdisjoint(addon_to)
    ]


def _trigger_point_findings(session: Session, known: _Known, catalog: Catalog) -> list[Finding]:
    trigger = sorted({e.code: e for e, _ in known if e.family == "trigger_point"}.values(),
                     key=lambda e: e.code)
    if len(trigger) > 1:
        return [_finding(catalog, "TRIGGER_POINT_CODE_MISMATCH",
                         f"{' and '.join(e.code for e in trigger)} in one session: report only "
                         "one, chosen by the number of muscles injected")]
    if not trigger or session.muscles is None:
        return []
    entry, muscles = trigger[0], session.muscles
    too_few = entry.muscles_min is not None and muscles < entry.muscles_min
    too_many = entry.muscles_max is not None and muscles > entry.muscles_max
    if not (too_few or too_many):
        return []
    right = "20553" if muscles >= 3 else "20552"
    return [_finding(catalog, "TRIGGER_POINT_CODE_MISMATCH",
                     f"{entry.code} does not match {muscles} muscle(s) injected; report {right}")]


def _bilateral_findings(known: _Known, catalog: Catalog) -> list[Finding]:
    return [
        _finding(catalog, "BILATERAL_NOT_ALLOWED",
                 f"{code} is one unit per session and is never bilateral; remove modifier 50")
        for code in sorted({e.code for e, mods in known if not e.bilateral_allowed and "50" in mods})
    ]


def drug_findings(session: Session, catalog: Catalog,
                  waste_rules: Sequence[WasteModifiers] = ()) -> list[Finding]:
    """Drug lines billed as given: units from the dose, and the waste modifiers JW/JZ.

    Units are checked only where a line says its `dose_mg`, the modifiers only where it says its
    `container`. `waste_rules` are the payer's rules that require JW/JZ (Medicare from
    2023-07-01); without one, a missing modifier is not a finding, a conflicting one still is.
    """
    drugs: dict[str, list[tuple[CodeLine, ProcedureCode, frozenset[str]]]] = {}
    for line in session.codes:
        entry = catalog.get(normalize_code(line.code))
        if entry is not None and entry.is_drug:
            modifiers = frozenset(m.strip().upper() for m in line.modifiers)
            drugs.setdefault(entry.code, []).append((line, entry, modifiers))
    findings: list[Finding] = []
    for code, lines in drugs.items():
        entry = lines[0][1]
        findings += _drug_units(code, entry, lines, catalog)
        container = next((line.container for line, _, _ in lines if line.container), None)
        if container is None:
            continue
        findings += _waste_modifiers(code, container, lines, session, catalog, waste_rules)
    return findings


def _units_for(amount_mg: float, unit_mg: float) -> int:
    return math.ceil(round(amount_mg / unit_mg, 9))


def _amount(mg: float) -> str:
    return f"{mg:g} mg"


def _drug_units(code: str, entry: ProcedureCode,
                lines: list[tuple[CodeLine, ProcedureCode, frozenset[str]]],
                catalog: Catalog) -> list[Finding]:
    unit = entry.billing_unit_mg
    if not unit:
        return []
    found = []
    given = [line for line, _, modifiers in lines if "JW" not in modifiers]
    for line in given:
        if line.dose_mg is not None and line.units != _units_for(line.dose_mg, unit):
            found.append(_finding(catalog, "DRUG_UNITS_MISMATCH", (
                f"{code} is billed per {_amount(unit)}: {_amount(line.dose_mg)} given is "
                f"{_units_for(line.dose_mg, unit)} units, the line bills {line.units}")))
    wasted = sum(line.wasted_mg or 0 for line in given)
    waste_units = sum(line.units for line, _, modifiers in lines if "JW" in modifiers)
    if wasted > 0 and waste_units and waste_units != _units_for(wasted, unit):
        found.append(_finding(catalog, "DRUG_UNITS_MISMATCH", (
            f"{code}-JW: {_amount(wasted)} discarded is {_units_for(wasted, unit)} units of "
            f"{_amount(unit)}, the JW line bills {waste_units}")))
    return found


def _waste_modifiers(code: str, container: str,
                     lines: list[tuple[CodeLine, ProcedureCode, frozenset[str]]],
                     session: Session, catalog: Catalog,
                     waste_rules: Sequence[WasteModifiers]) -> list[Finding]:
    has_jw = any("JW" in modifiers for _, _, modifiers in lines)
    has_jz = any("JZ" in modifiers for _, _, modifiers in lines)
    if has_jw and has_jz:
        return [_finding(catalog, "DRUG_MODIFIER_CONFLICT", (
            f"{code} carries both JW (an amount discarded) and JZ (nothing discarded); keep the "
            "one that is true"))]
    if container == "multi_dose":
        if has_jw or has_jz:
            return [_finding(catalog, "DRUG_MODIFIER_CONFLICT", (
                f"{code} comes from a multi-dose container: JW and JZ apply to single-dose "
                "containers only; remove the modifier"))]
        return []
    entry = lines[0][1]
    rule = next((r for r in waste_rules if r.in_force(session.date)
                 and r.applies.matches(entry.family, None, frozenset({code}))), None)
    if rule is None:
        return []
    wasted = sum(line.wasted_mg or 0 for line, _, modifiers in lines if "JW" not in modifiers)
    if wasted > 0 and not has_jw:
        message = (f"{_amount(wasted)} of single-dose {code} was discarded: bill it on its own "
                   f"{code} line with modifier JW")
    elif wasted == 0 and not has_jz:
        message = f"single-dose {code} with nothing discarded needs modifier JZ"
    else:
        return []
    return [Finding("DRUG_MODIFIER_MISSING", message, rule.id, rule.cited_source)]
