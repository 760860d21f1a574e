"""A decided authorization history for a synthetic practice: the requests its performed sessions
went through, so the Practice page, the monthly report and the weekly figures have months of
approvals, turnaround, denials and appeals to show. The demo seeds it for its 300 patients and
`bench/practice_page.py` for the 100,000-patient practice.

Only a session a payer's prior-authorization program asks a request for gets one: the program
of the first rule of the payer's policy in force on the visit's date (its procedures, place of
service and state) for the patient's primary coverage that day. A session that already has an
authorization keeps it, and a program a provider already has decided requests in (the exempt
provider's OPD record, `tracker.practice.scenarios.opd_decision_history`) or is exempt from is
left as it is, so the standing built on purpose is not diluted by chance.

Each request is submitted 3 to 20 days before its visit and decided about 60 hours later
(exponentially: a few take longer than the program's clock, `decision_deadline`). Per calendar
month of the decision, `count / months` requests are chosen, approved in full (80 %), in part
(7 %) or denied (13 %) with the payer's coded reason — at least one of each in a month of three
or more. The first denial of each month has a peer-to-peer against it (overturned once its
window has passed), and two of the other denials in five a peer-to-peer or a first-level
appeal: overturned, upheld or withdrawn, or still open while its window runs.

Deterministic for a seed and the practice's rows; written with SQLAlchemy Core bulk inserts.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Engine, exists, func, insert, literal, select, update
from sqlmodel import col

from tracker.authorizations.appeal_windows import appeal_windows
from tracker.authorizations.decisions import decision_deadline
from tracker.authorizations.denials import DENIAL_CLOSED
from tracker.codes import load_catalog
from tracker.figures.approvals import DECIDED
from tracker.figures.months import month_of, months_before
from tracker.rules.facts import applies_to
from tracker.rules.policy import PriorAuthorization
from tracker.rules.policy_files import policies_in_force
from tracker.rules.procedures import procedures_of
from tracker.rules.session import CodeLine, Intent, Session
from tracker.store.database import analyze
from tracker.store.tables import (
    AuthorizationRow,
    CoverageRow,
    DenialStepRow,
    ExemptionRow,
    LocationRow,
    PatientRow,
    ProviderRow,
    SessionCodeRow,
    SessionRow,
)

SHARES = (("partial", 0.07), ("denied", 0.13))  # the rest are approved in full
REASONS: tuple[tuple[str | None, str], ...] = (
    ("CO-50", "not medically necessary"), ("N386", "criteria not met (NCD/LCD)"),
    ("CO-197", "precertification absent"), (None, "conservative care not documented"),
    ("CO-16", "missing information"), (None, "frequency limit reached"))
PARTLY = "approved in part: fewer levels than requested"
MEAN_HOURS = 60.0
LEAD_DAYS = (3, 20)
STEP_SHARE = 0.4
OUTCOMES = (("overturned", 0.45), ("upheld", 0.40), ("withdrawn", 0.15))
OPENED_BY = "synthetic history"
_SESSION_CHUNK = 20_000
_INSERT_CHUNK = 5000


@dataclass(frozen=True)
class HistoryReport:
    authorizations: int
    denial_steps: int


class _Request(NamedTuple):
    session_id: int
    visit: date
    payer: str
    program: str
    plan_type: str | None
    submitted: datetime
    decided: datetime


class _Coverage(NamedTuple):
    payer: str
    start: date
    end: date | None
    plan_type: str | None


class _Programs:
    """Which program asks a request for a session: the first prior-authorization rule of the
    payer's policy in force on the date whose place, state and procedures are the session's.
    A practice books a few dozen kinds of session, so the answers are memoized."""

    def __init__(self) -> None:
        self.policies = policies_in_force()
        self.catalog = load_catalog()
        self.rules: dict[tuple[str, date], tuple[PriorAuthorization, ...]] = {}
        self.found: dict[tuple[Any, ...], str | None] = {}

    def asking(self, payer: str, day: date, lines: tuple[CodeLine, ...], place: str,
               state: str | None, intent: str | None) -> str | None:
        rules = self.rules.get((payer, day))
        if rules is None:
            policy = self.policies.get(payer)
            rules = self.rules[(payer, day)] = tuple(
                cast(PriorAuthorization, r) for r in policy.of_type(PriorAuthorization, day)
            ) if policy is not None else ()
        key = (tuple(r.id for r in rules), lines, place, state, intent)
        if key not in self.found:
            session = Session(date=day, codes=lines, place_of_service=place,
                              intent=cast(Intent | None, intent))
            procedures = procedures_of(session, self.catalog)
            self.found[key] = next(
                (r.program for r in rules
                 if r.program and (not r.places_of_service or place in r.places_of_service)
                 and (not r.states or state in r.states)
                 and any(applies_to(r.applies, p) for p in procedures)), None)
        return self.found[key]


def add_authorization_history(engine: Engine, *, as_of: date, seed: int = 7, months: int = 18,
                              count: int | None = None) -> HistoryReport:
    """Decided requests on the performed sessions of the `months` calendar months ending with
    `as_of`'s: `count` of them (default: one per patient of the practice)."""
    rng = random.Random(seed)
    periods = months_before(month_of(as_of), months)
    with engine.begin() as connection:
        wanted = count if count is not None else int(connection.execute(
            select(func.count(literal(1))).select_from(PatientRow)).scalar_one())
        by_month: dict[date, list[_Request]] = defaultdict(list)
        for request in _requests(connection, rng, periods[0].first, as_of):
            by_month[request.decided.date().replace(day=1)].append(request)
        rows: list[dict[str, Any]] = []
        for period, quota in zip(periods, _spread(wanted, len(periods)), strict=True):
            found = by_month.get(period.first, [])
            chosen = sorted(rng.sample(found, min(quota, len(found))))
            rows += [_row(r, status, rng) for r, status in zip(chosen, _statuses(len(chosen), rng),
                                                                strict=True)]
        for start in range(0, len(rows), _INSERT_CHUNK):
            connection.execute(insert(AuthorizationRow), rows[start:start + _INSERT_CHUNK])
        steps, closed = _steps(connection, [r for r in rows if r["status"] == "denied"], rng,
                               as_of)
        for start in range(0, len(steps), _INSERT_CHUNK):
            connection.execute(insert(DenialStepRow), steps[start:start + _INSERT_CHUNK])
        for start in range(0, len(closed), 900):  # settled long ago: not work any more
            connection.execute(update(AuthorizationRow)
                               .where(col(AuthorizationRow.id).in_(closed[start:start + 900]))
                               .values(flags=[DENIAL_CLOSED]))
    analyze(engine)  # as after seeding: the figures' first queries find the new rows' indexes
    return HistoryReport(authorizations=len(rows), denial_steps=len(steps))


