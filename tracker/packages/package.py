"""What an authorization package holds (REFERENCE.md §7), as plain frozen dataclasses.

Assembled from the store by `assembly`, judged by `completeness`, and rendered by `pas_bundle`
(a Da Vinci PAS request bundle) and `packet` (the PDF a payer reviewer reads). Nothing here
touches the database or the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from tracker.codes.diagnoses import Diagnosis
from tracker.packages.attachments import AttachedDocument
from tracker.packages.evidence import EVIDENCE_KINDS

LATERALITY: dict[str, str] = {"50": "bilateral", "RT": "right", "LT": "left"}
FAMILY_NAMES: dict[str, str] = {
    "esi_interlaminar": "interlaminar epidural steroid injection",
    "esi_transforaminal": "transforaminal epidural steroid injection",
    "esi_catheter": "epidural catheter injection",
    "facet_injection": "facet joint / medial branch block",
    "facet_rfa": "facet radiofrequency ablation",
    "si_injection": "sacroiliac joint injection",
    "si_rfa": "sacroiliac radiofrequency ablation",
    "trigger_point": "trigger point injection",
    "scs": "spinal cord stimulator",
    "scs_programming": "stimulator programming",
}
CARE_OUTCOME_NAMES: dict[str, str] = {"no_relief": "no relief", "partial": "partial improvement",
                                      "good": "good relief"}
REGION_NAMES: dict[str | None, str] = {
    "cervical_thoracic": "cervical/thoracic", "lumbar_sacral": "lumbar/sacral",
    "sacroiliac": "sacroiliac", None: "",
}


@dataclass(frozen=True, slots=True)
class Patient:
    mrn: str
    family_name: str
    given_name: str
    birth_date: date

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True, slots=True)
class Coverage:
    payer: str  # the payer policy id, e.g. unitedhealthcare
    payer_name: str
    member_id: str
    rank: str


@dataclass(frozen=True, slots=True)
class Provider:
    npi: str
    name: str


@dataclass(frozen=True, slots=True)
class Practice:
    """The practice as payers know it: the letterhead and the PAS requestor."""

    name: str
    address: str = ""
    phone: str = ""
    fax: str = ""
    tax_id: str = ""
    npi: str = ""


@dataclass(frozen=True, slots=True)
class Facility:
    """Where the procedure is performed, as payers know the place: its name, address and NPI."""

    name: str
    address: str
    place_of_service: str
    npi: str | None = None
    state: str | None = None


@dataclass(frozen=True, slots=True)
class Requirement:
    """One thing the payer's policy asks of this request, beside its rule and source, and what
    the record holds for it."""

    rule_id: str
    asks: str  # the rule in a billing lead's words
    source: str  # the published source, e.g. "LCD L39240 ... [A]"
    on_file: tuple[str, ...]  # the evidence that answers it, as the reviewer reads it
    met: bool


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """One requested code line: a CPT/HCPCS code with its units and modifiers; a drug line also
    says the dose, the amount discarded, its container and its NDC."""

    code: str
    description: str
    units: int
    modifiers: tuple[str, ...]
    family: str | None = None  # the catalog family, None for a code outside the catalog
    dose_mg: float | None = None
    wasted_mg: float | None = None
    container: str | None = None
    ndc: str | None = None
    levels: tuple[str, ...] = ()  # spinal levels, e.g. ("L4-L5", "L5-S1")

    @property
    def levels_text(self) -> str:
        return ", ".join(self.levels)

    @property
    def ndc_text(self) -> str:
        """The NDC in its printed 5-4-2 form."""
        n = self.ndc or ""
        return f"{n[:5]}-{n[5:9]}-{n[9:]}" if len(n) == 11 else n

    @property
    def drug_text(self) -> str:
        """`40 mg given, 10 mg discarded, single-dose vial`, or empty for a procedure line."""
        parts = []
        if self.dose_mg is not None:
            parts.append(f"{self.dose_mg:g} mg given")
        if self.wasted_mg:
            parts.append(f"{self.wasted_mg:g} mg discarded")
        if self.container:
            parts.append(self.container.replace("_", "-") + " container")
        return ", ".join(parts)

    @property
    def laterality(self) -> str | None:
        """Bilateral, right or left, as the modifiers say (50, RT, LT)."""
        return next((LATERALITY[m] for m in self.modifiers if m in LATERALITY), None)


@dataclass(frozen=True, slots=True)
class RequestedProcedure:
    """A procedure the lines add up to, e.g. a 2-level lumbar/sacral transforaminal ESI."""

    family: str
    region: str | None
    intent: str | None
    levels: int | None
    codes: tuple[str, ...]

    @property
    def region_name(self) -> str:
        return REGION_NAMES.get(self.region, self.region or "")

    @property
    def name(self) -> str:
        return describe(self.family, self.region, self.intent)


@dataclass(frozen=True, slots=True)
class CareEpisode:
    """A span of conservative therapy: physical therapy, medication, home exercise..."""

    kind: str
    start: date
    end: date
    outcome: str | None = None  # no_relief | partial | good
    drugs: str | None = None  # for medication: what was taken
    visits: int | None = None  # for therapy: how many visits

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def kind_name(self) -> str:
        return self.kind.replace("_", " ")

    def details(self) -> tuple[tuple[str, str], ...]:
        """The detail on file, by name, as the PAS bundle carries it."""
        found = (("outcome", self.outcome), ("drugs", self.drugs),
                 ("visits", None if self.visits is None else str(self.visits)))
        return tuple((name, value) for name, value in found if value)

    @property
    def outcome_text(self) -> str:
        return CARE_OUTCOME_NAMES.get(self.outcome or "", "outcome not recorded")

    @property
    def summary(self) -> str:
        """`physical therapy 2026-01-05 to 2026-02-16 (43 days), 12 visits, partial improvement`:
        the episode as a reviewer reads it."""
        what = self.kind_name + (f" ({self.drugs})" if self.drugs else "")
        parts = [f"{what} {self.start.isoformat()} to {self.end.isoformat()} ({self.days} days)"]
        if self.visits is not None:
            parts.append(f"{self.visits} visit{'' if self.visits == 1 else 's'}")
        parts.append(self.outcome_text)
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class PriorTreatment:
    """A performed session in the region (or of the same kind) and how the patient responded."""

    date: date
    codes: tuple[str, ...]
    family: str
    region: str | None
    intent: str | None
    levels: int | None
    relief_percent: float | None
    duration_days: int | None
    scores: Scores | None = None  # pain and function before and after, if recorded

    @property
    def name(self) -> str:
        return describe(self.family, self.region, self.intent)

    @property
    def response(self) -> str:
        """`70 % relief for 120 days; pain 7/10 before, 2/10 after; ODI 48 before, 30 after`."""
        if self.relief_percent is None:
            text = "response not recorded"
        else:
            text = f"{self.relief_percent:g} % relief"
            if self.duration_days is not None:
                text += f" for {self.duration_days} day{'' if self.duration_days == 1 else 's'}"
        if self.scores is not None and self.scores.text:
            text += f"; {self.scores.text}"
        return text

    def details(self) -> tuple[tuple[str, str], ...]:
        return self.scores.details() if self.scores is not None else ()


@dataclass(frozen=True, slots=True)
class Scores:
    """Pain (0-10 numeric rating scale) and function (on a named scale, e.g. ODI) before and after
    a session: the response a reviewer weighs beside the % relief."""

    pain_before: int | None = None
    pain_after: int | None = None
    function_scale: str | None = None
    function_before: float | None = None
    function_after: float | None = None

    @property
    def pain_text(self) -> str:
        return _before_after("pain", self.pain_before, self.pain_after, "/10")

    @property
    def function_text(self) -> str:
        if self.function_scale is None:
            return ""
        return _before_after(self.function_scale, self.function_before, self.function_after, "")

    @property
    def text(self) -> str:
        return "; ".join(t for t in (self.pain_text, self.function_text) if t)

    def details(self) -> tuple[tuple[str, str], ...]:
        """The scores by name, as the PAS bundle carries them."""
        found = (("pain-before", self.pain_before), ("pain-after", self.pain_after),
                 ("function-scale", self.function_scale),
                 ("function-before", self.function_before),
                 ("function-after", self.function_after))
        return tuple((name, f"{value:g}" if isinstance(value, float) else str(value))
                     for name, value in found if value is not None)


def _before_after(name: str, before: float | None, after: float | None, unit: str) -> str:
    parts = [f"{value:g}{unit} {when}" for value, when in ((before, "before"), (after, "after"))
             if value is not None]
    return f"{name} {', '.join(parts)}" if parts else ""


@dataclass(frozen=True, slots=True)
class ImagingStudy:
    """An imaging study on file: when, what, where, and the radiologist's impression."""

    date: date
    modality: str
    region: str
    impression: str | None = None

    @property
    def summary(self) -> str:
        text = f"{self.modality} {self.region} {self.date.isoformat()}"
        return text + (f": {self.impression}" if self.impression else "")


