"""The sandbox payer's decision on each line of a PAS request, by its rules."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from tracker.codes.catalog import Catalog, load_catalog
from tracker.packages.evidence import EVIDENCE_KINDS
from tracker.payers.fhir_elements import number, objects, preferred_coding, text
from tracker.payers.sandbox.rules import LineRule, SandboxRules

APPROVED, PARTIAL, DENIED, PENDED, MODIFIED = "A1", "A2", "A3", "A4", "A6"
REASON_SYSTEM = "https://painauth.example.org/fhir/CodeSystem/sandbox-decision-reason"


@dataclass(frozen=True)
class LineDecision:
    sequence: int
    service: str | None
    service_system: str | None
    requested_quantity: float
    review_action: str  # X12 306 code
    authorized_quantity: float | None = None
    authorized_code: str | None = None
    reasons: tuple[tuple[str, str], ...] = ()  # (code, display)
    decide_at: float | None = None  # pended lines: when the review ends (sandbox clock)
    then: str | None = None  # pended lines: approve | deny

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LineDecision:
        data = dict(data)
        data["reasons"] = tuple(tuple(r) for r in data.get("reasons") or ())
        return cls(**data)


@dataclass
class Adjudicator:
    rules: SandboxRules
    catalog: Catalog = field(default_factory=load_catalog)

    def decide(self, claim: dict[str, Any], evidence: set[str], now: float) -> list[LineDecision]:
        return [self._line(item, evidence, now) for item in objects(claim.get("item"))]

    def _line(self, item: dict[str, Any], evidence: set[str], now: float) -> LineDecision:
        coding = preferred_coding(item.get("productOrService")) or {}
        code = text(coding.get("code"))
        quantity = number((item.get("quantity") or {}).get("value")) or 1
        sequence = item["sequence"] if isinstance(item.get("sequence"), int) else 0
        line = LineDecision(sequence=sequence, service=code, service_system=text(coding.get("system")),
                            requested_quantity=quantity, review_action=APPROVED,
                            authorized_quantity=quantity)
        rule = next((r for r in self.rules.lines if r.matches(code, self._families(code))), None)
        if rule is None:
            return line
        missing = [kind for kind in rule.requires if kind not in evidence]
        if missing:
            return replace(line, review_action=DENIED, authorized_quantity=None, reasons=tuple(
                ("evidence-missing", f"Missing: {EVIDENCE_KINDS[kind]}") for kind in missing))
        return _apply(rule, line, now)

    def _families(self, code: str | None) -> set[str]:
        procedure = self.catalog.get(code) if code else None
        if procedure is None:
            return set()
        groups = {name for name, members in self.catalog.groups.items() if procedure.family in members}
        return {procedure.family, *groups}


def _apply(rule: LineRule, line: LineDecision, now: float) -> LineDecision:
    if rule.decision == "deny":
        return replace(line, review_action=DENIED, authorized_quantity=None,
                       reasons=(("not-medically-necessary", rule.reason or "Not medically necessary "
                                 "under the payer's policy"),))
    if rule.decision == "pend":
        return replace(line, review_action=PENDED, authorized_quantity=None,
                       reasons=(("pended-for-review", rule.reason or "Pended for clinical review"),),
                       decide_at=now + rule.pend_seconds, then=rule.then)
    if rule.decision == "modify":
        return replace(line, review_action=MODIFIED, authorized_code=rule.authorized_code or line.service,
                       reasons=(("modified", rule.reason or "Approved as modified by the reviewer"),))
    if rule.decision == "partial" or (rule.max_units is not None
                                      and line.requested_quantity > rule.max_units):
        allowed = rule.max_units if rule.max_units is not None else max(1, int(line.requested_quantity) // 2)
        return replace(line, review_action=PARTIAL, authorized_quantity=allowed,
                       reasons=(("quantity-exceeded", rule.reason or f"Approved for {allowed} of "
                                 f"{line.requested_quantity:g} units requested"),))
    return line


def end_review(line: LineDecision, outcome: str | None = None) -> LineDecision:
    """A pended line once its review is over: approved in full or denied, as its rule said
    (or as `outcome` says, when the sandbox is told how to decide)."""
    if (outcome or line.then) == "deny":
        return replace(line, review_action=DENIED, decide_at=None, then=None,
                       reasons=(("not-medically-necessary",
                                 "Denied after clinical review: criteria not met"),))
    return replace(line, review_action=APPROVED, authorized_quantity=line.requested_quantity,
                   decide_at=None, then=None, reasons=())
