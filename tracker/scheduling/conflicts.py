"""Schedules come from exactly one place: the embedded scheduler refuses to start while a Prefect
server (PREFECT_API_URL) already schedules the same deployments."""

from __future__ import annotations

import os

from tracker.errors import PainauthError
from tracker.scheduling.deployments import Deployment


class ScheduledElsewhere(PainauthError):
    """The Prefect server already runs these deployments on a schedule."""


def deployments_scheduled_by_prefect(deployments: list[Deployment]) -> list[str]:
    """Names of our deployments with an active schedule on the configured Prefect server
    (none when no server is configured)."""
    if not os.environ.get("PREFECT_API_URL"):
        return []
    from prefect.client.orchestration import get_client

    names = {d.name for d in deployments}
    with get_client(sync_client=True) as client:
        return sorted(
            deployment.name for deployment in client.read_deployments()
            if deployment.name in names and not deployment.paused
            and any(schedule.active for schedule in deployment.schedules))


def refuse_double_scheduling(deployments: list[Deployment]) -> None:
    scheduled = deployments_scheduled_by_prefect(deployments)
    if scheduled:
        raise ScheduledElsewhere(
            f"the Prefect server at {os.environ['PREFECT_API_URL']} already schedules "
            f"{', '.join(scheduled)}; run `painauth serve --no-scheduler` (the workers run the "
            "flows), or pause those deployments' schedules to use the embedded scheduler")
