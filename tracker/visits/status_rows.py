"""The upcoming visits as rows for scripts and reports: `painauth status --json`, `/api/visits`
and the pre-visit flow's `pre-visit-status` artifact all print these, from the same
`upcoming_visits` list the board shows, in the same order (worst readiness first, then by date)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine

from tracker.visits.upcoming import UpcomingVisit, readiness_counts, upcoming_visits


def status_visits(engine: Engine, start: date, days: int, *, readiness: str | None = None,
                  verdict: str | None = None, attention: bool = False,
                  now: datetime | None = None) -> list[UpcomingVisit]:
    """The board's list: scheduled visits from `start` for `days` days; `attention` keeps only
    those not clear."""
    visits = upcoming_visits(engine, start, days, verdict=verdict, readiness=readiness, now=now)
    return [v for v in visits if v.needs_attention] if attention else visits


def status_document(engine: Engine, start: date, days: int, **choices: Any) -> dict[str, Any]:
    """What `painauth status --json` prints: the counts per readiness and one row per visit."""
    visits = status_visits(engine, start, days, **choices)
    return {"start": start.isoformat(), "days": days, "counts": readiness_counts(visits),
            "count": len(visits), "visits": [v.as_json() for v in visits]}


def artifact_row(visit: UpcomingVisit) -> dict[str, str]:
    """One visit as a row of the Prefect table artifact (flat text cells)."""
    auth = visit.authorization
    return {"readiness": visit.readiness.readiness, "reasons": " ".join(visit.reasons),
            "next action": visit.next_action, "session": str(visit.session_id),
            "date": visit.date.isoformat(), "mrn": visit.mrn, "provider": visit.provider,
            "codes": visit.codes, "payer": visit.payer, "verdict": visit.verdict,
            "authorization": visit.auth_status, "auth number": visit.auth_number,
            "valid to": visit.auth_valid_to if auth is not None else "",
            "counters": "; ".join(visit.counters),
            "next eligible": visit.readiness.next_eligible_date or ""}
