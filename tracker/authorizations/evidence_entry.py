"""Evidence billing enters or corrects on the board for an authorization's patient: an episode of
conservative care (kind, dates, outcome, drugs, therapy visits), the outcome of a performed
session (relief, how long it lasted, pain before and after on the 0-10 scale; a diagnostic
block's relief is the same), a psychological evaluation (date, evaluator, result).

Each save writes an event in the authorization's history (who, when, what) and then checks the
patient again at once (`tracker.authorizations.recheck`), so the package's status and the visit's
readiness follow what was entered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.authorizations.decisions import change_status
from tracker.authorizations.recheck import Recheck, recheck_patient
from tracker.errors import InputError
from tracker.packages.package import CARE_OUTCOME_NAMES
from tracker.rules.session import CARE_KINDS, PSYCH_RESULTS
from tracker.store.tables import (
    AuthorizationRow,
    ConservativeCareRow,
    PsychEvaluationRow,
    SessionCodeRow,
    SessionRow,
    utc_now,
)

CARE_OUTCOMES = tuple(CARE_OUTCOME_NAMES)
PAIN_SCALE = (0, 10)
LONGEST_DURATION_DAYS = 3650
MOST_VISITS = 500


@dataclass(frozen=True)
class CareEpisodeEntry:
    kind: str
    start: date
    end: date
    outcome: str | None = None
    drugs: str | None = None
    visits: int | None = None


@dataclass(frozen=True)
class SessionOutcomeEntry:
    relief_percent: float | None
    duration_days: int | None = None
    pain_before: int | None = None
    pain_after: int | None = None


@dataclass(frozen=True)
class PsychEvaluationEntry:
    date: date
    evaluator: str
    result: str

    @property
    def words(self) -> str:
        return f"{self.date.isoformat()} by {self.evaluator}, {self.result.replace('_', ' ')}"


@dataclass(frozen=True)
class PerformedSession:
    """A performed session of the patient, with the outcome on file, for the outcome form."""

    id: int
    date: date
    intent: str | None
    codes: str
    relief_percent: float | None
    duration_days: int | None
    pain_before: int | None
    pain_after: int | None


@dataclass(frozen=True)
class EvidenceOnFile:
    patient_id: int
    care: tuple[ConservativeCareRow, ...]
    sessions: tuple[PerformedSession, ...]
    evaluations: tuple[PsychEvaluationRow, ...]


# -- reading what the forms show ----------------------------------------------------------------

def evidence_on_file(engine: Engine, authorization_id: int) -> EvidenceOnFile | None:
    with DbSession(engine) as db:
        patient_id = _patient_of(db, authorization_id)
        if patient_id is None:
            return None
        care = tuple(db.exec(select(ConservativeCareRow)
                             .where(ConservativeCareRow.patient_id == patient_id)
                             .order_by(col(ConservativeCareRow.start))))
        evaluations = tuple(db.exec(select(PsychEvaluationRow)
                                    .where(PsychEvaluationRow.patient_id == patient_id)
                                    .order_by(col(PsychEvaluationRow.date))))
        sessions = list(db.exec(select(SessionRow)
                                .where(SessionRow.patient_id == patient_id,
                                       SessionRow.status == "performed")
                                .order_by(col(SessionRow.date).desc())))
        codes: dict[int, list[str]] = {}
        for line in db.exec(select(SessionCodeRow)
                            .where(col(SessionCodeRow.session_id).in_([s.id for s in sessions]))
                            .order_by(col(SessionCodeRow.position))):
            codes.setdefault(line.session_id, []).append(line.code)
        return EvidenceOnFile(
            patient_id=patient_id, care=care, evaluations=evaluations,
            sessions=tuple(PerformedSession(
                id=s.id or 0, date=s.date, intent=s.intent, codes=" ".join(codes.get(s.id or 0, [])),
                relief_percent=s.relief_percent, duration_days=s.duration_days,
                pain_before=s.pain_before, pain_after=s.pain_after) for s in sessions))


# -- checking what was entered ------------------------------------------------------------------

def care_episode_entry(kind: str, start: date | None, end: date | None, outcome: str,
                       drugs: str, visits: int | None, *, as_of: date) -> CareEpisodeEntry:
    if kind not in CARE_KINDS:
        raise InputError("kind", f"choose the kind of care: {', '.join(CARE_KINDS)}")
    if start is None:
        raise InputError("start", "give the day the care started (YYYY-MM-DD)")
    if end is None:
        raise InputError("end", "give the day the care ended (YYYY-MM-DD); for care still going "
                         "on, today")
    if start > as_of:
        raise InputError("start", f"{start.isoformat()} is in the future; enter care given, "
                         "not planned")
    if end < start:
        raise InputError("end", f"{end.isoformat()} is before the start {start.isoformat()}")
    outcome = outcome.strip()
    if outcome and outcome not in CARE_OUTCOMES:
        raise InputError("outcome", f"choose the outcome: {', '.join(CARE_OUTCOMES)}")
    drugs = " ".join(drugs.split())
    if len(drugs) > 200:
        raise InputError("drugs", "name the drugs in under 200 characters")
    if visits is not None and not 0 <= visits <= MOST_VISITS:
        raise InputError("visits", f"{visits} is not a number of therapy visits (0 to "
                         f"{MOST_VISITS})")
    return CareEpisodeEntry(kind=kind, start=start, end=end, outcome=outcome or None,
                            drugs=drugs or None, visits=visits)


def session_outcome_entry(relief_percent: float | None, duration_days: int | None,
                          pain_before: int | None, pain_after: int | None) -> SessionOutcomeEntry:
    if relief_percent is not None and not 0 <= relief_percent <= 100:
        raise InputError("relief_percent", f"{relief_percent:g} is not a percentage; write the "
                         "relief from 0 to 100")
    if duration_days is not None and not 0 <= duration_days <= LONGEST_DURATION_DAYS:
        raise InputError("duration_days", f"{duration_days} is not a number of days the relief "
                         f"lasted (0 to {LONGEST_DURATION_DAYS})")
    low, high = PAIN_SCALE
    for name, score in (("pain_before", pain_before), ("pain_after", pain_after)):
        if score is not None and not low <= score <= high:
            raise InputError(name, f"{score} is off the pain scale; score pain from {low} to "
                             f"{high}, before and after on the same scale")
    if relief_percent is None and pain_before is None and pain_after is None:
        raise InputError("relief_percent", "enter the relief (0-100 %) or the pain scores "
                         "before and after")
    return SessionOutcomeEntry(relief_percent=relief_percent, duration_days=duration_days,
                               pain_before=pain_before, pain_after=pain_after)


def psych_evaluation_entry(on: date | None, evaluator: str, result: str, *,
                           as_of: date) -> PsychEvaluationEntry:
    if on is None:
        raise InputError("evaluation_date", "give the day of the evaluation (YYYY-MM-DD)")
    if on > as_of:
        raise InputError("evaluation_date", f"{on.isoformat()} is in the future; enter an "
                         "evaluation that took place")
    evaluator = " ".join(evaluator.split())
    if not evaluator:
        raise InputError("evaluator", "name the psychologist or psychiatrist who evaluated")
    if len(evaluator) > 120:
        raise InputError("evaluator", "name the evaluator in under 120 characters")
    if result not in PSYCH_RESULTS:
        raise InputError("result", f"choose the result: {', '.join(PSYCH_RESULTS)}")
    return PsychEvaluationEntry(date=on, evaluator=evaluator, result=result)


# -- saving -------------------------------------------------------------------------------------

def save_care_episode(engine: Engine, authorization_id: int, entry: CareEpisodeEntry, *,
                      actor: str, as_of: date, episode_id: int | None = None) -> Recheck:
    """Enter an episode, or correct `episode_id` (or the episode of the same kind and start)."""
    with DbSession(engine) as db:
        auth, patient_id = locked_authorization(db, authorization_id)
        same_start = db.exec(select(ConservativeCareRow).where(
            ConservativeCareRow.patient_id == patient_id, ConservativeCareRow.kind == entry.kind,
            ConservativeCareRow.start == entry.start)).first()
        row = db.get(ConservativeCareRow, episode_id) if episode_id else same_start
        if episode_id and (row is None or row.patient_id != patient_id):
            raise InputError("episode", f"episode {episode_id} is not this patient's; reload "
                             "the page")
        if row is not None and same_start is not None and same_start.id != row.id:
            raise InputError("start", f"another {entry.kind.replace('_', ' ')} episode starts on "
                             f"{entry.start.isoformat()}; correct that one instead")
        corrected = row is not None
        row = row or ConservativeCareRow(patient_id=patient_id, kind=entry.kind,
                                         start=entry.start, end=entry.end)
        row.kind, row.start, row.end = entry.kind, entry.start, entry.end
        row.outcome, row.drugs, row.visits = entry.outcome, entry.drugs, entry.visits
        row.updated_at = utc_now()
        db.add(row)
        words = (f"{entry.kind.replace('_', ' ')} {entry.start.isoformat()} to "
                 f"{entry.end.isoformat()}, outcome {entry.outcome or 'not given'}"
                 + (f", drugs {entry.drugs}" if entry.drugs else "")
                 + (f", {entry.visits} visits" if entry.visits is not None else ""))
        change_status(db, auth, auth.status, actor=actor,
                      reason=f"conservative care {'corrected' if corrected else 'entered'}: {words}")
        db.commit()
    return recheck_patient(engine, patient_id, actor=actor, as_of=as_of)


def save_session_outcome(engine: Engine, authorization_id: int, session_id: int,
                         entry: SessionOutcomeEntry, *, actor: str, as_of: date) -> Recheck:
    """The outcome of one of the patient's performed sessions (a diagnostic block's relief
    included)."""
    with DbSession(engine) as db:
        auth, patient_id = locked_authorization(db, authorization_id)
        session = db.get(SessionRow, session_id)
        if session is None or session.patient_id != patient_id:
            raise InputError("session", f"session {session_id} is not this patient's; reload the "
                             "page")
        if session.status != "performed":
            raise InputError("session", f"the session of {session.date.isoformat()} is "
                             f"{session.status}; outcomes are entered on performed sessions")
        session.relief_percent, session.duration_days = entry.relief_percent, entry.duration_days
        session.pain_before, session.pain_after = entry.pain_before, entry.pain_after
        session.updated_at = utc_now()
        db.add(session)
        what = "diagnostic block" if session.intent == "diagnostic" else "session"
        parts = [f"{entry.relief_percent:g} % relief" if entry.relief_percent is not None
                 else "relief not given"]
        if entry.duration_days is not None:
            parts.append(f"for {entry.duration_days} days")
        if entry.pain_before is not None or entry.pain_after is not None:
            parts.append(f"pain {_score(entry.pain_before)} → {_score(entry.pain_after)} of 10")
        change_status(db, auth, auth.status, actor=actor,
                      reason=f"outcome of the {what} of {session.date.isoformat()} entered: "
                             + ", ".join(parts))
        db.commit()
    return recheck_patient(engine, patient_id, actor=actor, as_of=as_of)


def save_psych_evaluation(engine: Engine, authorization_id: int, entry: PsychEvaluationEntry, *,
                          actor: str, as_of: date) -> Recheck:
    with DbSession(engine) as db:
        auth, patient_id = locked_authorization(db, authorization_id)
        put_psych_evaluation(db, auth, patient_id, entry, actor=actor)
        db.commit()
    return recheck_patient(engine, patient_id, actor=actor, as_of=as_of)


def put_psych_evaluation(db: DbSession, auth: AuthorizationRow, patient_id: int,
                         entry: PsychEvaluationEntry, *, actor: str, source: str = "") -> None:
    """Enter (or correct, the same day's) evaluation and say so in `auth`'s history; the caller
    commits."""
    row = db.exec(select(PsychEvaluationRow).where(PsychEvaluationRow.patient_id == patient_id,
                                                   PsychEvaluationRow.date == entry.date)).first()
    corrected = row is not None
    row = row or PsychEvaluationRow(patient_id=patient_id, date=entry.date, result=entry.result)
    row.result, row.evaluator, row.updated_at = entry.result, entry.evaluator, utc_now()
    db.add(row)
    change_status(db, auth, auth.status, actor=actor,
                  reason=f"psychological evaluation {'corrected' if corrected else 'entered'}"
                         f"{source}: {entry.words}")


def locked_authorization(db: DbSession, authorization_id: int) -> tuple[AuthorizationRow, int]:
    """The authorization, locked for this transaction, and its patient's id."""
    auth = db.get(AuthorizationRow, authorization_id, with_for_update=True)
    if auth is None:
        raise InputError("authorization", f"no authorization with id {authorization_id}")
    session = db.get(SessionRow, auth.session_id)
    assert session is not None
    return auth, session.patient_id


def _patient_of(db: DbSession, authorization_id: int) -> int | None:
    auth = db.get(AuthorizationRow, authorization_id)
    if auth is None:
        return None
    session = db.get(SessionRow, auth.session_id)
    return session.patient_id if session is not None else None


def _score(score: int | None) -> str:
    return "?" if score is None else str(score)
