"""`painauth queue …`: the billing work queue in the terminal — the views the board's /queue page
shows, the search box, claiming and reassigning work, due and next-touch dates, and notes."""

from __future__ import annotations

import getpass
import json
from datetime import date
from typing import Any

import click

from tracker.cli.options import DATE, as_of_option, authorization_id

# The views of tracker.authorizations.queue (a test keeps the two the same), written here so that
# building the command line imports no database module.
VIEWS = ("all", "mine", "unassigned", "overdue", "due-today")


def _recorded_by() -> Any:
    return click.option("--by", "actor", metavar="NAME", default=None,
                        help="who makes the change, for the history (default: your login name)")


@click.group(invoke_without_command=True)
@click.option("--view", type=click.Choice(VIEWS), default="all", show_default=True,
              help="which work to list")
@click.option("--user", metavar="NAME", default=None,
              help="whose queue --view mine is (default: your login name)")
@click.option("--search", "text", metavar="TEXT", default=None,
              help="find patients and authorizations by name, MRN, auth number, payer "
                   "reference or bundle identifier instead")
@click.option("--json", "as_json", is_flag=True, help="print the items as JSON")
@as_of_option("the day due dates are compared with")
@click.pass_context
def queue(context: click.Context, view: str, user: str | None, text: str | None, as_json: bool,
          as_of: date | None) -> int:
    """The authorization work that needs a person, due date first, with the counts per view."""
    if context.invoked_subcommand is not None:
        return 0
    from tracker.cli.database import database

    with database() as engine:
        if text is not None:
            return _show_search(engine, text, as_json)
        from tracker.authorizations.queue import VIEWS as NAMES
        from tracker.authorizations.queue import work_queue

        today = as_of or date.today()
        found = work_queue(engine, today, view=view.replace("-", "_"),
                           user=user or getpass.getuser())
    if as_json:
        click.echo(json.dumps({"view": found.view, "counts": found.counts, "items": [
            {"authorization_id": i.authorization_id, "kind": i.kind, "patient": i.patient_name,
             "mrn": i.mrn, "visit_date": i.visit_date.isoformat(), "payer": i.payer,
             "status": i.status, "owner": i.owner, "due_on": i.due_on.isoformat(),
             "due_set_by_hand": i.due_set_by_hand, "overdue": i.overdue(today),
             "next_touch_on": i.next_touch_on.isoformat() if i.next_touch_on else None}
            for i in found.items]}, indent=2))
        return 0
    click.echo("  ".join(f"{NAMES[name]}: {count}" for name, count in found.counts.items()))
    click.echo(f"\n{NAMES[found.view]} ({len(found.items)})")
    for i in found.items:
        late = " OVERDUE" if i.overdue(today) else (" today" if i.due_on == today else "")
        touch = f" next touch {i.next_touch_on}" if i.next_touch_on else ""
        click.echo(f"  #{i.authorization_id:<5} due {i.due_on}{late}  {i.kind_words}  "
                   f"{i.patient_name} ({i.mrn}) {i.payer} visit {i.visit_date}  "
                   f"owner {i.owner or '-'}{touch}")
    if not found.items:
        click.echo("  (nothing)")
    return 0


def _show_search(engine: Any, text: str, as_json: bool) -> int:
    from tracker.authorizations.search import search

    result = search(engine, text)
    if as_json:
        click.echo(json.dumps({
            "patients": [{"patient_id": p.patient_id, "name": p.name, "mrn": p.mrn}
                         for p in result.patients],
            "authorizations": [{"authorization_id": a.authorization_id, "patient": a.patient_name,
                                "mrn": a.mrn, "visit_date": a.visit_date.isoformat(),
                                "payer": a.payer, "status": a.status,
                                "auth_number": a.auth_number, "matched": a.matched}
                               for a in result.authorizations]}, indent=2))
        return 0
    click.echo(f"Patients ({len(result.patients)})")
    for p in result.patients:
        click.echo(f"  {p.name} ({p.mrn}) born {p.birth_date}")
    click.echo(f"Authorizations ({len(result.authorizations)})")
    for a in result.authorizations:
        click.echo(f"  #{a.authorization_id:<5} {a.patient_name} ({a.mrn}) {a.payer} visit "
                   f"{a.visit_date} {a.status} auth number {a.auth_number or '-'} "
                   f"[matched {a.matched}]")
    return 0


