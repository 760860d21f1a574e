"""Is a package complete enough to submit? The payer policy's view and the package's own needs.

The engine says what the payer's policy demands: documentation findings are evidence the payer
wants and the record lacks; block findings mean the visit cannot be authorized as booked; coding
findings get a claim denied whatever the evidence, so they are resolved before `ready`. On top
of that a package needs what every request carries: a diagnosis, a provider's NPI, and the
evidence payers ask for the procedure (blocks before an ablation, a psychological evaluation
before a stimulator, the trial before a permanent implant, the response to the last injection),
and what the payer's rules ask it to say (`package_documents`). No store, no network.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.packages.evidence import DETAIL_NAMES, REQUIRED_DETAIL, REQUIRED_EVIDENCE
from tracker.packages.package import AuthorizationPackage
from tracker.rules.findings import Result
from tracker.rules.policy import PACKAGE_DOCUMENTS, Prerequisite
from tracker.rules.policy_files import policies_in_force

# Engine finding codes that already speak of what a package need below would say.
_COVERED_BY: dict[str, frozenset[str]] = {
    "PRIOR_RESPONSE_NOT_RECORDED": frozenset({"PRIOR_RESPONSE_MISSING",
                                              "PRIOR_RESPONSE_INSUFFICIENT"}),
    "PSYCH_EVALUATION_MISSING": frozenset({"PSYCH_CLEARANCE_MISSING", "PSYCH_CLEARANCE_EXPIRED",
                                           "PSYCH_NOT_CLEARED"}),
    "DIAGNOSTIC_BLOCKS_MISSING": frozenset({"PREREQUISITE_NOT_MET"}),
    "SCS_TRIAL_MISSING": frozenset({"PREREQUISITE_NOT_MET"}),
    "CONSERVATIVE_CARE_MISSING": frozenset({"STEP_THERAPY_INSUFFICIENT"}),
}


@dataclass(frozen=True, slots=True)
class MissingItem:
    """Something standing between the package and `ready`."""

    code: str
    kind: str  # documentation | block | coding | package
    message: str

    def as_text(self) -> str:
        if self.kind == "coding":
            return f"{self.code}: {self.message} (fix the coding before submitting)"
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class Completeness:
    missing: tuple[MissingItem, ...]

    @property
    def ready(self) -> bool:
        return not self.missing

    @property
    def status(self) -> str:
        return "ready" if self.ready else "documentation_missing"

    def as_texts(self) -> list[str]:
        return [item.as_text() for item in self.missing]


def check_completeness(package: AuthorizationPackage, result: Result) -> Completeness:
    """What the payer's policy (through the engine's `result`) and the package itself still need."""
    missing = [MissingItem(f.code, f.severity, f.message) for f in result.findings
               if f.severity in ("block", "documentation", "coding")]
    engine_codes = {f.code for f in result.findings}
    for need in package_needs(package) + documents_needed(package):
        if engine_codes.isdisjoint(_COVERED_BY.get(need.code, frozenset())):
            missing.append(need)
    order = {"block": 0, "coding": 1, "documentation": 2, "package": 3}
    return Completeness(tuple(sorted(missing, key=lambda m: (order[m.kind], m.code, m.message))))


def package_needs(package: AuthorizationPackage) -> list[MissingItem]:
    """What every request for this procedure carries, whatever the payer's policy says."""
    needs: list[MissingItem] = []
    if not package.diagnoses:
        needs.append(MissingItem("DIAGNOSIS_MISSING", "package",
                                 "no ICD-10-CM diagnosis on the session; add the diagnoses "
                                 "column to the schedule export (e.g. M54.16;M47.816)"))
    for diagnosis in package.diagnosis_details:
        if diagnosis.description is None:
            needs.append(MissingItem("DIAGNOSIS_UNKNOWN", "package",
                                     f"{diagnosis.code} is not an ICD-10-CM code; correct it on "
                                     "the session"))
        elif not diagnosis.billable:
            needs.append(MissingItem("DIAGNOSIS_NOT_BILLABLE", "package",
                                     f"{diagnosis.code} ({diagnosis.description}) is a category, "
                                     "not a billable code; record the specific code under it"))
    if package.rendering_provider is None:
        needs.append(MissingItem("PROVIDER_MISSING", "package",
                                 "no provider (NPI) on the session; fill provider_npi"))
    if not package.lines:
        needs.append(MissingItem("CODES_MISSING", "package", "the session has no code lines"))
    unrecorded = [t for t in package.prior_treatments
                  if t.relief_percent is None and _same_kind_as_requested(package, t.family)]
    if unrecorded:
        latest = unrecorded[-1]
        needs.append(MissingItem("PRIOR_RESPONSE_NOT_RECORDED", "package",
                                 f"record the relief after the {latest.family.replace('_', ' ')} "
                                 f"of {latest.date.isoformat()}"))
    asked = {kind for family in package.families for kind in REQUIRED_EVIDENCE.get(family, ())}
    if "conservative-therapy" in asked and not package.conservative_care:
        needs.append(MissingItem("CONSERVATIVE_CARE_MISSING", "package",
                                 "no conservative care (physical therapy, medication, home "
                                 "exercise...) on file in the 12 months before the visit; payers "
                                 "ask for its modality, dates and outcome"))
    elif "conservative-therapy" in asked:
        needs += _care_detail_missing(package)
    if (package.has("facet_rfa") or package.has("si_rfa")) and not any(
            b.relief_percent is not None for b in package.diagnostic_blocks):
        needs.append(MissingItem("DIAGNOSTIC_BLOCKS_MISSING", "package",
                                 "no diagnostic block with recorded relief in the region before "
                                 "the radiofrequency ablation"))
    if package.has("scs") and not any(e.result == "cleared" for e in package.psych_evaluations):
        needs.append(MissingItem("PSYCH_EVALUATION_MISSING", "package",
                                 "no psychological evaluation clearing the patient for a spinal "
                                 "cord stimulator"))
    if package.has("scs", "permanent") and not any(
            t.relief_percent is not None for t in package.scs_trials):
        needs.append(MissingItem("SCS_TRIAL_MISSING", "package",
                                 "no stimulator trial with recorded relief before the permanent "
                                 "implant"))
    return needs


