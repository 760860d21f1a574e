"""The second half of `painauth demo`: a synthetic practice through the pre-visit check flow.

A fresh SQLite database under `$PAINAUTH_HOME/demo` (recreated each run, so the demo repeats),
a seeded synthetic practice as of today, the Prefect flow `pre-visit-check` run once (on the
server at PREFECT_API_URL when one is set, else in Prefect's ephemeral mode), then what a scheduler
would read: the visits needing attention, and how often each finding code occurred.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, select
from sqlmodel import col

from tracker.practice.authorization_history import add_authorization_history
from tracker.practice.demo_report import (
    alerts_table,
    approval_rates_table,
    authorizations_table,
    money_table,
    monthly_report_summary,
    packets_summary,
    programs_table,
)
from tracker.practice.demo_services import (
    PRACTICE_IDENTITY,
    decide_pended_reviews,
    notification_endpoint,
    payer_sandbox,
    payer_settings,
    record_one_fax_send,
    subscribe_payers,
)
from tracker.practice.synthetic import HORIZON_DAYS, PracticeShape, seed_practice
from tracker.rules.findings import SEVERITY
from tracker.settings import load_settings
from tracker.store.database import connect
from tracker.store.migrating import upgrade
from tracker.store.tables import EvaluationResultRow, SessionRow
from tracker.visits.readiness_history import record_readiness
from tracker.visits.table import visits_table
from tracker.visits.upcoming import upcoming_visits

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
DEMO_PATIENTS = 300
DEMO_SEED = 7
# Quiet Prefect for the demo's own process unless the user chose otherwise: no INFO chatter, no
# telemetry (its failure on an offline machine logs an error), the ephemeral server's logs muted.
QUIET_PREFECT = {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


def demo_database(home: Path) -> str:
    """A fresh, empty SQLite database under `home/demo`: the previous demo's is removed."""
    folder = home / "demo"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'painauth.sqlite'}"


def finding_counts(engine: Engine, as_of: date, horizon_days: int = HORIZON_DAYS) -> Counter[str]:
    """How many scheduled sessions in the horizon carry each finding code in their stored result."""
    counts: Counter[str] = Counter()
    until = as_of + timedelta(days=horizon_days)
    with engine.connect() as connection:
        rows = connection.execute(
            select(col(EvaluationResultRow.result))
            .join(SessionRow, col(SessionRow.id) == col(EvaluationResultRow.session_id))
            .where(col(SessionRow.status) == "scheduled", col(SessionRow.date) >= as_of,
                   col(SessionRow.date) <= until))
        for (result,) in rows:
            counts.update({f["code"] for f in result.get("findings", [])})
    return counts


@contextmanager
def _environment(values: dict[str, str], *, override: bool) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if override or name not in os.environ:
            os.environ[name] = value
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


def _run_flow(flow: Any, **parameters: Any) -> dict[str, Any] | str:
    """The flow run's return value, or what went wrong in one line."""
    from prefect.exceptions import PrefectException

    try:
        state = flow(**parameters, return_state=True)
        if not state.is_completed():
            return f"the flow run ended {state.type.value.lower()}: {state.message or ''}".strip()
        result: dict[str, Any] = state.result()
        return result
    except (PrefectException, OSError, RuntimeError) as err:
        return f"Prefect could not run {flow.name}: {type(err).__name__}: {err}"


# The day's order; each flow is the one its deployment in prefect.yaml names.
DAY = ("import-practice-data", "pre-visit-check", "submit-authorizations",
       "follow-up-authorizations", "send-alerts", "dispatch-alerts")
DATED = ("pre-visit-check", "submit-authorizations")  # run as of the demo's day


def run_flows(console: Console, today: date,
              sandbox_url: str | None = None) -> dict[str, dict[str, Any]] | str:
    """Every flow once, in the order the day runs them; the outcome of each, or what failed.
    With the payer sandbox's address, its pended reviews end before the follow-up runs."""
    from tracker.scheduling.deployments import load_deployments

    api = os.environ.get("PREFECT_API_URL")
    console.print("Running the flows " + (f"on the Prefect server at {api}" if api
                                          else "in Prefect's ephemeral mode") + ":")
    deployments = {d.name: d for d in load_deployments()}
    outcomes: dict[str, dict[str, Any]] = {}
    for name in DAY:
        flow = deployments[name].flow()
        if name == "follow-up-authorizations" and sandbox_url is not None:
            decided = decide_pended_reviews(sandbox_url)
            if decided:
                console.print(f"  [green]✓[/] the payers ended {len(decided)} pended reviews "
                              "and sent their decisions")
        outcome = _run_flow(flow, **({"as_of": today} if name in DATED else {}))
        if isinstance(outcome, str):
            return f"{name} failed: {outcome}"
        outcomes[name] = outcome
        console.print(f"  [green]✓[/] {name}: {_in_words(name, outcome)}")
    return outcomes


def _in_words(name: str, outcome: dict[str, Any]) -> str:
    if name == "pre-visit-check":
        return (f"{outcome['evaluated']} visits evaluated, {outcome['authorizations_opened']} "
                f"authorizations opened, verdicts {outcome['verdicts']}")
    if name == "submit-authorizations":
        return (f"{outcome['ready']} packages ready; sent {outcome['outcomes']}; "
                f"now {outcome['statuses']}")
    if name == "follow-up-authorizations":
        return (f"{outcome['notifications']} payer notifications applied, "
                f"{outcome['inquiries']} inquiries, decisions {outcome['decisions']}")
    if name == "send-alerts":
        return f"{outcome.get('new', 0)} alerts queued {outcome.get('new_by_kind', {})}"
    if name == "dispatch-alerts":
        return f"{outcome.get('sent', 0)} delivered {outcome.get('by_channel', {})}"
    return ", ".join(f"{k} {v}" for k, v in outcome.items()) or "nothing to do"


