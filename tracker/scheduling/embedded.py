"""The scheduler `painauth serve` runs in-process: the cadences of `prefect.yaml`, triggering the
same flow functions the Prefect deployments run.

Misfires: a run missed by up to `MISFIRE_GRACE_SECONDS` (the machine was busy or asleep) still
runs; several missed runs of one flow coalesce into one; a flow never overlaps itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tracker.scheduling.deployments import Cadence, Deployment

MISFIRE_GRACE_SECONDS = 15 * 60
log = logging.getLogger("painauth.scheduler")
_running: dict[str, threading.Lock] = {}


def trigger_for(cadence: Cadence) -> BaseTrigger:
    if cadence.cron:
        return CronTrigger.from_crontab(cadence.cron, timezone=cadence.timezone)
    assert cadence.interval is not None
    return IntervalTrigger(seconds=cadence.interval.total_seconds(), timezone=cadence.timezone)


def run_deployment(deployment: Deployment) -> None:
    """Run the deployment's flow in this process with its parameters; failures are logged, and
    (with PREFECT_API_URL set) recorded in Prefect like any other flow run."""
    guard = _running.setdefault(deployment.name, threading.Lock())
    if not guard.acquire(blocking=False):
        log.warning("%s is still running; this run is skipped", deployment.name)
        return
    try:
        log.info("running %s", deployment.name)
        deployment.flow()(**deployment.parameters)
    except Exception:
        log.exception("flow run of %s failed", deployment.name)
    finally:
        guard.release()


def build_scheduler(deployments: list[Deployment],
                    run: Callable[[Deployment], Any] = run_deployment) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS})
    for deployment in deployments:
        for index, cadence in enumerate(deployment.cadences):
            scheduler.add_job(run, trigger_for(cadence), args=[deployment],
                              id=f"{deployment.name}#{index}", name=deployment.name,
                              replace_existing=True)
    return scheduler
