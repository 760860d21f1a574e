"""Documents attached to an authorization package: the kinds staff may upload, how a reviewer
reads each, and how a PAS request names it (the X12 PWK01 report type of the Claim's
additionalInformation slice, the LOINC document type of its DocumentReference).

Payer correspondence (the payer's own denial letter, the practice's appeal letter) is kept with
the authorization but is not clinical evidence: it is listed on the board and never sent in the
request or printed in the packet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

# kind -> what staff and the reviewer read
DOCUMENT_KINDS: dict[str, str] = {
    "office_note": "Office note",
    "imaging_report": "Imaging report (MRI, CT, X-ray)",
    "therapy_notes": "Physical therapy notes",
    "procedure_note": "Procedure note",
    "psych_evaluation": "Psychological evaluation letter",
    "other_clinical": "Other clinical document",
    "denial_letter": "Payer's denial letter",
    "appeal_letter": "Appeal letter",
}
PAYER_CORRESPONDENCE: frozenset[str] = frozenset({"denial_letter", "appeal_letter"})
CONTENT_TYPES: dict[str, str] = {"application/pdf": "PDF", "image/png": "PNG",
                                 "image/jpeg": "JPEG"}

# X12 PWK01 attachment report type (PAS documentInformation.reportTypeCode)
REPORT_TYPES: dict[str, tuple[str, str]] = {
    "office_note": ("09", "Progress Report"),
    "imaging_report": ("RR", "Radiology Reports"),
    "therapy_notes": ("PN", "Physical Therapy Notes"),
    "procedure_note": ("OB", "Operative Note"),
    "psych_evaluation": ("M1", "Medical Record Attachment"),
    "other_clinical": ("M1", "Medical Record Attachment"),
}
# LOINC document type (DocumentReference.type)
LOINC_TYPES: dict[str, tuple[str, str]] = {
    "office_note": ("11506-3", "Progress note"),
    "imaging_report": ("18748-4", "Diagnostic imaging study"),
    "therapy_notes": ("11506-3", "Progress note"),
    "procedure_note": ("28570-0", "Procedure note"),
    "psych_evaluation": ("11488-4", "Consult note"),
    "other_clinical": ("34109-9", "Note"),
}


@dataclass(frozen=True, slots=True)
class AttachedDocument:
    """An uploaded document in force (not withdrawn) for the package: what the packet lists and
    the PAS bundle carries. Its bytes stay in the store (`stored_name`) until a bundle is built."""

    id: int
    kind: str
    date: date
    title: str
    content_type: str
    size_bytes: int
    sha256: str
    stored_name: str
    uploaded_at: datetime
    pages: int | None = None

    @property
    def kind_name(self) -> str:
        return DOCUMENT_KINDS.get(self.kind, self.kind.replace("_", " "))

    @property
    def format_name(self) -> str:
        return CONTENT_TYPES.get(self.content_type, self.content_type)

    @property
    def in_request(self) -> bool:
        return self.kind not in PAYER_CORRESPONDENCE