def _spread(total: int, parts: int) -> list[int]:
    """`total` over `parts` months, the remainder to the latest."""
    base, extra = divmod(total, parts)
    return [base + (index >= parts - extra) for index in range(parts)]


def _statuses(count: int, rng: random.Random) -> list[str]:
    """Approved, partly approved and denied in their shares, at least one of each from three."""
    statuses: list[str] = []
    for status, share in SHARES:
        statuses += [status] * max(int(count >= 3), round(count * share))
    statuses = statuses[:count] + ["approved"] * max(0, count - len(statuses))
    rng.shuffle(statuses)
    return statuses


def _requests(connection: Connection, rng: random.Random, since: date,
              as_of: date) -> Iterator[_Request]:
    """Every performed session from `since` a program asks a request for, with its submission
    and decision times; decisions after the start of `as_of` are left out."""
    coverages = _primary_coverages(connection)
    left_alone = _programs_left_alone(connection)
    programs = _Programs()
    today = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    authorized = exists().where(col(AuthorizationRow.session_id) == col(SessionRow.id))
    after = 0
    while True:
        sessions: list[Any] = list(connection.execute(
            select(col(SessionRow.id), col(SessionRow.patient_id), col(SessionRow.provider_id),
                   col(SessionRow.date), col(SessionRow.place_of_service),
                   col(SessionRow.intent), func.coalesce(col(LocationRow.state),
                                                         col(SessionRow.service_state)))
            .outerjoin(LocationRow, col(LocationRow.id) == col(SessionRow.location_id))
            .where(col(SessionRow.id) > after, col(SessionRow.status) == "performed",
                   col(SessionRow.date) >= since, col(SessionRow.date) < as_of, ~authorized)
            .order_by(col(SessionRow.id)).limit(_SESSION_CHUNK)))
        if not sessions:
            return
        lines = _code_lines(connection, sessions[0][0], sessions[-1][0])
        after = sessions[-1][0]
        for session_id, patient_id, provider_id, day, place, intent, state in sessions:
            coverage = _in_force(coverages.get(patient_id, ()), day)
            if coverage is None or not lines.get(session_id):
                continue
            program = programs.asking(coverage.payer, day, lines[session_id], place, state,
                                      intent)
            if program is None or {(provider_id, program), (None, program)} & left_alone:
                continue
            submitted = datetime(day.year, day.month, day.day, 9, tzinfo=UTC) - timedelta(
                days=rng.randint(*LEAD_DAYS), minutes=rng.randint(0, 600))
            decided = submitted + timedelta(hours=rng.expovariate(1 / MEAN_HOURS) + 1)
            if decided < today:
                yield _Request(session_id, day, coverage.payer, program, coverage.plan_type,
                               submitted, decided)


def _code_lines(connection: Connection, first: int, last: int) -> dict[int, tuple[CodeLine, ...]]:
    """The codes of sessions `first` to `last`: a rule selects procedures by code, family and
    intent, never by units or modifiers, so those are not read."""
    found: dict[int, list[CodeLine]] = defaultdict(list)
    for session_id, code in connection.execute(
            select(col(SessionCodeRow.session_id), col(SessionCodeRow.code))
            .where(col(SessionCodeRow.session_id) >= first, col(SessionCodeRow.session_id) <= last)
            .order_by(col(SessionCodeRow.session_id), col(SessionCodeRow.position))):
        found[session_id].append(CodeLine(code))
    return {session_id: tuple(lines) for session_id, lines in found.items()}


