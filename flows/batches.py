"""Batches of work as Prefect tasks on a Dask cluster: the flows' way beyond one process.

A flow whose task runner is `BatchTaskRunner` hands each batch (thousands of sessions, never one
task per appointment: see docs/operations.md, "Scale-out") to `each_batch`, which submits them
to the cluster and gathers their results in order. The cluster is the one at
`PAINAUTH_DASK_SCHEDULER`, or else a local one of `PAINAUTH_CHECK_WORKERS` processes started
when the first batch is submitted and stopped with the flow run. A run with a single batch runs
it in the flow's own process: a cluster would cost more to start than the batch takes. So does a
run that would start a local cluster for no more than `LOCAL_BATCHES_PER_WORKER` batches per
worker (or for one worker): starting and stopping one costs seconds (fresh interpreters that
import Prefect and painauth, then wait for each other to close: about 10 s on the 2-core machine
at load 8-10, bench/README.md), more than its workers save on a few batches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, cast

from prefect import Task
from prefect.client.schemas.objects import State
from prefect.context import FlowRunContext
from prefect.futures import wait
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.utilities.annotations import quote
from prefect_dask import DaskTaskRunner

from tracker.settings import load_settings

Part = TypeVar("Part")
# A local cluster only when each of its workers gets more batches than this (see above).
LOCAL_BATCHES_PER_WORKER = 2


class BatchFailed(RuntimeError):
    """Some batches of a run failed; the others' results are stored."""


def batch_task_runner() -> DaskTaskRunner:
    """The Dask task runner the settings ask for: the cluster at PAINAUTH_DASK_SCHEDULER, or a
    local cluster of worker processes (one thread each: the check is Python, bound by the GIL)
    listening on loopback only, its status pages on a free port (never a fixed one that two
    runs on the machine would contend for)."""
    settings = load_settings()
    if settings.dask_scheduler:
        return DaskTaskRunner(address=settings.dask_scheduler)
    return DaskTaskRunner(cluster_kwargs={
        "n_workers": settings.check_workers, "processes": True,
        "threads_per_worker": 1, "host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"})


class BatchTaskRunner(DaskTaskRunner):
    """A `DaskTaskRunner` configured from the settings when each flow run starts (Prefect
    duplicates a flow's task runner per run), not when the flow's module is imported."""

    def duplicate(self) -> DaskTaskRunner:  # type: ignore[override]
        return batch_task_runner()


def runs_in_process(batch_count: int) -> bool:
    """Whether a run of this many batches runs them in the flow's own process rather than on a
    cluster: one batch, or too few for a local cluster to pay for its start (see above)."""
    if batch_count <= 1:
        return True
    settings = load_settings()
    if settings.dask_scheduler:
        return False
    return (settings.check_workers == 1
            or batch_count <= LOCAL_BATCHES_PER_WORKER * settings.check_workers)


def each_batch(task: Task[..., Part], batches: Iterable[list[int]], *args: Any) -> list[Part]:
    """`task(batch, *args)` for every batch, on the flow's Dask cluster (or in this process, see
    `runs_in_process`); the results in the batches' order. Every batch runs to its end before a
    failure is raised, so one bad batch neither hides the others' results nor leaves them running
    when the cluster stops."""
    work = list(batches)
    if runs_in_process(len(work)):
        # quote(): Prefect would otherwise walk every patient id looking for upstream results.
        # Not on the cluster: prefect-dask hands a quoted argument to the task still wrapped.
        states = [cast(State[Part], task(quote(batch), *args, return_state=True))
                  for batch in work]
        _raise_failed(work, states)
        return [cast(Part, state.result()) for state in states]
    # Dask workers reach the Prefect API this flow run uses, even Prefect's ephemeral server,
    # which they would otherwise each start anew.
    context = FlowRunContext.get()
    api = PREFECT_API_URL.value() or (str(context.client.api_url) if context else "")
    with temporary_settings(updates={PREFECT_API_URL: api} if api else {}):
        futures = [task.submit(batch, *args) for batch in work]
    wait(futures)
    _raise_failed(work, [future.state for future in futures])
    return [future.result() for future in futures]


def _raise_failed(work: list[list[int]], states: list[State[Any]]) -> None:
    failed = [(batch, state) for batch, state in zip(work, states, strict=True)
              if not state.is_completed()]
    if failed:
        batch, state = failed[0]
        raise BatchFailed(
            f"{len(failed)} of {len(work)} batches failed; the others are stored. The first "
            f"(patients {batch[0]}–{batch[-1]}): {state.message}")