@queue.command("claim")
@authorization_id()
@_recorded_by()
def claim_item(authorization_id: int, actor: str | None) -> int:
    """Take an unassigned item: it is yours."""
    from tracker.authorizations.assignment import claim
    from tracker.cli.database import database

    with database() as engine:
        change = claim(engine, authorization_id, actor=_who(actor))
    click.echo(f"authorization {authorization_id}: owner {change.owner}")
    return 0


@queue.command("assign")
@authorization_id()
@click.option("--to", "owner", metavar="NAME", required=True,
              help="the billing or admin user who takes it; '' returns it to the queue")
@_recorded_by()
def assign_item(authorization_id: int, owner: str, actor: str | None) -> int:
    """Hand an item to a colleague (or back to nobody)."""
    from tracker.authorizations.assignment import assign
    from tracker.cli.database import database

    with database() as engine:
        change = assign(engine, authorization_id, owner=owner, actor=_who(actor))
    click.echo(f"authorization {authorization_id}: owner {change.owner or 'nobody'}")
    return 0


@queue.command("dates")
@authorization_id()
@click.option("--due", type=DATE, metavar="YYYY-MM-DD", default=None,
              help="the due date, set by hand")
@click.option("--derived-due", is_flag=True,
              help="go back to the due date derived from the visit and the payer's clock")
@click.option("--next-touch", type=DATE, metavar="YYYY-MM-DD", default=None,
              help="the next day to look at it")
@_recorded_by()
def set_item_dates(authorization_id: int, due: date | None, derived_due: bool,
                   next_touch: date | None, actor: str | None) -> int:
    """Set an item's due date or next-touch date."""
    from tracker.authorizations.assignment import set_dates
    from tracker.cli.database import database

    if due is not None and derived_due:
        raise click.UsageError("give --due or --derived-due, not both")
    with database() as engine:
        change = set_dates(engine, authorization_id, actor=_who(actor), due_on=due,
                           next_touch_on=next_touch, clear_due=derived_due)
    click.echo(f"authorization {authorization_id}: due {change.due_on or 'derived'}, "
               f"next touch {change.next_touch_on or '-'}")
    return 0


@queue.command("note")
@authorization_id()
@click.argument("text")
@_recorded_by()
def note(authorization_id: int, text: str, actor: str | None) -> int:
    """Add a note to an authorization's history (staff only; never in an alert)."""
    from tracker.authorizations.notes import add_note
    from tracker.cli.database import database

    with database() as engine:
        add_note(engine, authorization_id, author=_who(actor), text=text)
    click.echo(f"authorization {authorization_id}: note added")
    return 0


@queue.command("patient-note")
@click.argument("mrn")
@click.argument("text")
@_recorded_by()
def patient_note(mrn: str, text: str, actor: str | None) -> int:
    """Add a note on a patient, found by MRN: on their board page and in the history of each of
    their authorizations (staff only; never in an alert)."""
    from sqlalchemy import select
    from sqlmodel import Session as DbSession
    from sqlmodel import col

    from tracker.authorizations.notes import add_patient_note
    from tracker.cli.database import database
    from tracker.store.tables import PatientRow

    with database() as engine:
        with DbSession(engine) as db:
            patient = db.execute(select(col(PatientRow.id))
                                 .where(col(PatientRow.mrn) == mrn.strip())).scalar()
        if patient is None:
            raise click.BadParameter(f"no patient with MRN {mrn.strip()!r}", param_hint="MRN")
        add_patient_note(engine, patient, author=_who(actor), text=text)
    click.echo(f"patient {mrn.strip()}: note added")
    return 0


