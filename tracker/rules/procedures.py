"""Sessions seen through the catalog: which procedures (family, region, intent, levels) they hold."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple, cast

from tracker.codes import Catalog, normalize_code
from tracker.rules.session import CodeLine, Outcome, Session

# Families that are not procedures of their own: they ride along with one.
_RIDERS = frozenset({"imaging", "drug"})


@dataclass(frozen=True, slots=True)
class Procedure:
    """One kind of procedure done in a session: e.g. a 2-level lumbar transforaminal ESI."""

    family: str
    region: str | None
    intent: str | None
    levels: int | None
    codes: frozenset[str]

    def as_json(self) -> dict[str, object]:
        return {"family": self.family, "region": self.region, "levels": self.levels,
                "intent": self.intent, "codes": sorted(self.codes)}


class DatedSession(NamedTuple):
    """A session on one date after merging every record of that date."""

    date: date
    procedures: tuple[Procedure, ...]
    outcome: Outcome | None


def _intent_of(kind: str | None, session_intent: str | None) -> str | None:
    if kind == "injection":
        return session_intent if session_intent in ("diagnostic", "therapeutic") else "therapeutic"
    if kind == "stimulator":
        return session_intent if session_intent in ("trial", "permanent") else "permanent"
    return kind  # a fixed intent (e.g. RFA is therapeutic) or None


@dataclass(slots=True)
class _Tally:
    codes: set[str]
    first: int = 0
    added: int = 0
    counted: bool = False


def procedures_of(session: Session, catalog: Catalog) -> tuple[Procedure, ...]:
    """Group the session's catalog codes into procedures, counting levels as CPT does.

    The primary code is the first level; each add-on unit is one more level; bilateral
    (modifier 50) adds none; an interlaminar injection is one level whatever is done.
    A practice bills a few dozen distinct code combinations, so the answer is memoized.
    """
    key = ("procedures", session.codes, session.intent)
    found = catalog.memo.get(key)
    if found is None:
        found = catalog.memo[key] = _procedures(session.codes, session.intent, catalog)
    return found  # type: ignore[return-value]


def _procedures(lines: tuple[CodeLine, ...], session_intent: str | None,
                catalog: Catalog) -> tuple[Procedure, ...]:
    tallies: dict[tuple[str, str | None, str | None], _Tally] = {}
    for line in lines:
        entry = catalog.get(normalize_code(line.code))
        if entry is None or entry.family in _RIDERS:
            continue
        key = (entry.family, entry.region, _intent_of(entry.intent, session_intent))
        tally = tallies.setdefault(key, _Tally(codes=set()))
        tally.codes.add(entry.code)
        if entry.levels in ("first", "session"):
            tally.first, tally.counted = 1, True
        elif entry.levels == "per_unit":
            tally.added += max(line.units, 0)
            tally.counted = True
    procedures = [
        Procedure(family=family, region=region, intent=intent,
                  levels=tally.first + tally.added if tally.counted else None,
                  codes=frozenset(tally.codes))
        for (family, region, intent), tally in tallies.items()
    ]
    procedures.sort(key=_procedure_order)
    return tuple(procedures)


def _better(a: Outcome | None, b: Outcome | None) -> Outcome | None:
    """Of two outcomes recorded for one date, the more complete and better one (order-free)."""
    if a is None or b is None:
        return a or b

    def rank(o: Outcome) -> tuple[bool, float, bool, int, float]:
        return (o.relief_percent is not None, o.relief_percent or 0.0,
                o.duration_days is not None, o.duration_days or 0,
                o.medication_reduction_percent or 0.0)
    return max(a, b, key=rank)


def dated_sessions(sessions: Iterable[Session], catalog: Catalog,
                   exclude: date | None = None) -> list[DatedSession]:
    """Resolve and merge sessions by date (records on one date are one session), oldest first."""
    result: list[DatedSession] = []
    memo = catalog.memo
    for session in sorted(sessions, key=_by_date):
        day = session.date
        if day == exclude:
            continue
        procedures = cast("tuple[Procedure, ...] | None",
                          memo.get(("procedures", session.codes, session.intent)))
        if procedures is None:
            procedures = procedures_of(session, catalog)
        if result and result[-1].date == day:  # several records of one date are one session
            last = result[-1]
            union = tuple(sorted(set(last.procedures) | set(procedures), key=_procedure_order))
            result[-1] = DatedSession(day, union, _better(last.outcome, session.outcome))
        else:
            result.append(DatedSession(day, procedures, session.outcome))
    return result


def _by_date(session: Session) -> date:
    return session.date


def _procedure_order(p: Procedure) -> tuple[str, str, str, int]:
    return (p.family, p.region or "", p.intent or "", p.levels or 0)
