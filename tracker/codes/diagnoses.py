"""ICD-10-CM diagnosis codes: the shape a code must have, written the way claims write it.

Import checks only the shape (a letter, a digit, a letter or digit, then up to four more after a
dot, e.g. M54.16 or M47.816). What a code means, and whether a claim may carry it, comes from the
ICD-10-CM code set itself (`describe_diagnosis`), for the packet and the completeness check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"

_SHAPE = re.compile(r"([A-Z]\d[0-9A-Z])(?:\.?([0-9A-Z]{1,4}))?")


def normalize_diagnosis(text: str) -> str:
    """`m5416` or `M54.16` -> `M54.16`; raises ValueError when `text` is not ICD-10-CM shaped."""
    value = text.strip().upper()
    match = _SHAPE.fullmatch(value)
    if match is None or (value.endswith(".")):
        raise ValueError(f"{text!r} is not an ICD-10-CM code (a letter, a digit, a letter or digit, "
                         "then up to four more after a dot, e.g. M54.16)")
    category, rest = match.groups()
    return f"{category}.{rest}" if rest else category


def is_diagnosis(text: str) -> bool:
    try:
        normalize_diagnosis(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """A diagnosis as a reviewer reads it: the code, its ICD-10-CM description, and whether a
    claim may carry it (only the most specific codes are billable; M54.5 was split in 2021)."""

    code: str
    description: str | None  # None: not in the ICD-10-CM code set this release ships
    billable: bool

    @property
    def text(self) -> str:
        return f"{self.code} {self.description}" if self.description else self.code


def describe_diagnosis(code: str) -> Diagnosis:
    """The code's description and billability from the ICD-10-CM code set (simple-icd-10-cm,
    loaded on first use: it reads the whole code set, about a second)."""
    import simple_icd_10_cm as code_set

    if not code_set.is_valid_item(code):
        return Diagnosis(code=code, description=None, billable=False)
    return Diagnosis(code=code, description=code_set.get_description(code),
                     billable=bool(code_set.is_leaf(code)))
