"""Submit authorizations: prepare the open ones' packages, then send every ready one to its payer
exactly once (see tracker.authorizations.submission for how an uncertain outcome is reconciled)."""

from __future__ import annotations

from datetime import date

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows.run_names import dated
from tracker.authorizations.gateways import PayerGateways, configured_opener
from tracker.authorizations.submission import ACTOR, SubmissionSummary, submit_ready_authorizations
from tracker.packages.preparation import PreparationSummary, prepare_open_authorizations
from tracker.settings import load_settings
from tracker.store.database import connect


@task
def prepare_packages(as_of: date) -> PreparationSummary:
    """Build each open authorization's package and move it to ready or documentation_missing."""
    engine = connect(load_settings().resolved_database_url())
    try:
        return prepare_open_authorizations(engine, ACTOR, as_of)
    finally:
        engine.dispose()


# Safe to retry: every attempt is on record before it is sent and is reconciled, never repeated.
@task(retries=2, retry_delay_seconds=[30, 120])
def send_ready(as_of: date) -> SubmissionSummary:
    """Send every ready authorization, and reconcile attempts whose outcome is unknown."""
    settings = load_settings()
    engine = connect(settings.resolved_database_url())
    try:
        with PayerGateways(configured_opener(settings.home / "packets")) as gateways:
            return submit_ready_authorizations(engine, gateways, settings.home / "packets",
                                               as_of=as_of)
    finally:
        engine.dispose()


@flow(name="submit-authorizations", flow_run_name=dated("submit-authorizations"), log_prints=True)
def submit_authorizations(as_of: date | None = None) -> dict[str, object]:
    """Prepare the packages, send the ready ones, and say what happened."""
    day = as_of or date.today()
    prepared = prepare_packages(day)
    sent = send_ready(day)
    problems = "\n".join(f"- {p}" for p in prepared.problems + sent.problems) or "none"
    create_markdown_artifact(
        key="submit-authorizations",
        markdown=(f"# Submissions {day}\n\n"
                  f"Prepared: {len(prepared.ready)} ready, "
                  f"{len(prepared.documentation_missing)} missing documentation.\n\n"
                  f"Sent: {dict(sent.outcomes)}; statuses now {dict(sent.statuses)}.\n\n"
                  f"## Problems\n\n{problems}\n"),
        description="What the submit run prepared and sent")
    print(f"submit {day}: prepared {len(prepared.ready)} ready; sent {dict(sent.outcomes)}")
    return {"ready": len(prepared.ready), **sent.as_json()}
