"""How verdicts and authorization states read on the board: words first, colour as a second cue."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

VERDICT_WORDS: dict[str, str] = {
    "blocked": "Blocked",
    "needs_documentation": "Needs documentation",
    "needs_auth": "Needs authorization",
    "ok": "OK",
    "not evaluated": "Not evaluated",
}


# Authorization states whose plain words are not just the name with spaces.
STATUS_WORDS: dict[str, str] = {
    "not_opened_blocked": "none opened: visit blocked",
    "packet_ready": "packet ready to send",
}


def status_words(status: str) -> str:
    """'documentation_missing' -> 'documentation missing'."""
    return STATUS_WORDS.get(status, status.replace("_", " "))


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """A stored (UTC) time as the practice reads it: '2026-12-01 09:30 EST'."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
