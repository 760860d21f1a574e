"""What the engine reports: findings in a fixed vocabulary, counters, and the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tracker.rules.policy import Window

# Finding code -> severity. A fixed vocabulary: add new codes, never rename these.
SEVERITY: dict[str, str] = {
    "FREQUENCY_LIMIT_REACHED": "block",
    "FREQUENCY_LIMIT_APPROACHING": "warn",
    "INTERVAL_TOO_SHORT": "block",
    "LEVELS_EXCEEDED": "block",
    "NOT_COVERED": "block",
    "PREREQUISITE_NOT_MET": "block",
    "PRIOR_RESPONSE_INSUFFICIENT": "block",
    "PRIOR_RESPONSE_MISSING": "documentation",
    "STEP_THERAPY_INSUFFICIENT": "documentation",
    "PSYCH_CLEARANCE_MISSING": "documentation",
    "PSYCH_CLEARANCE_EXPIRED": "documentation",
    "PSYCH_NOT_CLEARED": "block",
    "PRIOR_AUTH_REQUIRED": "auth",
    "IMAGING_GUIDANCE_BUNDLED": "coding",
    "ADDON_WITHOUT_PRIMARY": "coding",
    "TRIGGER_POINT_CODE_MISMATCH": "coding",
    "BILATERAL_NOT_ALLOWED": "coding",
    "DELETED_CODE": "coding",
    "UNKNOWN_CODE": "coding",
    "SERVICE_STATE_UNKNOWN": "warn",
    "PRIOR_AUTH_EXEMPT": "warn",
    "DRUG_UNITS_MISMATCH": "coding",
    "DRUG_MODIFIER_MISSING": "coding",
    "DRUG_MODIFIER_CONFLICT": "coding",
}

VERDICTS = ("blocked", "needs_documentation", "needs_auth", "ok")

REGION_WORDS = {"cervical_thoracic": "cervical/thoracic", "lumbar_sacral": "lumbar/sacral",
                "sacroiliac": "sacroiliac", None: ""}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    message: str
    policy: str
    source: str

    @property
    def severity(self) -> str:
        return SEVERITY[self.code]

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "policy": self.policy, "source": self.source}


@dataclass(frozen=True, slots=True)
class Counter:
    """How many sessions of a group in a region the window already holds, against its limit."""

    family: str
    region: str | None
    window: Window
    used: int
    limit: int
    policy: str
    intent: str | None = None

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"family": self.family, "region": self.region,
                                  "window": self.window.as_json(), "used": self.used,
                                  "limit": self.limit, "policy": self.policy}
        if self.intent:
            out["intent"] = self.intent
        return out


@dataclass(frozen=True)
class Result:
    verdict: str
    prior_auth_required: bool
    coding_ok: bool
    procedures: tuple[dict[str, object], ...]
    counters: tuple[Counter, ...]
    next_eligible_date: date | None
    findings: tuple[Finding, ...]
    payer: str = ""
    scheduled_date: date | None = None
    rules_applied: tuple[str, ...] = field(default=())

    @property
    def finding_codes(self) -> frozenset[str]:
        return frozenset(f.code for f in self.findings)

    def as_json(self) -> dict[str, object]:
        return {
            "verdict": self.verdict,
            "prior_auth_required": self.prior_auth_required,
            "coding_ok": self.coding_ok,
            "payer": self.payer,
            "scheduled_date": self.scheduled_date.isoformat() if self.scheduled_date else None,
            "procedures": [dict(p) for p in self.procedures],
            "counters": [c.as_json() for c in self.counters],
            "next_eligible_date": (self.next_eligible_date.isoformat()
                                   if self.next_eligible_date else None),
            "findings": [f.as_json() for f in self.findings],
        }


def verdict_of(findings: tuple[Finding, ...] | list[Finding], prior_auth_required: bool) -> str:
    """blocked > needs_documentation > needs_auth > ok; warn and coding never change it."""
    severities = {f.severity for f in findings}
    if "block" in severities:
        return "blocked"
    if "documentation" in severities:
        return "needs_documentation"
    if prior_auth_required:
        return "needs_auth"
    return "ok"