def _primary_coverages(connection: Connection) -> dict[int, list[_Coverage]]:
    found: dict[int, list[_Coverage]] = defaultdict(list)
    for patient_id, payer, start, end, plan_type in connection.execute(
            select(col(CoverageRow.patient_id), col(CoverageRow.payer),
                   col(CoverageRow.effective_start), col(CoverageRow.effective_end),
                   col(CoverageRow.plan_type))
            .where(col(CoverageRow.rank) == "primary").order_by(col(CoverageRow.id))):
        found[patient_id].append(_Coverage(payer, start, end, plan_type))
    return found


def _in_force(coverages: Sequence[_Coverage], day: date) -> _Coverage | None:
    return next((c for c in coverages if c.start <= day and (c.end is None or day <= c.end)),
                None)


def _programs_left_alone(connection: Connection) -> set[tuple[int | None, str]]:
    """(provider id, program) of the decided requests already recorded, and of the exemptions
    held (provider None: the whole practice's)."""
    recorded: list[Any] = list(connection.execute(
        select(col(SessionRow.provider_id), col(AuthorizationRow.program)).distinct()
        .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
        .where(col(AuthorizationRow.status).in_(DECIDED),
               col(AuthorizationRow.program).is_not(None))))
    providers = dict(connection.execute(select(col(ProviderRow.npi), col(ProviderRow.id))).all())
    exempt = connection.execute(select(col(ExemptionRow.provider_npi),
                                       col(ExemptionRow.program))).all()
    return ({(provider, program) for provider, program in recorded}
            | {(providers.get(npi) if npi else None, program) for npi, program in exempt})


def _row(request: _Request, status: str, rng: random.Random) -> dict[str, Any]:
    code, reason = rng.choice(REASONS) if status == "denied" else (None, None)
    affirmed = status in ("approved", "partial")
    decided_on = request.decided.date()
    return {
        "session_id": request.session_id, "payer": request.payer, "program": request.program,
        "status": status, "missing_items": [], "flags": [], "priority": "standard",
        "checks": 0, "submitted_at": request.submitted, "decided_at": request.decided,
        "decision_due_at": decision_deadline(request.payer, request.submitted, "standard",
                                             program=request.program,
                                             plan_type=request.plan_type),
        "auth_number": f"SYN-H{request.session_id:08d}" if affirmed else None,
        "valid_from": min(decided_on, request.visit) if affirmed else None,
        "valid_to": decided_on + timedelta(days=90) if affirmed else None,
        "denial_code": code, "decision_reason": PARTLY if status == "partial" else reason,
        "created_at": request.submitted, "updated_at": request.decided}


def _steps(connection: Connection, denials: list[dict[str, Any]], rng: random.Random,
           as_of: date) -> tuple[list[dict[str, Any]], list[int]]:
    """The peer-to-peers and first-level appeals against the denials (module docstring), and
    the denials billing has closed: those with nothing open whose first-level window ended
    before `as_of` (the recent ones are still work in the queue, as in a real practice)."""
    ids: dict[int, Any] = {}
    sessions = [d["session_id"] for d in denials]
    for start in range(0, len(sessions), 900):
        ids.update((session_id, auth_id) for auth_id, session_id in connection.execute(
            select(col(AuthorizationRow.id), col(AuthorizationRow.session_id))
            .where(col(AuthorizationRow.session_id).in_(sessions[start:start + 900]))))
    steps, months_seen, closed = [], set(), []
    for denial in sorted(denials, key=lambda d: (d["decided_at"], d["session_id"])):
        denied_on = denial["decided_at"].date()
        first_of_month = denied_on.replace(day=1) not in months_seen
        months_seen.add(denied_on.replace(day=1))
        window_ended = denied_on + timedelta(
            days=appeal_windows(denial["payer"])["first_level"]) < as_of
        if not first_of_month and rng.random() >= STEP_SHARE:
            if window_ended:
                closed.append(ids[denial["session_id"]])
            continue
        kind = "peer_to_peer" if first_of_month or rng.random() < 0.5 else "first_level"
        deadline = denied_on + timedelta(days=appeal_windows(denial["payer"])[kind])
        outcome: str | None = rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
        if first_of_month:
            outcome = "overturned"
        if deadline >= as_of and (first_of_month or rng.random() < 0.5):
            outcome = None
        steps.append({"authorization_id": ids[denial["session_id"]], "kind": kind,
                      "denied_on": denied_on, "deadline": deadline, "opened_by": OPENED_BY,
                      "outcome": outcome, "created_at": denial["decided_at"],
                      "updated_at": denial["decided_at"]})
        if outcome is not None and window_ended:
            closed.append(ids[denial["session_id"]])
    return steps, closed
