"""Follow up authorizations: apply payers' notifications, ask about pended requests on their
backoff until decided, and flag overdue decisions and approvals that end before the visit."""

from __future__ import annotations

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows.run_names import dated
from tracker.authorizations.follow_up import FollowUpSummary, follow_up_authorizations
from tracker.authorizations.gateways import PayerGateways, configured_opener
from tracker.settings import load_settings
from tracker.store.database import connect


# An inquiry changes nothing at the payer, so the whole pass may be retried.
@task(retries=2, retry_delay_seconds=[30, 120])
def follow_up() -> FollowUpSummary:
    """One pass over notifications, due inquiries and deadlines."""
    settings = load_settings()
    engine = connect(settings.resolved_database_url())
    try:
        with PayerGateways(configured_opener(settings.home / "packets")) as gateways:
            return follow_up_authorizations(engine, gateways)
    finally:
        engine.dispose()


@flow(name="follow-up-authorizations", flow_run_name=dated("follow-up-authorizations"), log_prints=True)
def follow_up_authorizations_flow() -> dict[str, object]:
    """Follow every submitted authorization one step closer to its decision."""
    summary = follow_up()
    problems = "\n".join(f"- {p}" for p in summary.problems) or "none"
    create_markdown_artifact(
        key="follow-up-authorizations",
        markdown=(f"# Follow-up\n\n{summary.notifications} notifications applied, "
                  f"{summary.inquiries} inquiries; decisions {dict(summary.decisions)}; "
                  f"flagged {dict(summary.flagged)}; {summary.still_waiting} still waiting.\n\n"
                  f"## Problems\n\n{problems}\n"),
        description="What the follow-up run learnt")
    print(f"follow-up: {summary.as_json()}")
    return summary.as_json()
