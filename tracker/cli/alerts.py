"""`painauth alerts send` (raise and queue) and `painauth alerts dispatch` (deliver)."""

from __future__ import annotations

from datetime import date

import click

from tracker.cli.options import as_of_option


@click.group()
def alerts() -> None:
    """Provider alerts: queue them, deliver them."""


@alerts.command()
@as_of_option("raise the alerts as of this day")
def send(as_of: date | None) -> int:
    """Raise providers' alerts for the upcoming visits and queue the new ones."""
    from notifications.outbox import queue_alerts
    from tracker.cli.database import database

    with database() as engine:
        summary = queue_alerts(engine, as_of or date.today())
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(summary.new_by_kind.items())) or "none"
    click.echo(f"{summary.visits} upcoming visits checked: {summary.raised} alerts apply, "
               f"{summary.new} new in the outbox ({kinds})"
               + (f"; {summary.without_provider} visits have no provider to tell"
                  if summary.without_provider else ""))
    return 0


@alerts.command()
@click.option("--echo", "echo_outbox", is_flag=True,
              help="also print what goes to the console outbox")
def dispatch(echo_outbox: bool) -> int:
    """Deliver queued alerts by SMS, email or the console outbox, exactly once."""
    from notifications.channels import channels_from_settings
    from notifications.dispatch import dispatch_alerts
    from notifications.settings import load_alert_settings
    from tracker.cli.database import database

    alert_settings = load_alert_settings()
    with database() as engine:
        summary = dispatch_alerts(engine, settings=alert_settings,
                                  channels=channels_from_settings(alert_settings, echo=echo_outbox))
    for sent in summary.sent:
        click.echo(f"sent alert {sent.alert_id} ({sent.kind}) by {sent.channel}")
    for failure in summary.channel_failures:
        click.echo(f"failed: {failure}")
    click.echo(f"{len(summary.sent)} sent, {summary.retrying} to retry, {summary.deferred} deferred "
               f"(quiet hours), {summary.failed} failed, {summary.reconciled} reconciled, "
               f"{summary.unknown} unknown, {summary.digests} digests made")
    return 0
