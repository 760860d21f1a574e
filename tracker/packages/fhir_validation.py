"""Base FHIR validation of a bundle with the `fhir.resources` R4B models.

R4B shares R4's Claim, Coverage, Patient and Bundle, which is what PAS 2.2.1 (FHIR 4.0.1) builds
on. The models check element names, types and base cardinalities; the PAS profiles' own rules are
`pas_rules`.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def r4b_problems(bundle: dict[str, Any]) -> list[str]:
    """Every base-FHIR error in `bundle`, one line each (`path: message`); empty when valid."""
    from fhir.resources.R4B.bundle import Bundle  # heavy: imported only when validating

    try:
        Bundle.model_validate(bundle)
    except ValidationError as error:
        return [f"{'.'.join(str(part) for part in e['loc']) or 'Bundle'}: {e['msg']}"
                for e in error.errors()]
    return []
