"""The deployments of `prefect.yaml`, read as data: which flow, with what parameters, when.

`prefect deploy --all` turns the file into Prefect deployments; the embedded scheduler of
`painauth serve` reads the same file, so the cadences are written down once.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from tracker.errors import PainauthError

DEFAULT_FILE = Path(__file__).resolve().parents[2] / "prefect.yaml"


class DeploymentFileError(PainauthError):
    """`prefect.yaml` is missing or does not describe deployments painauth can schedule."""


@dataclass(frozen=True)
class Cadence:
    """A cron expression or an interval, in a time zone."""

    cron: str | None = None
    interval: timedelta | None = None
    timezone: str = "UTC"

    def describe(self) -> str:
        every = f"cron '{self.cron}'" if self.cron else f"every {self.interval}"
        return f"{every} ({self.timezone})"


@dataclass(frozen=True)
class Deployment:
    name: str
    entrypoint: str  # path/to/file.py:flow_function
    parameters: dict[str, Any] = field(default_factory=dict)
    cadences: tuple[Cadence, ...] = ()
    tags: tuple[str, ...] = ()

    def flow(self) -> Any:
        """The flow object named by the entrypoint (`flows/x.py:f` is the module `flows.x`)."""
        path, _, function = self.entrypoint.partition(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        return getattr(module, function)


def deployments_file() -> Path:
    """`PAINAUTH_PREFECT_YAML` when set, else the repository's `prefect.yaml`."""
    configured = os.environ.get("PAINAUTH_PREFECT_YAML")
    return Path(configured) if configured else DEFAULT_FILE


def _cadence(raw: Any, where: str) -> Cadence:
    if not isinstance(raw, dict):
        raise DeploymentFileError(f"{where}: a schedule must be a mapping with cron or interval")
    timezone = str(raw.get("timezone") or "UTC")
    if raw.get("cron"):
        return Cadence(cron=str(raw["cron"]), timezone=timezone)
    interval = raw.get("interval")
    if isinstance(interval, int | float) and not isinstance(interval, bool) and interval > 0:
        return Cadence(interval=timedelta(seconds=interval), timezone=timezone)
    raise DeploymentFileError(f"{where}: give cron (e.g. '5 * * * *') or interval in seconds")


def load_deployments(path: Path | None = None) -> list[Deployment]:
    """Every deployment in the file, with its active schedules."""
    path = path or deployments_file()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise DeploymentFileError(f"cannot read {path}: {err.strerror or err}") from None
    except yaml.YAMLError:
        raise DeploymentFileError(f"{path} is not valid YAML") from None
    entries = (raw or {}).get("deployments") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        raise DeploymentFileError(f"{path}: no deployments list")
    deployments = []
    for index, entry in enumerate(entries):
        where = f"{path}: deployments[{index}]"
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("entrypoint"):
            raise DeploymentFileError(f"{where}: each deployment needs a name and an entrypoint")
        schedules = entry.get("schedules") or ([entry["schedule"]] if entry.get("schedule") else [])
        cadences = tuple(_cadence(s, f"{where}.schedules[{i}]") for i, s in enumerate(schedules)
                         if not (isinstance(s, dict) and s.get("active") is False))
        deployments.append(Deployment(name=str(entry["name"]), entrypoint=str(entry["entrypoint"]),
                                      parameters=dict(entry.get("parameters") or {}),
                                      cadences=cadences, tags=tuple(entry.get("tags") or ())))
    return deployments
