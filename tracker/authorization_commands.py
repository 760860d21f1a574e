"""The staff's authorization commands: record what a fax or portal payer was sent and decided,
and run the submit and follow-up services by hand, with the configured payer gateways — the same
service functions the flows run."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from tracker.authorization_arguments import who
from tracker.errors import InputError, PainauthError
from tracker.settings import Settings, load_settings
from tracker.store.database import connect, database_problem
from tracker.store.migrating import SchemaNotCurrent, require_current_schema


class DatabaseUnusable(PainauthError):
    """The configured database is missing, unreachable or not at this version."""


def record_submission_command(args: argparse.Namespace) -> int:
    from tracker.authorizations.manual_entry import record_manual_submission

    with _database(load_settings()) as engine:
        entry = record_manual_submission(engine, args.id, actor=who(args), channel=args.channel,
                                         reference=args.reference, note=args.note)
    print(f"authorization {entry.authorization_id}: {entry.from_status} -> {entry.to_status} "
          f"(sent by {args.channel})")
    return 0


def record_decision_command(args: argparse.Namespace) -> int:
    from tracker.authorizations.manual_entry import record_manual_decision

    valid_from, valid_to = _day("--valid-from", args.valid_from), _day("--valid-to", args.valid_to)
    with _database(load_settings()) as engine:
        entry = record_manual_decision(
            engine, args.id, actor=who(args), decision=args.decision, auth_number=args.auth_number,
            approved_units=args.units, valid_from=valid_from, valid_to=valid_to, reason=args.reason)
    print(f"authorization {entry.authorization_id}: {entry.from_status} -> {entry.to_status}")
    return 0


def submit_command(args: argparse.Namespace) -> int:
    """Prepare the open packages, then send every ready one — what the submit flow does."""
    from tracker.authorizations.gateways import PayerGateways, configured_opener
    from tracker.authorizations.submission import ACTOR, submit_ready_authorizations
    from tracker.packages.preparation import prepare_open_authorizations

    as_of = _day("--as-of", args.as_of) or date.today()
    settings = load_settings()
    packets = settings.home / "packets"
    with _database(settings) as engine:
        prepared = prepare_open_authorizations(engine, ACTOR, as_of)
        with PayerGateways(configured_opener(packets)) as gateways:
            sent = submit_ready_authorizations(engine, gateways, packets, as_of=as_of)
    print(json.dumps({"ready": len(prepared.ready),
                      "documentation_missing": len(prepared.documentation_missing),
                      **sent.as_json()}, indent=2))
    return _report(prepared.problems + sent.problems)


def follow_up_command(args: argparse.Namespace) -> int:
    """Apply payers' notifications, ask about due requests, flag trouble — the follow-up flow."""
    from tracker.authorizations.follow_up import follow_up_authorizations
    from tracker.authorizations.gateways import PayerGateways, configured_opener

    settings = load_settings()
    with _database(settings) as engine, \
            PayerGateways(configured_opener(settings.home / "packets")) as gateways:
        summary = follow_up_authorizations(engine, gateways)
    print(json.dumps(summary.as_json(), indent=2))
    return _report(summary.problems)


def _report(problems: list[str]) -> int:
    """Each problem on standard error; non-zero when there was any."""
    for problem in problems:
        print(f"painauth auth: {problem}", file=sys.stderr)
    return 1 if problems else 0


@contextmanager
def _database(settings: Settings) -> Iterator[Engine]:
    engine = connect(settings.resolved_database_url())
    try:
        try:
            require_current_schema(engine)
        except SchemaNotCurrent as error:
            raise DatabaseUnusable(str(error)) from None
        except SQLAlchemyError as error:
            reason = database_problem(error)
            raise DatabaseUnusable(f"cannot use the database at "
                                   f"{settings.database_url_for_display()}: {reason}") from None
        yield engine
    finally:
        engine.dispose()


def _day(option: str, text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(option, f"{text!r} is not a date; write it as YYYY-MM-DD") from None