@contextmanager
def _console_alerts_only() -> Iterator[None]:
    """The demo never texts or emails anyone: Twilio and SMTP settings are hidden from it."""
    hidden = {k: v for k, v in os.environ.items()
              if k.startswith(("PAINAUTH_TWILIO_", "PAINAUTH_SMTP_"))}
    for name in hidden:
        del os.environ[name]
    try:
        yield
    finally:
        os.environ.update(hidden)


def _counts_table(counts: Counter[str]) -> Table:
    table = Table(title="Finding codes raised by the pre-visit check (scheduled sessions)")
    table.add_column("finding code")
    table.add_column("severity")
    table.add_column("sessions", justify="right")
    for code, severity in SEVERITY.items():
        n = counts.get(code, 0)
        table.add_row(code, severity, str(n) if n else "[bold red]0[/]")
    return table


def run_practice_demo(console: Console) -> int:
    """Seed a practice, start the payer sandbox and the board's notification endpoint on
    loopback, run every flow once in order, and show what each person would see."""
    settings = load_settings()
    url = demo_database(settings.home)
    home = settings.home / "demo"
    today = date.today()
    upgrade(url)
    engine = connect(url)
    try:
        report = seed_practice(engine, seed=DEMO_SEED, as_of=today,
                               shape=PracticeShape(patients=DEMO_PATIENTS))
        history = add_authorization_history(engine, as_of=today, seed=DEMO_SEED)
        console.print(f"\n[bold]A synthetic practice[/] in {url.removeprefix('sqlite:///')}: "
                      f"{report.providers} providers, {report.patients} patients "
                      f"({report.scenario_patients} built to raise one finding each), "
                      f"{report.performed} performed sessions over 18 months, "
                      f"{history.authorizations} authorization requests the payers decided on "
                      f"them ({history.denial_steps} peer-to-peers and appeals against the "
                      f"denials), {report.scheduled_in_horizon} visits booked in the next "
                      f"{HORIZON_DAYS} days.")
        drop = home / "drop"
        drop.mkdir(parents=True, exist_ok=True)
        for sample in sorted(SAMPLES.glob("*.csv")):
            shutil.copy(sample, drop / sample.name)
        with payer_sandbox() as payer_url, notification_endpoint(engine) as (board_url, token):
            environment = {"PAINAUTH_DATABASE_URL": url, "PAINAUTH_HOME": str(home),
                           "PAINAUTH_NOTIFICATION_TOKEN": token, **payer_settings(payer_url),
                           **PRACTICE_IDENTITY}
            with _environment(environment, override=True), \
                    _environment(QUIET_PREFECT, override=False), _console_alerts_only():
                subscribe_payers(payer_url, board_url, token)
                outcomes = run_flows(console, today, payer_url)
        if isinstance(outcomes, str):
            console.print(f"[bold red]{outcomes}[/]")
            return 1
        faxed = record_one_fax_send(engine)
        if faxed is not None:
            console.print(f"Billing faxed the packet of authorization {faxed} and recorded the "
                          "send; the other fax packets read \"packet ready to send\".")
        every = upcoming_visits(engine, today, HORIZON_DAYS)
        # the board as the day ends, as the next hourly pre-visit check records it: the visits
        # flagged this morning and approved since count as protected
        record_readiness(engine, every)
        visits = [v for v in every if v.needs_attention]
        console.print(visits_table(visits, f"The scheduler's board: visits needing attention, "
                                              f"{today} + {HORIZON_DAYS} days ({len(visits)})",
                                      every))
        counts = finding_counts(engine, today)
        console.print(authorizations_table(engine))
        console.print(packets_summary(home / "packets"))
        console.print(alerts_table(engine, home / "outbox"))
        console.print(programs_table(engine, today, HORIZON_DAYS))
        console.print(approval_rates_table(engine, today.year))
        console.print(money_table(engine, today))
        console.print(monthly_report_summary(engine, today, home / "reports"))
    finally:
        engine.dispose()
    console.print(_counts_table(counts))
    missing = [code for code in SEVERITY if not counts.get(code)]
    console.print("Every finding code occurred." if not missing
                  else f"[bold red]Finding codes that did not occur: {', '.join(missing)}[/]")
    _print_next_steps(console, url)
    return 0 if not missing else 1


def _print_next_steps(console: Console, url: str) -> None:
    api = os.environ.get("PREFECT_API_URL")
    console.print("\n[bold]Look closer[/]")
    console.print(f"  the board:     PAINAUTH_DATABASE_URL={url} painauth serve   "
                  "(then http://127.0.0.1:8000)")
    console.print(f"  the terminal:  PAINAUTH_DATABASE_URL={url} painauth status --attention")
    if api:
        ui = api.removesuffix("/").removesuffix("/api")
        console.print(f"  Prefect UI:    {ui}/runs — the pre-visit-check run and its "
                      "pre-visit-status artifact")
    else:
        console.print("  Prefect UI:    prefect server start   (then http://127.0.0.1:4200); "
                      "run `PREFECT_API_URL=http://127.0.0.1:4200/api make demo` to see the run "
                      "and its pre-visit-status artifact there")
