"""The facts one evaluation works from, resolved once: the scheduled procedures and the others."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tracker.codes import Catalog
from tracker.rules.policy import Selector
from tracker.rules.procedures import DatedSession, Procedure, dated_sessions, procedures_of
from tracker.rules.session import CheckRequest, ConservativeCare, PsychEvaluation, Session


@dataclass(frozen=True)
class Facts:
    scheduled: Session
    procedures: tuple[Procedure, ...]
    # every other session that counts against limits and intervals (performed and booked)
    others: tuple[DatedSession, ...]
    # performed sessions before the scheduled date: the evidence of prior response and blocks
    performed: tuple[DatedSession, ...]
    conservative_care: tuple[ConservativeCare, ...]
    psych_evaluations: tuple[PsychEvaluation, ...]

    @property
    def date(self) -> date:
        return self.scheduled.date


def facts_of(request: CheckRequest, catalog: Catalog) -> Facts:
    day = request.scheduled.date
    others = dated_sessions(request.history + request.other_scheduled, catalog, performed=False,
                            exclude=day)
    performed = [s for s in dated_sessions(request.history, catalog, performed=True) if s.date < day]
    return Facts(
        scheduled=request.scheduled,
        procedures=procedures_of(request.scheduled, catalog),
        others=tuple(others),
        performed=tuple(performed),
        conservative_care=tuple(sorted(request.conservative_care,
                                       key=lambda c: (c.start, c.end, c.kind))),
        psych_evaluations=tuple(sorted(request.psych_evaluations,
                                       key=lambda e: (e.date, e.result))),
    )


def applies_to(selector: Selector, procedure: Procedure) -> bool:
    return selector.matches(procedure.family, procedure.intent, procedure.codes)


def holds(session: DatedSession, selector: Selector, region: str | None,
          same_region: bool = True) -> bool:
    """The session holds a procedure the selector speaks of (in `region` when `same_region`)."""
    return any(
        (not same_region or p.region == region) and applies_to(selector, p)
        for p in session.procedures
    )
