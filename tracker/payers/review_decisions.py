"""The payer's decision on each line, from the X12 review action code (element 306, HCR01) that
PAS carries in `reviewAction`, and how the lines' decisions roll up into one for the request.

Codes and names: X12 005010X217 (278 response) HCR01, as bound by PAS `extension-reviewActionCode`
(https://valueset.x12.org/x217/005010/response/2000F/HCR/1/01/00/306).
"""

from __future__ import annotations

from collections.abc import Iterable

APPROVED = "approved"
PARTIAL = "partial"
DENIED = "denied"
PENDED = "pended"
MODIFIED = "modified"
CANCELLED = "cancelled"
CONTACT_PAYER = "contact_payer"
NO_ACTION_REQUIRED = "no_action_required"
UNKNOWN = "unknown"
ERROR = "error"

# code -> (decision, the X12 name of the code)
REVIEW_ACTIONS: dict[str, tuple[str, str]] = {
    "A1": (APPROVED, "Certified in total"),
    "A2": (PARTIAL, "Certified - partial"),
    "A3": (DENIED, "Not certified"),
    "A4": (PENDED, "Pended"),
    "A6": (MODIFIED, "Modified"),
    "C": (CANCELLED, "Cancelled"),
    "CT": (CONTACT_PAYER, "Contact payer"),
    "NA": (NO_ACTION_REQUIRED, "No action required"),
}

# Decisions under which the service may go ahead (no authorization needed counts as going ahead).
GRANTED = frozenset({APPROVED, PARTIAL, MODIFIED, NO_ACTION_REQUIRED})


def decision_for(code: str) -> str:
    """`A1` -> `approved`; a code outside HCR01 -> `unknown`."""
    entry = REVIEW_ACTIONS.get(code.strip().upper())
    return entry[0] if entry else UNKNOWN


def review_action_name(code: str) -> str | None:
    entry = REVIEW_ACTIONS.get(code.strip().upper())
    return entry[1] if entry else None


def overall_status(line_decisions: Iterable[str | None]) -> str:
    """One decision for the request from its lines' decisions (None: the line carries none).

    All lines alike -> that decision. Something granted and something not -> partial (approved and
    modified lines only -> modified). Nothing granted -> contact_payer if any line says so, else
    pended while any line is pended (the request is still open), else denied. Cancelled lines are
    void and count only when every line is cancelled. No readable decision at all -> unknown.
    """
    decided = [d for d in line_decisions if d is not None and d != UNKNOWN]
    if not decided:
        return UNKNOWN
    live = {d for d in decided if d != CANCELLED} or {CANCELLED}
    if len(live) == 1:
        return next(iter(live))
    if live & GRANTED:
        if live <= {APPROVED, NO_ACTION_REQUIRED}:
            return APPROVED
        if live <= {APPROVED, MODIFIED, NO_ACTION_REQUIRED}:
            return MODIFIED
        return PARTIAL
    if CONTACT_PAYER in live:
        return CONTACT_PAYER
    if PENDED in live:
        return PENDED
    return DENIED
