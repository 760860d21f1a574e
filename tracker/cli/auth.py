"""`painauth auth …`: an authorization's package and history, its two documents, the submit and
follow-up services run by hand, and what a fax or portal payer was sent and decided."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from tracker.cli.options import DATE, as_of_option, authorization_id

if TYPE_CHECKING:
    from tracker.packages.package import AuthorizationPackage
    from tracker.store.tables import AuthorizationRow

# The choices of tracker.authorizations.manual_entry (a test keeps the two the same), written here
# so that building the command line imports no database module.
CHANNELS = ("fax", "portal", "phone", "mail")
DECISIONS = ("approved", "partial", "denied", "pended")


@click.group()
def auth() -> None:
    """Authorizations: show, export, submit, follow up, record fax/portal outcomes."""


def _recorded_by() -> Any:
    return click.option("--by", "actor", metavar="NAME", default=None,
                        help="who records this, for the audit trail (default: your login name)")


@auth.command()
@authorization_id()
@as_of_option("the day the record is read as of")
def show(authorization_id: int, as_of: date | None) -> int:
    """An authorization's package, status, history and what is missing."""
    from sqlmodel import Session as DbSession
    from sqlmodel import col, select

    from tracker.cli.database import database
    from tracker.packages.assembly import assemble_package
    from tracker.store.tables import AuthorizationEventRow, AuthorizationRow

    with database() as engine, DbSession(engine) as db:
        package = assemble_package(db, authorization_id, as_of or date.today()).package
        events = list(db.exec(select(AuthorizationEventRow)
                              .where(AuthorizationEventRow.authorization_id == authorization_id)
                              .order_by(col(AuthorizationEventRow.at),
                                        col(AuthorizationEventRow.id))))
        row = db.get(AuthorizationRow, authorization_id)
        assert row is not None  # assemble_package raised AuthorizationNotFound otherwise
    click.echo(summary_text(package, row))
    click.echo("\nHistory:")
    for event in events:
        moved = f"{event.from_status or '(opened)'} -> {event.to_status}"
        click.echo(f"  {event.at:%Y-%m-%d %H:%M} {moved} by {event.actor}"
                   + (f": {event.reason}" if event.reason else ""))
    if not events:
        click.echo("  (no events)")
    return 0


@auth.command()
@authorization_id()
@click.option("--format", "kind", required=True, type=click.Choice(["fhir", "pdf"]),
              help="fhir: a Da Vinci PAS request bundle (JSON); pdf: the reviewer's packet")
@click.option("--out", required=True, metavar="PATH", type=click.Path(dir_okay=False, path_type=Path),
              help="the file to write")
@click.option("--identifier", metavar="TEXT",
              help="the bundle identifier (default: the authorization's submission id, else "
                   "auth-ID-preview)")
@click.option("--with-packet", is_flag=True,
              help="fhir only: carry the PDF packet in the bundle as a DocumentReference")
