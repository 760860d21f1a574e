"""How long after a denial each step may be taken, per payer.

The defaults (calendar days from the denial date) are the common ones: a peer-to-peer is
usually offered for 14 days; a first-level appeal (Medicare Advantage reconsideration: 65 days,
42 CFR 422.582; most commercial plans 60 to 180 days) is given the shorter 60; second level 60;
external review four months (120 days, 45 CFR 147.136). A practice sets a payer's own in
`PAINAUTH_PAYER_<ID>_APPEAL_DAYS`, e.g. `first_level=180,peer_to_peer=7` (unnamed steps keep
the default). See docs/work-queue.md.
"""

from __future__ import annotations

import os

from tracker.errors import InputError

STEP_WORDS: dict[str, str] = {
    "peer_to_peer": "peer-to-peer",
    "first_level": "first-level appeal",
    "second_level": "second-level appeal",
    "external_review": "external review",
}
DEFAULT_DAYS: dict[str, int] = {
    "peer_to_peer": 14, "first_level": 60, "second_level": 60, "external_review": 120,
}


def appeal_windows(payer: str) -> dict[str, int]:
    """Days after the denial for each step with `payer`: the defaults, overridden by the
    environment setting; InputError naming the setting when it cannot be read."""
    name = f"PAINAUTH_PAYER_{payer.upper().replace('-', '_')}_APPEAL_DAYS"
    text = os.environ.get(name, "").strip()
    windows = dict(DEFAULT_DAYS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        step, _, days = part.partition("=")
        step = step.strip()
        if step not in STEP_WORDS or not days.strip().isdigit() or int(days) < 1:
            raise InputError(name, f"{part!r} is not step=days; write e.g. first_level=180 with "
                             "steps " + ", ".join(STEP_WORDS))
        windows[step] = int(days)
    return windows
