"""How the sandbox payer decides: rules as data, a YAML file or a dict.

    lines:                       # first rule matching a line's code or family decides it
      - families: [facet_rfa, si_rfa]
        requires: [diagnostic-blocks]          # evidence codes (tracker.packages.evidence)
      - codes: ["63650"]
        requires: [psych-evaluation]
        decision: pend                         # approve | partial | deny | pend | modify
        pend_seconds: 30
        then: approve
      - families: [facet_injection]
        max_units: 2                           # more requested -> partial (A2) for this many
    auth_valid_days: 90

A line whose rule requires evidence the package lacks is denied (A3) naming what is missing —
before its decision is looked at. A line no rule matches is approved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tracker.packages.evidence import EVIDENCE_KINDS, REQUIRED_EVIDENCE
from tracker.payers.errors import PayerError

Decision = Literal["approve", "partial", "deny", "pend", "modify"]


class SandboxRulesError(PayerError):
    """A sandbox rules file that cannot be used; the message names the file and the field."""


class LineRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    codes: list[str] = Field(default_factory=list, description="CPT/HCPCS codes this rule covers")
    families: list[str] = Field(default_factory=list, description="catalog families or groups")
    requires: list[str] = Field(default_factory=list, description="evidence codes the line needs")
    decision: Decision = "approve"
    max_units: int | None = Field(default=None, ge=0)
    reason: str | None = None
    pend_seconds: float = Field(default=60.0, ge=0)
    then: Literal["approve", "deny"] = "approve"
    authorized_code: str | None = Field(default=None, description="for modify: the code approved")

    @field_validator("requires")
    @classmethod
    def _known_evidence(cls, requires: list[str]) -> list[str]:
        unknown = [r for r in requires if r not in EVIDENCE_KINDS]
        if unknown:
            raise ValueError(f"unknown evidence {', '.join(unknown)}; known: {', '.join(EVIDENCE_KINDS)}")
        return requires

    def matches(self, code: str | None, families: set[str]) -> bool:
        if not self.codes and not self.families:
            return True
        return (code is not None and code in self.codes) or bool(families & set(self.families))


class SandboxRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[LineRule] = Field(default_factory=list)
    auth_valid_days: int = Field(default=90, ge=1)
    auth_number_prefix: str = "SBX"


def _family_lines() -> list[dict[str, Any]]:
    """One line rule per set of evidence that `REQUIRED_EVIDENCE` asks of a family."""
    families: dict[tuple[str, ...], list[str]] = {}
    for family, needs in REQUIRED_EVIDENCE.items():
        families.setdefault(needs, []).append(family)
    return [{"families": members, "requires": list(needs)} for needs, members in families.items()]


# What the sandbox asks for out of the box: the families' evidence of REFERENCE.md §7, as the
# completeness check asks it (tracker.packages.evidence). Stimulator trials pend for a minute of
# "clinical review" and are then approved.
DEFAULT_RULES: dict[str, Any] = {
    "lines": [
        *_family_lines(),
        {"codes": ["63650"], "requires": ["psych-evaluation"], "decision": "pend",
         "pend_seconds": 60, "then": "approve"},
        {"codes": ["63655", "63685"], "requires": ["psych-evaluation", "scs-trial"]},
    ],
}


def default_rules() -> SandboxRules:
    return SandboxRules.model_validate(DEFAULT_RULES)


def rules_from(document: Any, source: str = "rules") -> SandboxRules:
    try:
        return SandboxRules.model_validate(document or {})
    except ValidationError as err:
        problem = err.errors()[0]
        where = ".".join(str(p) for p in problem["loc"])
        raise SandboxRulesError(f"{source}: {where}: {problem['msg']}") from None


def load_rules(path: Path) -> SandboxRules:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SandboxRulesError(f"{path}: cannot read the rules: {err.strerror or err}") from None
    except yaml.YAMLError as err:
        raise SandboxRulesError(f"{path}: not YAML: {err}") from None
    return rules_from(document, str(path))
