"""Charges to capture, weekly: the sessions performed in the last seven days whose documentation
supports charges their lines do not carry, priced, with the revenue headline, as a markdown
artifact for billing to work before the claims go out."""

from __future__ import annotations

from datetime import date, timedelta

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows.run_names import dated
from tracker.money.capture import missed_charges
from tracker.money.headline import WEEK_DAYS, headline, weekly_markdown
from tracker.settings import load_settings
from tracker.store.database import connect
from tracker.store.migrating import require_current_schema


@task
def publish_charges_to_capture(as_of: date) -> dict[str, object]:
    """Compute the headline and the last seven days' misses; publish them as markdown."""
    engine = connect(load_settings().resolved_database_url())
    try:
        require_current_schema(engine)
        top = headline(engine, as_of)
        recent = missed_charges(engine, as_of - timedelta(days=WEEK_DAYS), as_of)
    finally:
        engine.dispose()
    create_markdown_artifact(key="charges-to-capture", markdown=weekly_markdown(top, recent),
                             description=f"Charges to capture and the revenue headline, {as_of}")
    return {"at_risk_cents": top.at_risk.total_cents,
            "protected_cents": top.protected.total_cents,
            "not_captured_last_month_cents": top.not_captured.total_cents,
            "charges_this_week": len(recent.charges),
            "charges_this_week_cents": recent.total_cents}


@flow(name="charges-to-capture", flow_run_name=dated("charges-to-capture"), log_prints=True)
def charges_to_capture(as_of: date | None = None) -> dict[str, object]:
    """The week's charges to capture and the revenue headline, as a markdown artifact."""
    outcome = publish_charges_to_capture(as_of or date.today())
    print(f"charges to capture: {outcome}")
    return outcome
