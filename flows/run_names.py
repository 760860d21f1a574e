"""Readable flow-run names for the Prefect UI: the flow and the day it works for."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date


def dated(flow_name: str) -> Callable[[], str]:
    """`pre-visit-check 2026-12-01`: the run's `as_of` parameter, or today."""

    def name() -> str:
        from prefect.runtime import flow_run

        as_of = (flow_run.parameters or {}).get("as_of") or date.today()
        return f"{flow_name} {as_of}"

    return name
