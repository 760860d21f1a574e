"""The demo's closing pages: what billing sees of the authorizations, the packets for staff, the
alerts providers received, and Medicare's programs (WISeR, OPD, exemptions)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from rich.table import Table
from sqlalchemy import Engine, select
from sqlmodel import col

from notifications.listing import alert_lines
from tracker.authorizations.exemptions import approval_rates
from tracker.money.capture import KIND_WORDS
from tracker.money.fee_schedule import dollars
from tracker.money.headline import headline
from tracker.store.tables import AuthorizationRow, PatientRow, SessionRow
from tracker.visits.upcoming import upcoming_visits

EXAMPLES_PER_STATUS = 3


def authorizations_table(engine: Engine) -> Table:
    """Authorizations by status, with a few examples each: the payer's word and the flags."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(col(AuthorizationRow.id), col(AuthorizationRow.status),
                   col(AuthorizationRow.payer), col(AuthorizationRow.auth_number),
                   col(AuthorizationRow.valid_to), col(AuthorizationRow.flags),
                   col(AuthorizationRow.decision_reason), col(AuthorizationRow.missing_items),
                   col(PatientRow.mrn), col(SessionRow.date))
            .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
            .join(PatientRow, col(PatientRow.id) == col(SessionRow.patient_id))
            .order_by(col(AuthorizationRow.status), col(SessionRow.date))).all()
    counts = Counter(row.status for row in rows)
    table = Table(title="Billing's view: authorizations by status ("
                  + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) + ")")
    for column in ("id", "status", "payer", "MRN", "visit", "auth number", "valid to", "flags",
                   "payer's word / what is missing"):
        table.add_column(column, overflow="fold")
    shown: Counter[str] = Counter()
    for row in rows:
        if shown[row.status] >= EXAMPLES_PER_STATUS:
            continue
        shown[row.status] += 1
        why = row.decision_reason or "; ".join(row.missing_items or []) or ""
        table.add_row(str(row.id), row.status, row.payer, row.mrn, str(row.date),
                      row.auth_number or "", str(row.valid_to or ""), ", ".join(row.flags or []),
                      why[:160])
    return table


def packets_summary(folder: Path) -> str:
    packets = sorted(folder.glob("*.pdf"))
    if not packets:
        return "No packets were written."
    listed = "\n".join(f"  {p}" for p in packets[:5])
    more = f"\n  … and {len(packets) - 5} more in {folder}" if len(packets) > 5 else ""
    return f"\n[bold]PDF packets[/] for payer reviewers and for fax/portal staff:\n{listed}{more}"


def alerts_table(engine: Engine, outbox: Path) -> Table:
    lines = alert_lines(engine)
    table = Table(title=f"Providers' alerts ({len(lines)}; the messages are in {outbox})")
    for column in ("alert", "kind", "provider", "patient ref", "visit", "urgency", "status",
                   "delivered by"):
        table.add_column(column, overflow="fold")
    for line in lines[:15]:
        table.add_row(str(line.id), line.kind_words, line.provider, line.reference,
                      line.visit_date or "", line.urgency, line.status,
                      ", ".join(f"{d.channel} {d.status}" for d in line.deliveries))
    return table


PROGRAM_CODES = ("PRIOR_AUTH_REQUIRED", "PRIOR_AUTH_EXEMPT", "SERVICE_STATE_UNKNOWN")


def programs_table(engine: Engine, today: date, days: int) -> Table:
    """The visits a state-scoped or place-scoped program speaks of (WISeR at the Texas location,
    the OPD list, an exemption) with the program's own words."""
    table = Table(title="Medicare's programs on the board: WISeR, OPD and exemptions")
    for column in ("date", "MRN", "provider", "codes", "verdict", "auth", "program finding"):
        table.add_column(column, overflow="fold")
    for visit in upcoming_visits(engine, today, days):
        if visit.payer != "medicare":
            continue
        for finding in visit.findings:
            if finding.startswith(PROGRAM_CODES):
                table.add_row(str(visit.date), visit.mrn, visit.provider, visit.codes,
                              visit.verdict, visit.auth_status, finding)
    return table


def approval_rates_table(engine: Engine, year: int) -> Table:
    """Each provider's approval rate per program over its review period: who qualifies for an
    exemption, who is close."""
    table = Table(title=f"Exemptions: approval rates {year} (the board's /exemptions page)")
    for column in ("provider", "program", "service", "period", "approved", "rate", "needs",
                   "standing"):
        table.add_column(column, overflow="fold")
    for rate in approval_rates(engine, year):
        table.add_row(f"{rate.provider_name} (NPI {rate.provider_npi})", rate.program,
                      rate.service, f"{rate.period[0]} – {rate.period[1]}",
                      f"{rate.approved} of {rate.requests}", f"{rate.rate_percent:.0f} %",
                      f"≥ {rate.min_rate_percent:g} % of ≥ {rate.min_requests}", rate.standing)
    return table


def money_table(engine: Engine, today: date) -> Table:
    """The revenue headline (at risk this week, protected, not captured last month) and last
    month's charges to capture by kind, priced from the practice's fee schedule."""
    top = headline(engine, today)
    table = Table(title=f"The practice's money, {today}: the revenue headline")
    table.add_column("figure")
    table.add_column("amount", justify="right")
    table.add_column("of what")
    risk, saved, missed = top.at_risk, top.protected, top.not_captured
    for (figure, cents), line in zip((("at risk this week", risk.total_cents),
                                      ("protected", saved.total_cents),
                                      ("not captured last month", missed.total_cents)),
                                     top.lines(), strict=True):
        table.add_row(figure, dollars(cents), line.split(": ", 1)[1].split(" ", 1)[1])
    for kind, words in KIND_WORDS.items():
        found = [c for c in missed.charges if c.kind == kind]
        table.add_row(f"  {words}", dollars(missed.by_kind.get(kind, 0)),
                      "; ".join(f"{c.code}{'×' + str(c.units) if c.units != 1 else ''} "
                                f"({'no fee on file' if c.amount_cents is None else dollars(c.amount_cents)})"
                                for c in found) or "none")
    return table


def monthly_report_summary(engine: Engine, today: date, folder: Path) -> str:
    """Write the last full month's report for the practice owner; say where, with its headline."""
    from tracker.figures.monthly_pdf import render_monthly_report
    from tracker.figures.report import last_full_month, money_report, practice_report

    report = practice_report(engine, last_full_month(today))
    money = money_report(engine, report.month, today)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"practice-{report.month.label}.pdf"
    path.write_bytes(render_monthly_report(report, money, today))
    headline = "\n".join(f"  {what}: {value}"
                         for what, value in report.headline() + money.headline())
    return (f"\n[bold]The owner's monthly report[/] for {report.month.label} "
            f"(`painauth report monthly`, and the board's Practice page): {path}\n{headline}")
