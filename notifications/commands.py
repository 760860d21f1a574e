"""`painauth alerts send` (raise and queue) and `painauth alerts dispatch` (deliver)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from sqlalchemy.exc import SQLAlchemyError

from notifications.channels import channels_from_settings
from notifications.dispatch import dispatch_alerts
from notifications.outbox import queue_alerts
from notifications.settings import load_alert_settings
from tracker.errors import InputError
from tracker.settings import load_settings
from tracker.store.database import connect, database_problem
from tracker.store.migrating import SchemaNotCurrent


def send_command(args: argparse.Namespace) -> int:
    as_of = _day(args.as_of) if args.as_of else None
    settings = load_settings()
    engine = connect(settings.resolved_database_url())
    try:
        summary = queue_alerts(engine, as_of or date.today())
    except SchemaNotCurrent as err:
        print(f"painauth alerts send: {err}", file=sys.stderr)
        return 1
    except SQLAlchemyError as err:
        print(f"painauth alerts send: cannot use the database at "
              f"{settings.database_url_for_display()}: {database_problem(err)}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(summary.new_by_kind.items())) or "none"
    print(f"{summary.visits} upcoming visits checked: {summary.raised} alerts apply, "
          f"{summary.new} new in the outbox ({kinds})"
          + (f"; {summary.without_provider} visits have no provider to tell"
             if summary.without_provider else ""))
    return 0


def dispatch_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    alert_settings = load_alert_settings()
    engine = connect(settings.resolved_database_url())
    try:
        summary = dispatch_alerts(engine, settings=alert_settings,
                                  channels=channels_from_settings(alert_settings, echo=args.echo))
    except SchemaNotCurrent as err:
        print(f"painauth alerts dispatch: {err}", file=sys.stderr)
        return 1
    except SQLAlchemyError as err:
        print(f"painauth alerts dispatch: cannot use the database at "
              f"{settings.database_url_for_display()}: {database_problem(err)}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    for sent in summary.sent:
        print(f"sent alert {sent.alert_id} ({sent.kind}) by {sent.channel}")
    for failure in summary.channel_failures:
        print(f"failed: {failure}")
    print(f"{len(summary.sent)} sent, {summary.retrying} to retry, {summary.deferred} deferred "
          f"(quiet hours), {summary.failed} failed, {summary.reconciled} reconciled, "
          f"{summary.unknown} unknown, {summary.digests} digests made")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("--as-of", f"{text!r} is not a date; write it as YYYY-MM-DD") from None
