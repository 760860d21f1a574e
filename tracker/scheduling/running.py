"""Start and stop the embedded scheduler around `painauth serve`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from tracker.scheduling.conflicts import refuse_double_scheduling
from tracker.scheduling.deployments import load_deployments
from tracker.scheduling.embedded import build_scheduler
from tracker.scheduling.lock import SchedulerLock

log = logging.getLogger("painauth.scheduler")


@dataclass
class EmbeddedScheduler:
    scheduler: BackgroundScheduler
    lock: SchedulerLock

    def stop(self) -> None:
        """Let running flows finish, then let another process take over the schedules."""
        self.scheduler.shutdown(wait=True)
        self.lock.release()


def start_embedded_scheduler(engine: Engine) -> EmbeddedScheduler:
    """Take this database's scheduler lock and start the cadences of prefect.yaml.

    Raises SchedulerAlreadyRunning, ScheduledElsewhere or DeploymentFileError, each saying why.
    """
    deployments = load_deployments()
    lock = SchedulerLock(engine)
    lock.acquire()
    try:
        refuse_double_scheduling(deployments)
        scheduler = build_scheduler(deployments)
        scheduler.start()
    except BaseException:
        lock.release()
        raise
    logging.basicConfig(level=logging.INFO)
    for deployment in deployments:
        for cadence in deployment.cadences:
            print(f"scheduler: {deployment.name} {cadence.describe()}")
    return EmbeddedScheduler(scheduler=scheduler, lock=lock)
