"""Reading payer policies from YAML: validation with errors that name file, rule and field.

The shipped policies live in the top-level `policies` package. A practice adds payers, or
overrides shipped rules, from its own folders (`PAINAUTH_POLICY_DIRS`, separated by the path
separator): a file whose `payer` is already known replaces the rules that share an id with its
own (`enabled: false` withdraws one) and adds the rest; `replace: true` replaces the payer whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from tracker.codes import load_catalog, normalize_code
from tracker.errors import PolicyError, PolicyErrors, UnknownPayer
from tracker.rules.policy import (
    BEGINNING,
    FOREVER,
    PACKAGE_DOCUMENTS,
    RULE_TYPES,
    DecisionClock,
    FrequencyLimit,
    LevelsLimit,
    MinimumInterval,
    NotCovered,
    Policy,
    Prerequisite,
    PriorAuthorization,
    PsychClearance,
    RepeatResponse,
    Rule,
    Selector,
    StepTherapy,
    WasteModifiers,
    Window,
)
from tracker.rules.program_files import read_exemptions, read_programs
from tracker.rules.programs import PLAN_TYPES, Program
from tracker.rules.session import CARE_KINDS, INTENTS, Exemption

CONFIDENCES = ("A", "B", "C", "practice-reported")
_COMMON = {"id", "type", "group", "codes", "intent", "source", "confidence", "effective_from",
           "effective_to", "note", "enabled"}
_TYPE_FIELDS: dict[str, set[str]] = {
    "frequency": {"window", "limit"},
    "interval": {"min_days", "min_months"},
    "levels": {"max_levels"},
    "not_covered": {"reason"},
    "prior_auth": {"places_of_service", "program", "states", "trial_carries"},
    "step_therapy": {"min_days", "require_kinds", "when", "lookback_months"},
    "repeat_response": {"min_relief_percent", "min_duration_days", "lookback_months",
                        "failed_first_retry_days"},
    "prerequisite": {"requires", "when", "description", "package_documents"},
    "psych_clearance": {"within_months"},
    "waste_modifiers": set(),
}
_FILE_FIELDS = {"payer", "name", "rules", "decision_clock", "replace", "programs", "plan_type",
                "exemptions"}
# USPS codes of the states, the District of Columbia and the territories
US_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
    "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV",
    "WI", "WY", "DC", "PR", "VI", "GU", "AS", "MP",
})


class _PolicyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML that leaves dates as text, so an impossible date (2026-02-30) is reported with
    its file, rule and field by the validator instead of failing the whole file in the parser."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_YAML_LOADER = _PolicyLoader


class _Reader:
    """Reads one rule mapping, turning every problem into a PolicyError naming the field."""

    def __init__(self, file: str, rule_id: str | None, raw: dict[str, Any]) -> None:
        self.file, self.rule_id, self.raw = file, rule_id, raw

    def fail(self, field: str | None, message: str) -> PolicyError:
        return PolicyError(self.file, self.rule_id, field, message)

    def has(self, key: str) -> bool:
        return self.raw.get(key) is not None

    def text(self, key: str, default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty text")
        return value.strip()

    def whole(self, key: str, minimum: int = 0, default: int | None = None) -> int:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"must be a whole number ≥ {minimum} (got {value!r})")
        return value

    def optional_whole(self, key: str, minimum: int = 0) -> int | None:
        return self.whole(key, minimum) if self.has(key) else None

    def percent(self, key: str, default: float | None = None) -> float:
        value = self.raw.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise self.fail(key, f"must be a percentage from 0 to 100 (got {value!r})")
        return float(value)

    def day(self, key: str, default: date) -> date:
        value = self.raw.get(key)
        if value is None:
            return default
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise self.fail(key, f"must be a date YYYY-MM-DD (got {value!r})") from None

    def names(self, key: str) -> list[str]:
        value = self.raw.get(key)
        if value is None:
            return []
        items = [value] if isinstance(value, str | int) else value
        if not isinstance(items, list) or not all(isinstance(i, str | int) for i in items):
            raise self.fail(key, "must be a name or a list of names")
        return [str(i) for i in items]


def _selector(reader: _Reader, where: str = "") -> Selector:
    """`group` (names of groups or families), `codes` and `intent` of a rule or a `requires`."""
    catalog = load_catalog()
    prefix = f"{where}." if where else ""
    groups = reader.names("group")
    families: set[str] = set()
    for name in groups:
        found = catalog.group_families(name)
        if found is None:
            known = sorted(set(catalog.groups) | catalog.families)
            raise reader.fail(f"{prefix}group", f"unknown group or family {name!r}; "
                              f"use one of: {', '.join(known)}")
        families.update(found)
    codes = {normalize_code(c) for c in reader.names("codes")}
    for code in sorted(codes):
        if code not in catalog.codes:
            raise reader.fail(f"{prefix}codes", f"code {code} is not in the procedure catalog")
    intents = set(reader.names("intent"))
    for intent in sorted(intents):
        if intent not in INTENTS:
            raise reader.fail(f"{prefix}intent",
                              f"unknown intent {intent!r}; use one of: {', '.join(INTENTS)}")
    if not families and not codes:
        raise reader.fail(f"{prefix}group", "name a group (or family) or codes the rule applies to")
    if not families:
        families = {catalog.codes[c].family for c in codes}
    label = "+".join(groups) if groups else "+".join(sorted(families))
    return Selector(label=label, families=frozenset(families), codes=frozenset(codes),
                    intents=frozenset(intents))


def _window(reader: _Reader) -> Window:
    raw = reader.raw.get("window")
    if isinstance(raw, dict) and set(raw) == {"rolling_months"}:
        months = raw["rolling_months"]
        if isinstance(months, int) and not isinstance(months, bool) and months > 0:
            return Window("rolling_months", months)
    if isinstance(raw, dict) and raw == {"calendar_year": True}:
        return Window("calendar_year")
    raise reader.fail("window", "must be {rolling_months: N} with N > 0, or {calendar_year: true}"
                      f" (got {raw!r})")


def _when_first_in_region(reader: _Reader) -> bool:
    when = reader.raw.get("when", "always")
    if when not in ("always", "first_in_region"):
        raise reader.fail("when", f"must be 'always' or 'first_in_region' (got {when!r})")
    return bool(when == "first_in_region")


def _require_kinds(reader: _Reader) -> tuple[frozenset[str], ...]:
    raw = reader.raw.get("require_kinds") or []
    if not isinstance(raw, list):
        raise reader.fail("require_kinds", "must be a list; each entry a kind or a list of "
                          "alternative kinds")
    sets = []
    for entry in raw:
        kinds = [entry] if isinstance(entry, str) else entry
        if not isinstance(kinds, list) or not kinds:
            raise reader.fail("require_kinds", f"entry {entry!r} must be a kind or a list of kinds")
        for kind in kinds:
            if kind not in CARE_KINDS:
                raise reader.fail("require_kinds", f"unknown kind {kind!r}; use one of: "
                                  f"{', '.join(CARE_KINDS)}")
        sets.append(frozenset(kinds))
    return tuple(sets)


def _rule(file: str, index: int, raw: Any) -> Rule | None:
    """One rule from its mapping; None when the mapping withdraws it (`enabled: false`)."""
    if not isinstance(raw, dict):
        raise PolicyError(file, f"#{index + 1}", None, "each rule must be a mapping of fields")
    rule_id = raw.get("id")
    reader = _Reader(file, str(rule_id) if rule_id else f"#{index + 1}", raw)
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise reader.fail("id", "every rule needs an id, e.g. medicare-esi-frequency")
    if raw.get("enabled", True) is False:
        return None  # withdrawn: the id alone says which rule
    kind = raw.get("type")
    if kind not in RULE_TYPES:
        raise reader.fail("type", f"unknown rule type {kind!r}; use one of: "
                          f"{', '.join(RULE_TYPES)}")
    unknown = set(raw) - _COMMON - _TYPE_FIELDS[kind]
    if unknown:
        raise reader.fail(sorted(unknown)[0], f"not a field of a {kind} rule; its fields are: "
                          f"{', '.join(sorted(_COMMON | _TYPE_FIELDS[kind]))}")
    confidence = str(raw.get("confidence", ""))
    if confidence not in CONFIDENCES:
        raise reader.fail("confidence", f"must be one of {', '.join(CONFIDENCES)}")
    common: dict[str, Any] = {
        "id": rule_id,
        "applies": _selector(reader),
        "source": reader.text("source"),
        "confidence": confidence,
        "effective_from": reader.day("effective_from", BEGINNING),
        "effective_to": reader.day("effective_to", FOREVER),
        "note": str(raw.get("note") or ""),
    }
    if common["effective_to"] < common["effective_from"]:
        raise reader.fail("effective_to", "must not be before effective_from")
    return _typed_rule(kind, reader, common)


def _package_documents(reader: _Reader) -> tuple[str, ...]:
    names = reader.names("package_documents")
    for name in names:
        if name not in PACKAGE_DOCUMENTS:
            raise reader.fail("package_documents", f"unknown document {name!r}; use one of: "
                              f"{', '.join(PACKAGE_DOCUMENTS)}")
    return tuple(names)


def _typed_rule(kind: str, reader: _Reader, common: dict[str, Any]) -> Rule:
    if kind == "frequency":
        return FrequencyLimit(**common, window=_window(reader), limit=reader.whole("limit", 1))
    if kind == "interval":
        days, months = reader.optional_whole("min_days", 1), reader.optional_whole("min_months", 1)
        if (days is None) == (months is None):
            raise reader.fail("min_days", "give exactly one of min_days or min_months")
        return MinimumInterval(**common, days=days, months=months)
    if kind == "levels":
        return LevelsLimit(**common, max_levels=reader.whole("max_levels", 1))
    if kind == "not_covered":
        return NotCovered(**common, reason=str(reader.raw.get("reason") or ""))
    if kind == "prior_auth":
        places = reader.names("places_of_service")
        for place in places:
            if not (len(place) == 2 and place.isdigit()):
                raise reader.fail("places_of_service",
                                  f"{place!r} is not a two-digit CMS place-of-service code")
        states = reader.names("states")
        for state in states:
            if state not in US_STATES:
                raise reader.fail("states", f"{state!r} is not a two-letter USPS state code "
                                  "such as TX")
        program = reader.raw.get("program", "")
        if not isinstance(program, str):
            raise reader.fail("program", f"must be a program id (got {program!r})")
        return PriorAuthorization(**common, places_of_service=frozenset(places),
                                  program=program.strip(), states=frozenset(states),
                                  trial_carries=bool(reader.raw.get("trial_carries", False)))
    if kind == "step_therapy":
        return StepTherapy(**common, min_days=reader.whole("min_days", 0),
                           require_kinds=_require_kinds(reader),
                           first_in_region=_when_first_in_region(reader),
                           lookback_months=reader.whole("lookback_months", 1, default=12))
    if kind == "repeat_response":
        return RepeatResponse(**common, min_relief_percent=reader.percent("min_relief_percent"),
                              min_duration_days=reader.optional_whole("min_duration_days", 1),
                              lookback_months=reader.optional_whole("lookback_months", 1),
                              failed_first_retry_days=reader.optional_whole(
                                  "failed_first_retry_days", 1))
    if kind == "prerequisite":
        raw = reader.raw.get("requires")
        if not isinstance(raw, dict):
            raise reader.fail("requires", "must be a mapping: group, intent, count, "
                              "min_relief_percent, same_region")
        extra = set(raw) - {"group", "codes", "intent", "count", "min_relief_percent",
                            "same_region", "or_medication_reduction_percent"}
        if extra:
            raise reader.fail(f"requires.{sorted(extra)[0]}", "not a field of requires")
        inner = _Reader(reader.file, reader.rule_id, raw)
        return Prerequisite(**common, requires=_selector(inner, "requires"),
                            count=inner.whole("count", 1, default=1),
                            min_relief_percent=inner.percent("min_relief_percent", default=0),
                            or_medication_reduction_percent=(
                                inner.percent("or_medication_reduction_percent")
                                if inner.has("or_medication_reduction_percent") else None),
                            same_region=bool(raw.get("same_region", True)),
                            first_in_region=_when_first_in_region(reader),
                            description=str(reader.raw.get("description") or ""),
                            package_documents=_package_documents(reader))
    if kind == "psych_clearance":
        return PsychClearance(**common, within_months=reader.optional_whole("within_months", 1))
    if kind == "waste_modifiers":
        return WasteModifiers(**common)
    raise reader.fail("type", f"unhandled rule type {kind!r}")  # pragma: no cover


@dataclass
class PolicyFile:
    path: str
    payer: str
    name: str | None
    replace: bool
    rules: list[Rule]
    withdrawn: set[str]
    clock: DecisionClock | None
    programs: dict[str, Program] = field(default_factory=dict)
    plan_type: str | None = None
    exemptions: tuple[Exemption, ...] = ()


def read_policy_file(path: Path) -> PolicyFile:
    """Parse and validate one file; raises PolicyErrors listing every problem in it."""
    file = str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except (OSError, UnicodeDecodeError) as err:
        raise PolicyErrors([PolicyError(file, None, None, f"cannot read the file: {err}")]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise PolicyErrors([PolicyError(file, None, None, f"not valid YAML{where}")]) from None
    if not isinstance(raw, dict):
        raise PolicyErrors([PolicyError(file, None, None, "must be a mapping with payer and rules")])
    errors: list[PolicyError] = []
    for key in sorted(set(raw) - _FILE_FIELDS):
        errors.append(PolicyError(file, None, key, f"not a policy file field; use: "
                                  f"{', '.join(sorted(_FILE_FIELDS))}"))
    payer = raw.get("payer")
    if not isinstance(payer, str) or not payer.strip():
        errors.append(PolicyError(file, None, "payer", "name the payer id, e.g. payer: aetna"))
    rules_raw = raw.get("rules")
    if not isinstance(rules_raw, list):
        errors.append(PolicyError(file, None, "rules", "must be a list of rules"))
        rules_raw = []
    rules: list[Rule] = []
    withdrawn: set[str] = set()
    for index, entry in enumerate(rules_raw):
        try:
            rule = _rule(file, index, entry)
        except PolicyError as err:
            errors.append(err)
            continue
        if rule is None:
            withdrawn.add(str(entry["id"]))
        else:
            rules.append(rule)
    errors.extend(_overlapping_versions(file, rules))
    clock = _decision_clock(file, raw.get("decision_clock"), errors)
    programs = read_programs(file, raw.get("programs"), errors)
    exemptions = read_exemptions(file, raw.get("exemptions"), errors)
    plan_type = raw.get("plan_type")
    if plan_type is not None and plan_type not in PLAN_TYPES:
        errors.append(PolicyError(file, None, "plan_type", f"must be one of: "
                                  f"{', '.join(PLAN_TYPES)} (got {plan_type!r}); a file holds "
                                  "the rules of one plan type"))
    if errors:
        raise PolicyErrors(errors)
    return PolicyFile(path=file, payer=str(payer).strip(), name=raw.get("name"),
                      replace=bool(raw.get("replace", False)), rules=rules, withdrawn=withdrawn,
                      clock=clock, programs=programs, plan_type=plan_type,
                      exemptions=exemptions)


def _overlapping_versions(file: str, rules: list[Rule]) -> list[PolicyError]:
    """Versions of one rule id must not be in force on the same day."""
    errors = []
    by_id: dict[str, list[Rule]] = {}
    for rule in rules:
        by_id.setdefault(rule.id, []).append(rule)
    for rule_id, versions in by_id.items():
        versions.sort(key=lambda r: r.effective_from)
        for earlier, later in zip(versions, versions[1:], strict=False):
            if later.effective_from <= earlier.effective_to:
                errors.append(PolicyError(file, rule_id, "effective_from",
                              f"version from {later.effective_from} overlaps the version from "
                              f"{earlier.effective_from}; end the earlier one with effective_to"))
    return errors


def _decision_clock(file: str, raw: Any, errors: list[PolicyError]) -> DecisionClock | None:
    if raw is None:
        return None
    reader = _Reader(file, None, raw if isinstance(raw, dict) else {})
    try:
        return DecisionClock(standard_days=reader.whole("standard_days", 1, default=7),
                             expedited_hours=reader.whole("expedited_hours", 1, default=72))
    except PolicyError as err:
        errors.append(err)
        return None


def shipped_policy_dir() -> Path:
    return Path(str(resources.files("policies")))


def configured_policy_dirs() -> list[Path]:
    """The shipped folder, then the practice's folders from PAINAUTH_POLICY_DIRS, in order."""
    extra = os.environ.get("PAINAUTH_POLICY_DIRS", "")
    return [shipped_policy_dir()] + [Path(p) for p in extra.split(os.pathsep) if p.strip()]


