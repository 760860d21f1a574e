"""ICD-10-CM diagnosis codes: the shape a code must have, written the way claims write it.

Only the shape is checked (a letter, a digit, a letter or digit, then up to four more after a
dot, e.g. M54.16 or M47.816); whether the code exists in this year's code set is the payer's check.
"""

from __future__ import annotations

import re

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
