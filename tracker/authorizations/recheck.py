"""Checking a patient again at once, after staff change what is on file for them (evidence
entered on the board, a document uploaded or withdrawn): the pre-visit check of their upcoming
visits — exactly as the hourly run does it, so their readiness is current — then every package of
theirs still being prepared, so "documentation missing" turns "ready" the moment the last item
is entered, with the event saying who did it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.packages.errors import PackageError
from tracker.packages.preparation import PREPARABLE, Preparation, prepare_authorization
from tracker.store.tables import AuthorizationRow, SessionRow
from tracker.visits.pre_visit import check_patient_now


@dataclass(frozen=True)
class Recheck:
    evaluated: int  # upcoming visits evaluated again
    preparations: tuple[Preparation, ...]
    problems: tuple[str, ...]

    def status_of(self, authorization_id: int) -> str | None:
        return next((p.to_status for p in self.preparations
                     if p.authorization_id == authorization_id), None)


def recheck_patient(engine: Engine, patient_id: int, *, actor: str, as_of: date) -> Recheck:
    """The pre-visit check of the patient's upcoming visits, then each of their authorizations
    still being prepared (needed, documentation missing, ready), one transaction each."""
    summary = check_patient_now(engine, patient_id, as_of)
    with DbSession(engine) as db:
        ids = list(db.exec(select(AuthorizationRow.id)
                           .join(SessionRow, col(SessionRow.id) == col(AuthorizationRow.session_id))
                           .where(SessionRow.patient_id == patient_id,
                                  col(AuthorizationRow.status).in_(PREPARABLE))
                           .order_by(col(AuthorizationRow.id))))
    preparations, problems = [], list(summary.problems)
    for authorization_id in ids:
        assert authorization_id is not None
        try:
            preparations.append(prepare_authorization(engine, authorization_id, actor, as_of))
        except PackageError as error:
            problems.append(str(error))
    return Recheck(evaluated=summary.evaluated, preparations=tuple(preparations),
                   problems=tuple(problems))
