"""The facts one evaluation works from, resolved once: the scheduled procedures and the others."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date

from tracker.codes import Catalog
from tracker.rules.policy import Selector
from tracker.rules.procedures import DatedSession, Procedure, dated_sessions, procedures_of
from tracker.rules.session import (
    CheckRequest,
    ConservativeCare,
    Exemption,
    PsychEvaluation,
    Session,
)


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
    service_state: str | None = None
    exemptions: tuple[Exemption, ...] = ()
    # the other sessions as recorded (with their places of service), for prior-authorization rules
    recorded: tuple[Session, ...] = ()
    _dates: dict[tuple[Selector, str | None], list[dt.date]] = field(default_factory=dict)
    _regions: dict[Selector, list[str | None]] = field(default_factory=dict)
    _by_family: dict[tuple[str, str | None], list[tuple[dt.date, Procedure]]] | None = None

    @property
    def date(self) -> date:
        return self.scheduled.date

    def regions_of(self, selector: Selector) -> list[str | None]:
        """The regions of the scheduled procedures the selector speaks of."""
        regions = self._regions.get(selector)
        if regions is None:
            found = {p.region for p in self.procedures if applies_to(selector, p)}
            regions = self._regions[selector] = sorted(found, key=lambda r: r or "")
        return regions

    def other_dates(self, selector: Selector, region: str | None) -> list[dt.date]:
        """Dates (ascending) of the other sessions holding the selected procedures in the region."""
        key = (selector, region)
        dates = self._dates.get(key)
        if dates is None:
            index = self._family_index()
            found = {day for family in selector.families
                     for day, procedure in index.get((family, region), ())
                     if applies_to(selector, procedure)}
            dates = self._dates[key] = sorted(found)
        return dates

    def _family_index(self) -> dict[tuple[str, str | None], list[tuple[dt.date, Procedure]]]:
        if self._by_family is None:
            index: dict[tuple[str, str | None], list[tuple[dt.date, Procedure]]] = {}
            for session in self.others:
                for procedure in session.procedures:
                    index.setdefault((procedure.family, procedure.region), []).append(
                        (session.date, procedure))
            object.__setattr__(self, "_by_family", index)
        assert self._by_family is not None
        return self._by_family


def facts_of(request: CheckRequest, catalog: Catalog) -> Facts:
    day = request.scheduled.date
    performed = dated_sessions(request.history, catalog, exclude=day)
    if request.other_scheduled:
        others = dated_sessions(request.history + request.other_scheduled, catalog, exclude=day)
    else:  # history is never after the scheduled date, so the performed sessions are the others
        others = performed
    return Facts(
        scheduled=request.scheduled,
        procedures=procedures_of(request.scheduled, catalog),
        others=tuple(others),
        performed=tuple(performed),
        conservative_care=tuple(sorted(request.conservative_care,
                                       key=lambda c: (c.start, c.end, c.kind))),
        psych_evaluations=tuple(sorted(request.psych_evaluations,
                                       key=lambda e: (e.date, e.result))),
        service_state=request.service_state,
        exemptions=request.exemptions,
        recorded=request.history + request.other_scheduled,
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
