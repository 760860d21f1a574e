"""How far back a set of payer policies can look, so the pre-visit check reads no more history.

Frequency windows, intervals and most look-backs are bounded (12 months at most in the shipped
policies), but a few rules look at a patient's whole history: a repeat RFA is judged on the last
RFA however old, a first RFA on diagnostic blocks of any age, a stimulator implant on any earlier
trial. `history_reach` derives both from the policies themselves: the months of full history every
bounded rule needs, and the procedure codes whose sessions count whatever their age. A session
older than the bound and holding none of those codes cannot change any evaluation on or after
`as_of`, because every scheduled date is on or after `as_of` and every window ends on it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tracker.codes import Catalog
from tracker.dates import add_months
from tracker.rules.policy import (
    FrequencyLimit,
    MinimumInterval,
    Policy,
    Prerequisite,
    RepeatResponse,
    Selector,
    StepTherapy,
)

CALENDAR_YEAR_MONTHS = 12


@dataclass(frozen=True)
class HistoryReach:
    months: int  # full history is needed this many calendar months back from as_of
    lasting_codes: frozenset[str]  # sessions with any of these codes are needed at any age

    def since(self, as_of: date) -> date:
        """The first day of full history an evaluation on or after `as_of` can look at."""
        return add_months(as_of, -self.months)


def history_reach(policies: Iterable[Policy], catalog: Catalog) -> HistoryReach:
    months = 0
    lasting: list[Selector] = []
    for policy in policies:
        for rule in policy.rules:
            if isinstance(rule, FrequencyLimit):
                months = max(months, rule.window.months or CALENDAR_YEAR_MONTHS)
            elif isinstance(rule, MinimumInterval):
                months = max(months, rule.months or math.ceil((rule.days or 0) / 28))
            elif isinstance(rule, StepTherapy | RepeatResponse):
                if rule.lookback_months is None:
                    lasting.append(rule.applies)
                else:
                    months = max(months, rule.lookback_months)
            elif isinstance(rule, Prerequisite):
                lasting.extend((rule.applies, rule.requires))
    return HistoryReach(months=months, lasting_codes=_codes_of(lasting, catalog))


def _codes_of(selectors: list[Selector], catalog: Catalog) -> frozenset[str]:
    """Every catalog code a selector can match, in the spellings a store may hold."""
    codes: set[str] = set()
    for selector in selectors:
        for code, entry in catalog.codes.items():
            if not selector.families or entry.family in selector.families:
                codes.add(code)
        codes.update(selector.codes)
    return frozenset(codes | {c.lower() for c in codes})