def load_policies(dirs: Iterable[Path] | None = None) -> dict[str, Policy]:
    """Every payer's policy from the folders in order, later folders overriding earlier ones.

    Raises PolicyErrors naming every broken file, rule and field.
    """
    folders = list(dirs) if dirs is not None else configured_policy_dirs()
    errors: list[PolicyError] = []
    files: list[PolicyFile] = []
    for folder in folders:
        if not folder.is_dir():
            errors.append(PolicyError(str(folder), None, None,
                                      "policy folder not found (check PAINAUTH_POLICY_DIRS)"))
            continue
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            try:
                files.append(read_policy_file(path))
            except PolicyErrors as err:
                errors.extend(err.errors)
    if errors:
        raise PolicyErrors(errors)
    policies = _merge(files)
    errors = _program_problems(files, policies)
    if errors:
        raise PolicyErrors(errors)
    return policies


def _program_problems(files: list[PolicyFile], policies: dict[str, Policy]) -> list[PolicyError]:
    """Every prior_auth rule names a program its payer defines; a payer's files agree on the
    plan type their rules are for."""
    errors = []
    live: list[PolicyFile] = []  # a file with replace: true drops its payer's earlier files
    for pf in files:
        if pf.replace:
            live = [f for f in live if f.payer != pf.payer]
        live.append(pf)
    for pf in live:
        policy = policies[pf.payer]
        for rule in pf.rules:
            if isinstance(rule, PriorAuthorization) and rule.program \
                    and rule.program not in policy.programs:
                known = ", ".join(sorted(policy.programs)) or "none defined"
                errors.append(PolicyError(pf.path, rule.id, "program",
                                          f"unknown program {rule.program!r} of payer "
                                          f"{pf.payer}; its programs: {known}"))
        for index, exemption in enumerate(pf.exemptions):
            if exemption.program not in policy.programs:
                errors.append(PolicyError(pf.path, None, f"exemptions[{index}].program",
                                          f"unknown program {exemption.program!r} of payer "
                                          f"{pf.payer}"))
        if pf.plan_type is not None and pf.plan_type != policy.plan_type:
            errors.append(PolicyError(pf.path, None, "plan_type",
                                      f"payer {pf.payer} is for plan type {policy.plan_type}; "
                                      "put rules of another plan type under their own payer id"))
    return errors


