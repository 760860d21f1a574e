"""Weekly figures: the last seven days' authorization figures (approval rates, turnaround
against the clock, denials and appeals) as a markdown artifact with the headline numbers."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows.run_names import dated
from tracker.figures.weekly import weekly_figures, weekly_markdown
from tracker.settings import load_settings
from tracker.store.database import connect
from tracker.store.migrating import require_current_schema


@flow(name="weekly-figures", flow_run_name=dated("weekly-figures"), log_prints=True)
def weekly_figures_flow(as_of: date | None = None) -> dict[str, str]:
    """Count the seven days ending on `as_of` (default today) and publish their headline."""
    engine = connect(load_settings().resolved_database_url())
    try:
        require_current_schema(engine)
        figures = weekly_figures(engine, as_of or date.today())
    finally:
        engine.dispose()
    markdown = weekly_markdown(figures)
    create_markdown_artifact(key="weekly-figures", markdown=markdown,
                             description=f"Authorization figures {figures.month.label}")
    headline = dict(figures.headline())
    print(f"weekly figures {figures.month.label}: {headline}")
    return headline
