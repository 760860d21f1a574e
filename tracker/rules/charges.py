"""Charge capture, pure: what a performed session documented but did not bill.

Given the session's billed lines, what its procedure note documents (the imaging guidance used,
the drugs given and discarded, the trigger-point muscles injected) and the catalog, list each
charge the claim would miss. No I/O; tracker.money.capture prices the misses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracker.codes import Catalog
from tracker.rules.session import CodeLine

GUIDANCE_MODALITIES: tuple[str, ...] = ("fluoroscopy", "ct", "ultrasound", "none")
# The guidance line each documented modality is billed with, where it is billable at all.
GUIDANCE_CODES: dict[str, str] = {"fluoroscopy": "77003", "ct": "77012", "ultrasound": "76942"}


@dataclass(frozen=True)
class DrugGiven:
    """A drug the procedure note says was given: its HCPCS code, the dose and any discarded."""

    code: str
    dose_mg: float
    wasted_mg: float = 0.0


@dataclass(frozen=True)
class Documentation:
    """What was done, as the procedure note documents it."""

    guidance: str | None = None  # one of GUIDANCE_MODALITIES; None: not documented
    drugs: tuple[DrugGiven, ...] = ()
    muscles: int | None = None


@dataclass(frozen=True)
class Miss:
    kind: str  # guidance_not_billed, drug_not_billed, trigger_point_muscles, waste_not_billed
    code: str  # the line to add, or the code to bill instead
    units: int
    message: str
    instead_of: str | None = None  # the billed code the right one replaces (trigger points)


def missed_lines(lines: Sequence[CodeLine], documentation: Documentation,
                 catalog: Catalog) -> list[Miss]:
    """Every charge the documentation supports that the lines do not carry, in a stable order."""
    raise NotImplementedError