def _merge(files: list[PolicyFile]) -> dict[str, Policy]:
    policies: dict[str, Policy] = {}
    for pf in files:
        base = policies.get(pf.payer)
        if base is None or pf.replace:
            rules = tuple(pf.rules)
            name = pf.name or pf.payer
            paths: tuple[str, ...] = (pf.path,)
            clock = pf.clock or DecisionClock()
            programs = dict(pf.programs)
            plan_type = pf.plan_type
            exemptions = pf.exemptions
        else:
            replaced = {r.id for r in pf.rules} | pf.withdrawn
            rules = tuple(r for r in base.rules if r.id not in replaced) + tuple(pf.rules)
            name = pf.name or base.name
            paths = base.files + (pf.path,)
            clock = pf.clock or base.decision_clock
            programs = {**base.programs, **pf.programs}
            plan_type = base.plan_type or pf.plan_type
            exemptions = base.exemptions + pf.exemptions
        policies[pf.payer] = Policy(payer=pf.payer, name=name, rules=rules, files=paths,
                                    decision_clock=clock, programs=programs, plan_type=plan_type,
                                    exemptions=exemptions)
    return policies


_cache: dict[tuple[str, ...], dict[str, Policy]] = {}


def policies_in_force() -> dict[str, Policy]:
    """The configured policies, loaded once per process per configuration."""
    key = tuple(str(p) for p in configured_policy_dirs())
    if key not in _cache:
        _cache[key] = load_policies([Path(p) for p in key])
    return _cache[key]


def payer_id(payer: str, known: Iterable[str]) -> str | None:
    """The known payer id `payer` names, matched without regard to case; None when unknown."""
    wanted = payer.strip().lower()
    return next((k for k in sorted(known) if k.lower() == wanted), None)


def policy_for(payer: str) -> Policy:
    policies = policies_in_force()
    found = payer_id(payer, policies)
    if found is None:
        raise UnknownPayer(payer, sorted(policies))
    return policies[found]