@dataclass(frozen=True, slots=True)
class PsychEvaluation:
    date: date
    result: str
    evaluator: str | None = None  # the psychologist or psychiatrist who evaluated

    @property
    def summary(self) -> str:
        """`2026-09-01: cleared, by Dr. Pat Example, PhD`."""
        text = f"{self.date.isoformat()}: {self.result.replace('_', ' ')}"
        return text + (f", by {self.evaluator}" if self.evaluator else ", evaluator not recorded")


@dataclass(frozen=True, slots=True)
class Evidence:
    """One piece of evidence as a PAS bundle carries it (`Claim.supportingInfo`): a kind from
    `evidence.EVIDENCE_KINDS`, a sentence, and the dates or the percentage it is about."""

    kind: str
    text: str
    start: date | None = None
    end: date | None = None
    percent: float | None = None
    # the detail a reviewer needs of this kind (evidence.REQUIRED_DETAIL), by name
    details: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in EVIDENCE_KINDS:
            raise ValueError(f"unknown evidence kind {self.kind!r}")


@dataclass(frozen=True)
class AuthorizationPackage:
    authorization_id: int
    session_id: int
    status: str
    patient: Patient
    coverage: Coverage
    ordering_provider: Provider | None
    rendering_provider: Provider | None
    place_of_service: str
    requested_date: date
    lines: tuple[ServiceLine, ...]
    procedures: tuple[RequestedProcedure, ...]
    diagnoses: tuple[str, ...]
    conservative_care: tuple[CareEpisode, ...] = ()
    prior_treatments: tuple[PriorTreatment, ...] = ()
    diagnostic_blocks: tuple[PriorTreatment, ...] = ()
    psych_evaluations: tuple[PsychEvaluation, ...] = ()
    scs_trials: tuple[PriorTreatment, ...] = ()
    missing: tuple[str, ...] = field(default=())
    rfa_not_an_option: str | None = None  # why radiofrequency ablation is not an option
    practice: Practice | None = None
    diagnosis_details: tuple[Diagnosis, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    facility: Facility | None = None  # the location the session is performed at, if on file
    imaging: tuple[ImagingStudy, ...] = ()  # the studies on file before the requested date
    documents: tuple[AttachedDocument, ...] = ()  # uploaded clinical documents, oldest first

    @property
    def families(self) -> frozenset[str]:
        return frozenset(p.family for p in self.procedures)

    def has(self, family: str, intent: str | None = None) -> bool:
        return any(p.family == family and (intent is None or p.intent == intent)
                   for p in self.procedures)

    def evidence(self) -> tuple[Evidence, ...]:
        """Every piece of evidence, in the order a reviewer reads it."""
        found: list[Evidence] = []
        for care in self.conservative_care:
            found.append(Evidence("conservative-therapy", care.summary[:1].upper()
                                  + care.summary[1:], start=care.start, end=care.end,
                                  details=care.details()))
        for prior in self.prior_treatments:
            found.append(_treatment_evidence("prior-response", prior))
        for block in self.diagnostic_blocks:
            found.append(_treatment_evidence("diagnostic-blocks", block))
        for evaluation in self.psych_evaluations:
            found.append(Evidence(
                "psych-evaluation", f"Psychological evaluation on {evaluation.summary}",
                start=evaluation.date, details=(("evaluator", evaluation.evaluator),)
                if evaluation.evaluator else ()))
        for trial in self.scs_trials:
            found.append(_treatment_evidence("scs-trial", trial))
        for study in self.imaging:
            found.append(Evidence("imaging", f"Imaging: {study.summary}", start=study.date,
                                  details=tuple((name, value) for name, value in (
                                      ("modality", study.modality), ("region", study.region),
                                      ("impression", study.impression)) if value)))
        if self.rfa_not_an_option:
            found.append(Evidence("rfa-not-an-option", "Radiofrequency ablation is not an "
                                  f"option: {self.rfa_not_an_option}", start=self.requested_date))
        found.append(Evidence("treatment-plan", self.treatment_plan(),
                              start=self.requested_date))
        return tuple(found)

    def treatment_plan(self) -> str:
        parts = []
        for procedure in self.procedures:
            text = procedure.name
            if procedure.levels:
                text += f", {procedure.levels} level{'s' if procedure.levels > 1 else ''}"
            parts.append(text)
        lateral = sorted({line.laterality for line in self.lines if line.laterality})
        plan = "; ".join(parts) or "the requested procedure"
        if lateral:
            plan += f" ({', '.join(lateral)})"
        return f"Planned {plan} on {self.requested_date.isoformat()}"


def describe(family: str, region: str | None, intent: str | None) -> str:
    """`therapeutic lumbar/sacral facet radiofrequency ablation`: how a reviewer reads it."""
    words = (intent or "", REGION_NAMES.get(region, region or ""),
             FAMILY_NAMES.get(family, family.replace("_", " ")))
    return " ".join(w for w in words if w)


def _treatment_evidence(kind: str, treatment: PriorTreatment) -> Evidence:
    return Evidence(kind, f"{treatment.name.capitalize()} on {treatment.date.isoformat()} "
                          f"({', '.join(treatment.codes)}): {treatment.response}",
                    start=treatment.date, percent=treatment.relief_percent,
                    details=treatment.details())
