"""Pre-visit check: every scheduled session in the horizon, evaluated against the payer policy in
force on its date, stored, and summarized for the people who act on it."""

from __future__ import annotations

from datetime import date

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State
from prefect.utilities.annotations import quote
from sqlalchemy.exc import OperationalError

from flows.batches import BatchTaskRunner, each_batch
from flows.run_names import dated
from tracker.settings import load_settings
from tracker.store.database import connect
from tracker.store.migrating import require_current_schema
from tracker.visits.attention import merged_rows
from tracker.visits.pre_visit import (
    DEFAULT_BATCH_PATIENTS,
    DEFAULT_HORIZON_DAYS,
    PreVisitSummary,
    batches,
    check_batch,
    patients_with_visits,
)
from tracker.visits.readiness import READINESSES


# Every task with cache_policy=NO_CACHE: a check must run each time, and Prefect's default policy
# would hash every input to key a cache nothing reads (the batch's ids, the summary's status rows:
# a tenth of a small run).
@task(cache_policy=NO_CACHE)
def find_patients_with_visits(as_of: date, horizon_days: int) -> list[int]:
    """The patients with a scheduled session in the horizon."""
    engine = connect(load_settings().resolved_database_url())
    try:
        require_current_schema(engine)
        return patients_with_visits(engine, as_of, horizon_days)
    finally:
        engine.dispose()


def _database_hiccup(_task: object, _run: object, state: State) -> bool:
    """A batch is retried when the database failed it (a dropped connection, a deadlock, a lock
    wait that ran out): the batch is one transaction, rolled back, so a retry redoes it whole."""
    return isinstance(state.data, OperationalError)


@task(retries=2, retry_delay_seconds=[5, 30], retry_condition_fn=_database_hiccup,
      cache_policy=NO_CACHE)
def check_patients(patient_ids: list[int], as_of: date, horizon_days: int) -> PreVisitSummary:
    """Evaluate and store one batch of patients' upcoming sessions."""
    engine = connect(load_settings().resolved_database_url())
    try:
        return check_batch(engine, patient_ids, as_of, horizon_days, attention=True)
    finally:
        engine.dispose()


# The status table's rows at most: worst first, enough for ops staff to see what the run found
# (the board pages through all of them). A network's 16,000 rows made a 1.9 MB artifact whose
# event the Prefect server refused.
ARTIFACT_ROWS = 500


@task(cache_policy=NO_CACHE)
def publish_status(summary: PreVisitSummary) -> None:
    """The visits needing attention (every readiness but clear, the board's own rows) as a table
    artifact, and the run's counts as markdown — from what the batches returned, not re-read
    (each batch also wrote its visits' readiness history, see `check_batch(attention=True)`)."""
    visits = merged_rows(summary.attention)
    counts = {name: summary.readiness[name] for name in READINESSES}
    shown = visits[:ARTIFACT_ROWS]
    create_table_artifact(
        key="pre-visit-status",
        table=shown,
        description=f"Scheduled visits from {summary.as_of} needing attention "
                    f"({summary.horizon_days}-day horizon), worst readiness first"
                    + (f": the first {len(shown)} of {len(visits)}; the board lists them all"
                       if len(shown) < len(visits) else ""))
    readiness = "\n".join(f"| {name} | {n} |" for name, n in counts.items())
    verdicts = "\n".join(f"| {k} | {n} |" for k, n in sorted(summary.verdicts.items()))
    problems = "\n".join(f"- {p}" for p in summary.problems[:50]) or "none"
    create_markdown_artifact(
        key="pre-visit-summary",
        markdown=(f"# Pre-visit check {summary.as_of}\n\n"
                  f"{summary.evaluated} sessions evaluated in a {summary.horizon_days}-day "
                  f"horizon; {summary.changed} changed, {summary.unchanged} unchanged; "
                  f"{summary.authorizations_opened} authorizations opened; "
                  f"{len(visits)} need attention"
                  + (f" (the status table shows the first {len(shown)}; the board lists them "
                     "all)" if len(shown) < len(visits) else "") + ".\n\n"
                  f"| readiness | visits |\n|---|---|\n{readiness}\n\n"
                  f"| verdict | sessions |\n|---|---|\n{verdicts}\n\n"
                  f"## Not evaluated\n\n{problems}\n"),
        description="Counts of the pre-visit check run")


@flow(name="pre-visit-check", flow_run_name=dated("pre-visit-check"), log_prints=True,
      task_runner=BatchTaskRunner())  # type: ignore[arg-type]  # prefect-dask's generic base
def pre_visit_check(as_of: date | None = None, horizon_days: int = DEFAULT_HORIZON_DAYS,
                    batch_patients: int = DEFAULT_BATCH_PATIENTS) -> dict[str, object]:
    """Evaluate the upcoming visits in batches on the Dask workers, store the results, publish
    what needs attention."""
    day = as_of or date.today()
    summary = PreVisitSummary(as_of=day, horizon_days=horizon_days)
    patient_batches = batches(find_patients_with_visits(day, horizon_days), batch_patients)
    for part in each_batch(check_patients, patient_batches, day, horizon_days):
        summary.add(part)
    # quote(): Prefect would otherwise walk every status row of the summary looking for upstream
    # results — seconds per run
    publish_status(quote(summary))  # type: ignore[call-overload]
    print(f"pre-visit check {day}: {summary.evaluated} evaluated, {summary.changed} changed, "
          f"{summary.authorizations_opened} authorizations opened, "
          f"verdicts {dict(summary.verdicts)}")
    return summary.as_json()
