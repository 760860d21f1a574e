"""`painauth auth show ID` and `painauth auth export ID --format fhir|pdf --out PATH`."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.errors import InputError
from tracker.packages.assembly import assemble_package
from tracker.packages.package import AuthorizationPackage
from tracker.settings import load_settings
from tracker.store.database import connect, database_problem
from tracker.store.migrating import SchemaNotCurrent, require_current_schema
from tracker.store.tables import AuthorizationEventRow, AuthorizationRow


def show_command(args: argparse.Namespace) -> int:
    as_of = _day(args.as_of)
    with _database() as engine:
        if engine is None:
            return 1
        with DbSession(engine) as db:
            package = assemble_package(db, args.id, as_of).package
            events = list(db.exec(select(AuthorizationEventRow)
                                  .where(AuthorizationEventRow.authorization_id == args.id)
                                  .order_by(col(AuthorizationEventRow.at),
                                            col(AuthorizationEventRow.id))))
            auth = db.get(AuthorizationRow, args.id)
            assert auth is not None
    print(summary_text(package, auth))
    print("\nHistory:")
    for event in events:
        moved = f"{event.from_status or '(opened)'} -> {event.to_status}"
        print(f"  {event.at:%Y-%m-%d %H:%M} {moved} by {event.actor}"
              + (f": {event.reason}" if event.reason else ""))
    if not events:
        print("  (no events)")
    return 0


def export_command(args: argparse.Namespace) -> int:
    as_of = _day(args.as_of)
    if args.with_packet and args.format != "fhir":
        raise InputError("--with-packet", "only a fhir export carries the packet")
    with _database() as engine:
        if engine is None:
            return 1
        with DbSession(engine) as db:
            package = assemble_package(db, args.id, as_of).package
            auth = db.get(AuthorizationRow, args.id)
            assert auth is not None
            identifier = args.identifier or auth.submission_id or f"auth-{args.id}-preview"
    from tracker.packages.packet import render_packet

    if args.format == "pdf":
        content = render_packet(package)
    else:
        from tracker.packages.fhir_validation import r4b_problems
        from tracker.packages.pas_bundle import pas_request_bundle
        from tracker.packages.pas_rules import package_problems

        bundle = pas_request_bundle(package, identifier,
                                    packet_pdf=render_packet(package) if args.with_packet else None)
        problems = package_problems(bundle) + r4b_problems(bundle)
        if problems:
            print(f"painauth auth export: the bundle of authorization {args.id} is not a valid "
                  "PAS request; nothing was written:", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        content = (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        args.out.write_bytes(content)
    except OSError as error:
        print(f"painauth auth export: cannot write {args.out} ({error.strerror})", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({len(content):,} bytes, {args.format})")
    return 0


def summary_text(package: AuthorizationPackage, auth: AuthorizationRow) -> str:
    p = package
    provider = p.rendering_provider
    lines = [
        f"Authorization {p.authorization_id}: {auth.status}",
        f"Patient      {p.patient.full_name} (MRN {p.patient.mrn}, born "
        f"{p.patient.birth_date.isoformat()})",
        f"Coverage     {p.coverage.payer_name} member {p.coverage.member_id} ({p.coverage.rank})",
        f"Provider     {provider.name + ' NPI ' + provider.npi if provider else 'none on file'}",
        f"Requested    {p.requested_date.isoformat()} at place of service {p.place_of_service}",
        "Codes        " + "; ".join(
            line.code + "".join(f"-{m}" for m in line.modifiers)
            + (f" x{line.units}" if line.units != 1 else "")
            + (f" ({line.laterality})" if line.laterality else "") for line in p.lines),
        "Procedures   " + "; ".join(
            proc.name + (f", {proc.levels} level(s)" if proc.levels else "")
            for proc in p.procedures),
        f"Diagnoses    {', '.join(p.diagnoses) or 'none on file'}",
        "Evidence:",
    ]
    lines += [f"  [{e.kind}] {e.text}" for e in p.evidence()]
    if auth.auth_number:
        lines.append(f"Auth number  {auth.auth_number}")
    missing = list(auth.missing_items or [])
    lines.append("Missing:" if missing else "Missing: nothing")
    lines += [f"  - {item}" for item in missing]
    return "\n".join(lines)


@contextmanager
def _database() -> Iterator[Engine | None]:
    """The configured database, checked to be at this version; None (after saying why) if not."""
    settings = load_settings()
    engine = connect(settings.resolved_database_url())
    try:
        require_current_schema(engine)
    except SchemaNotCurrent as error:
        print(f"painauth auth: {error}", file=sys.stderr)
        engine.dispose()
        yield None
        return
    except SQLAlchemyError as error:
        reason = database_problem(error)
        print(f"painauth auth: cannot use the database at "
              f"{settings.database_url_for_display()}: {reason}", file=sys.stderr)
        engine.dispose()
        yield None
        return
    try:
        yield engine
    finally:
        engine.dispose()


def _day(text: str | None) -> date:
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError("--as-of", f"{text!r} is not a date; write it as YYYY-MM-DD") from None