def _who(actor: str | None) -> str:
    return actor if actor is not None else getpass.getuser()


@queue.command("denial-reason")
@authorization_id()
@click.option("--reason", required=True, metavar="TEXT", help="the payer's reason, as worded")
@click.option("--code", metavar="CODE", default=None,
              help="the payer's reason code (CARC e.g. CO-50, RARC e.g. N386, or X12)")
@_recorded_by()
def denial_reason(authorization_id: int, reason: str, code: str | None, actor: str | None) -> int:
    """Record a denial's reason as the payer worded and coded it."""
    from tracker.authorizations.denials import record_denial_reason
    from tracker.cli.database import database

    with database() as engine:
        record_denial_reason(engine, authorization_id, actor=_who(actor), worded=reason, code=code)
    click.echo(f"authorization {authorization_id}: denial reason recorded")
    return 0


@queue.command("appeal")
@authorization_id()
@click.option("--step", "kind", required=True,
              type=click.Choice(["peer_to_peer", "first_level", "second_level", "external_review"]),
              help="the step against the denial")
@click.option("--denied-on", type=DATE, metavar="YYYY-MM-DD", default=None,
              help="the denial's date (default: when the denial was recorded)")
@_recorded_by()
def appeal(authorization_id: int, kind: str, denied_on: date | None, actor: str | None) -> int:
    """Open a peer-to-peer or an appeal level; prints its deadline."""
    from tracker.authorizations.denials import open_step
    from tracker.cli.database import database

    with database() as engine:
        step = open_step(engine, authorization_id, kind, actor=_who(actor), denied_on=denied_on)
    click.echo(f"authorization {authorization_id}: {step.words} (step {step.id}) due "
               f"{step.deadline}")
    return 0


@queue.command("outcome")
@click.argument("step_id", metavar="STEP", type=click.IntRange(min=1))
@click.option("--outcome", required=True, type=click.Choice(["overturned", "upheld", "withdrawn"]),
              help="how the peer-to-peer or appeal ended")
@click.option("--note", metavar="TEXT", default=None, help="what was said or decided")
@_recorded_by()
def outcome(step_id: int, outcome: str, note: str | None, actor: str | None) -> int:
    """Record how a peer-to-peer or appeal step ended."""
    from tracker.authorizations.denials import record_outcome
    from tracker.cli.database import database

    with database() as engine:
        step = record_outcome(engine, step_id, actor=_who(actor), outcome=outcome, note=note)
    click.echo(f"authorization {step.authorization_id}: {step.words} {outcome}")
    return 0


@queue.command("close-denial")
@authorization_id()
@click.option("--reason", required=True, metavar="TEXT",
              help="why no further appeal (not appealed, appeal upheld, written off)")
@_recorded_by()
def close_denial_item(authorization_id: int, reason: str, actor: str | None) -> int:
    """Accept a denial: it leaves the work queue (the visit still reads denied)."""
    from tracker.authorizations.denials import close_denial
    from tracker.cli.database import database

    with database() as engine:
        close_denial(engine, authorization_id, actor=_who(actor), reason=reason)
    click.echo(f"authorization {authorization_id}: denial closed; no longer in the work queue")
    return 0


@queue.command("resubmit")
@authorization_id()
@click.option("--correction", required=True, metavar="TEXT", help="what was corrected")
@_recorded_by()
def resubmit_item(authorization_id: int, correction: str, actor: str | None) -> int:
    """Correct a denied or rejected request and send it again under a new identifier."""
    from tracker.authorizations.denials import resubmit
    from tracker.cli.database import database

    with database() as engine:
        following = resubmit(engine, authorization_id, actor=_who(actor), correction=correction)
    click.echo(f"authorization {authorization_id}: back to be prepared; the next request goes "
               f"as {following}")
    return 0
