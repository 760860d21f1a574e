"""Prefect on one machine, sized for a busy one.

With no PREFECT_API_URL, the first flow run of a process starts Prefect's own server in a
subprocess (its "ephemeral" mode) and waits for it to answer its health check — by default for 20
seconds, after which the run fails with "Timed out while attempting to connect to ephemeral
Prefect API server". On a machine whose cores are busy that start takes longer, so the demo,
`painauth serve` and the tests give it ten minutes: a slow start then costs time, never the run.

Prefect reads its settings once, when it is first imported: call `use_embedded_prefect()` before
anything imports prefect. A value the environment already holds is kept.
"""

from __future__ import annotations

import os
import sys

STARTUP_TIMEOUT_SECONDS = 600
DEFAULTS = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": str(STARTUP_TIMEOUT_SECONDS)}


def use_embedded_prefect() -> None:
    """Set the embedded defaults that the environment leaves unset. Must run before prefect is
    imported, since Prefect builds its settings at import."""
    if "prefect" in sys.modules:
        raise RuntimeError("use_embedded_prefect() must run before prefect is imported")
    for name, value in DEFAULTS.items():
        os.environ.setdefault(name, value)
