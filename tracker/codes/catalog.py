"""The procedure catalog, loaded once from `catalog.yaml` beside this module."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

REGIONS: tuple[str, ...] = ("cervical_thoracic", "lumbar_sacral", "sacroiliac")

# CPT category I (5 digits), category II/III and PLA (4 digits + F/T/U/M, e.g. 0213T),
# HCPCS level II (a letter A-V + 4 digits, e.g. J1010, G0260).
_WELL_FORMED = re.compile(r"^(?:\d{5}|\d{4}[FTUM]|[A-V]\d{4})$")


@dataclass(frozen=True, slots=True)
class ProcedureCode:
    code: str
    name: str
    family: str
    region: str | None
    levels: str  # first | per_unit | session | none
    addon_to: tuple[str, ...] = ()
    guidance_included: bool = False
    guidance_billable: bool = True
    bilateral_allowed: bool = True
    is_guidance: bool = False
    intent: str | None = None  # injection | stimulator | a fixed intent | None
    muscles_min: int | None = None
    muscles_max: int | None = None
    deleted: date | None = None
    replaced_by: str | None = None
    billing_unit_mg: float | None = None  # a drug's HCPCS billing unit, e.g. J3301 per 10 mg

    @property
    def is_drug(self) -> bool:
        return self.family == "drug"

    @property
    def is_addon(self) -> bool:
        return bool(self.addon_to)

    @property
    def bundles_guidance(self) -> bool:
        """77003/77012 may not be billed beside this code."""
        return self.guidance_included or not self.guidance_billable


@dataclass(frozen=True, slots=True)
class CodingRule:
    finding: str
    id: str
    source: str


@dataclass(frozen=True, slots=True)
class BilateralPayment:
    """What a payer pays for a bilateral line (modifier 50, one unit) of one of `codes`:
    `percent` of the code's fee (catalog.yaml `bilateral_payment`, with its source)."""

    percent: int
    codes: frozenset[str]
    source: str = ""

    def applies(self, code: str, modifiers: tuple[str, ...] | list[str]) -> bool:
        return bool(modifiers) and code in self.codes \
            and any(m.strip().upper() == "50" for m in modifiers)

    def of(self, amount_cents: int) -> int:
        """`percent` of an amount, to the cent, half a cent up."""
        return (amount_cents * self.percent + 50) // 100


@dataclass(frozen=True)
class Catalog:
    codes: dict[str, ProcedureCode]
    groups: dict[str, tuple[str, ...]]
    coding_rules: dict[str, CodingRule]
    bilateral_payment: BilateralPayment = BilateralPayment(100, frozenset())
    # memo for callers that resolve the same code lines again and again (see rules.procedures)
    memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def families(self) -> frozenset[str]:
        return frozenset(c.family for c in self.codes.values())

    def group_families(self, name: str) -> tuple[str, ...] | None:
        """The families a named group counts together; a family name is a group of itself."""
        if name in self.groups:
            return self.groups[name]
        if name in self.families:
            return (name,)
        return None

    def get(self, code: str) -> ProcedureCode | None:
        return self.codes.get(code)


def normalize_code(text: str) -> str:
    """Codes as people write them: ' +64484 ' is 64484; letters upper-cased."""
    return text.strip().lstrip("+").upper()


def is_well_formed(code: str) -> bool:
    return bool(_WELL_FORMED.match(code))


def _procedure_code(code: str, raw: dict[str, Any]) -> ProcedureCode:
    muscles = raw.get("muscles") or {}
    return ProcedureCode(
        code=code,
        name=raw["name"],
        family=raw["family"],
        region=raw.get("region"),
        levels=raw.get("levels", "none"),
        addon_to=tuple(raw.get("addon_to", ())),
        guidance_included=bool(raw.get("guidance_included", False)),
        guidance_billable=bool(raw.get("guidance_billable", True)),
        bilateral_allowed=bool(raw.get("bilateral_allowed", True)),
        is_guidance=bool(raw.get("guidance", False)),
        intent=raw.get("intent"),
        muscles_min=muscles.get("min"),
        muscles_max=muscles.get("max"),
        deleted=raw.get("deleted"),
        replaced_by=raw.get("replaced_by"),
        billing_unit_mg=raw.get("billing_unit_mg"),
    )


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    text = resources.files("tracker.codes").joinpath("catalog.yaml").read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    codes = {str(code): _procedure_code(str(code), entry) for code, entry in raw["codes"].items()}
    groups = {name: tuple(families) for name, families in raw["groups"].items()}
    coding_rules = {
        finding: CodingRule(finding=finding, id=entry["id"], source=entry["source"])
        for finding, entry in raw["coding_rules"].items()
    }
    bilateral = raw.get("bilateral_payment") or {}
    return Catalog(codes=codes, groups=groups, coding_rules=coding_rules,
                   bilateral_payment=BilateralPayment(
                       percent=int(bilateral.get("percent", 100)),
                       codes=frozenset(str(c) for c in bilateral.get("codes", ())),
                       source=str(bilateral.get("source", ""))))