@as_of_option("the day the record is read as of")
def export(authorization_id: int, kind: str, out: Path, identifier: str | None, with_packet: bool,
           as_of: date | None) -> int:
    """Write an authorization's package as a PAS request bundle or a PDF packet."""
    from sqlmodel import Session as DbSession

    from tracker.cli.database import database
    from tracker.packages.assembly import assemble_package
    from tracker.packages.packet import render_packet
    from tracker.store.tables import AuthorizationRow

    if with_packet and kind != "fhir":
        raise click.BadParameter("only a fhir export carries the packet",
                                 param_hint="'--with-packet'")
    with database() as engine, DbSession(engine) as db:
        package = assemble_package(db, authorization_id, as_of or date.today()).package
        row = db.get(AuthorizationRow, authorization_id)
        assert row is not None
        identifier = identifier or row.submission_id or f"auth-{authorization_id}-preview"
    if kind == "pdf":
        from tracker.authorizations.gateways import fax_number

        content = render_packet(package, fax_to=fax_number(package.coverage.payer))
    else:
        from tracker.packages.fhir_validation import r4b_problems
        from tracker.packages.pas_bundle import pas_request_bundle
        from tracker.packages.pas_rules import package_problems

        bundle = pas_request_bundle(package, identifier,
                                    packet_pdf=render_packet(package) if with_packet else None)
        problems = package_problems(bundle) + r4b_problems(bundle)
        if problems:
            click.echo(f"painauth auth export: the bundle of authorization {authorization_id} is "
                       "not a valid PAS request; nothing was written:", err=True)
            for problem in problems:
                click.echo(f"  {problem}", err=True)
            return 1
        content = (json.dumps(bundle, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        out.write_bytes(content)
    except OSError as error:
        click.echo(f"painauth auth export: cannot write {out} ({error.strerror})", err=True)
        return 1
    click.echo(f"wrote {out} ({len(content):,} bytes, {kind})")
    return 0


@auth.command("record-submission")
@authorization_id()
@_recorded_by()
@click.option("--channel", required=True, type=click.Choice(CHANNELS), help="how the packet was sent")
@click.option("--reference", metavar="R", help="the fax confirmation or portal reference")
@click.option("--note", metavar="N", help="anything else worth keeping with the event")
def record_submission(authorization_id: int, actor: str | None, channel: str,
                      reference: str | None, note: str | None) -> int:
    """Record that a fax or portal payer was sent the packet."""
    from tracker.authorizations.manual_entry import record_manual_submission
    from tracker.cli.database import database

    with database() as engine:
        entry = record_manual_submission(engine, authorization_id, actor=_who(actor),
                                         channel=channel, reference=reference, note=note)
    click.echo(f"authorization {entry.authorization_id}: {entry.from_status} -> {entry.to_status} "
               f"(sent by {channel})")
    return 0


@auth.command("record-decision")
@authorization_id()
@_recorded_by()
@click.option("--decision", required=True, type=click.Choice(DECISIONS),
              help="what the payer decided")
@click.option("--auth-number", metavar="NUMBER",
              help="the payer's authorization number (required to approve)")
@click.option("--valid-from", type=DATE, metavar="YYYY-MM-DD", help="first day the approval covers")
@click.option("--valid-to", type=DATE, metavar="YYYY-MM-DD", help="last day the approval covers")
@click.option("--units", type=click.IntRange(min=0), metavar="N", help="units the payer approved")
@click.option("--reason", metavar="TEXT", help="the payer's reason, as worded (required for a denial)")
def record_decision(authorization_id: int, actor: str | None, decision: str,
                    auth_number: str | None, valid_from: date | None, valid_to: date | None,
                    units: int | None, reason: str | None) -> int:
    """Record a fax or portal payer's decision."""
    from tracker.authorizations.manual_entry import record_manual_decision
    from tracker.cli.database import database

    with database() as engine:
        entry = record_manual_decision(
            engine, authorization_id, actor=_who(actor), decision=decision,
            auth_number=auth_number, approved_units=units, valid_from=valid_from,
            valid_to=valid_to, reason=reason)
    click.echo(f"authorization {entry.authorization_id}: {entry.from_status} -> {entry.to_status}")
    return 0


@auth.command()
@as_of_option("the day the packages are built as of")
def submit(as_of: date | None) -> int:
    """Prepare the open packages and send every ready one to its payer, exactly once."""
    from tracker.authorizations.gateways import PayerGateways, configured_opener
    from tracker.authorizations.submission import ACTOR, submit_ready_authorizations
    from tracker.cli.database import database
    from tracker.packages.preparation import prepare_open_authorizations
    from tracker.settings import load_settings

    day = as_of or date.today()
    settings = load_settings()
    packets = settings.home / "packets"
    with database(settings) as engine:
        prepared = prepare_open_authorizations(engine, ACTOR, day)
        with PayerGateways(configured_opener(packets)) as gateways:
            sent = submit_ready_authorizations(engine, gateways, packets, as_of=day)
    click.echo(json.dumps({"ready": len(prepared.ready),
                           "documentation_missing": len(prepared.documentation_missing),
                           **sent.as_json()}, indent=2))
    return _report(prepared.problems + sent.problems)


@auth.command("follow-up")
def follow_up() -> int:
    """Apply payers' notifications, ask about pended requests, flag trouble."""
    from tracker.authorizations.follow_up import follow_up_authorizations
    from tracker.authorizations.gateways import PayerGateways, configured_opener
    from tracker.cli.database import database
    from tracker.settings import load_settings

    settings = load_settings()
    with database(settings) as engine, \
            PayerGateways(configured_opener(settings.home / "packets")) as gateways:
        summary = follow_up_authorizations(engine, gateways)
    click.echo(json.dumps(summary.as_json(), indent=2))
    return _report(summary.problems)


def _who(actor: str | None) -> str:
    return actor if actor is not None else getpass.getuser()


def _report(problems: list[str]) -> int:
    """Each problem on standard error; non-zero when there was any."""
    for problem in problems:
        print(f"painauth auth: {problem}", file=sys.stderr)
    return 1 if problems else 0


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