def _care_detail_missing(package: AuthorizationPackage) -> list[MissingItem]:
    """Episodes of conservative care without the detail the payer's reviewer reads."""
    needs = []
    for care in package.conservative_care:
        lacking = [name for name in REQUIRED_DETAIL["conservative-therapy"]
                   if name not in dict(care.details())]
        if lacking:
            needs.append(MissingItem(
                "CONSERVATIVE_CARE_DETAIL_MISSING", "package",
                f"the {care.kind_name} of {care.start.isoformat()} to {care.end.isoformat()} has "
                f"no {', '.join(DETAIL_NAMES.get(n, n) for n in lacking)}; fill the "
                f"{', '.join(lacking)} column of the conservative_care export"))
    return needs


def documents_needed(package: AuthorizationPackage) -> list[MissingItem]:
    """What the payer's rules ask the package to say beyond the evidence (e.g. Medicare: why
    RFA is not an option, with a therapeutic facet injection), when the session lacks it."""
    policy = policies_in_force().get(package.coverage.payer)
    wanted: dict[str, str] = {}
    for rule in policy.in_force(package.requested_date) if policy else ():
        if isinstance(rule, Prerequisite) and any(
                rule.applies.matches(p.family, p.intent, frozenset(p.codes))
                for p in package.procedures):
            for name in rule.package_documents:
                wanted.setdefault(name, rule.id)
    needs = []
    if "rfa_not_an_option" in wanted and not package.rfa_not_an_option:
        needs.append(MissingItem("RFA_REASON_MISSING", "package",
                                 f"say {PACKAGE_DOCUMENTS['rfa_not_an_option']} "
                                 f"(rfa_not_an_option on the session; {wanted['rfa_not_an_option']})"))
    return needs


def _same_kind_as_requested(package: AuthorizationPackage, family: str) -> bool:
    return family in package.families
