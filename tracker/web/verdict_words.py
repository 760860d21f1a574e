"""How verdicts and authorization states read on the board: words first, colour as a second cue."""

from __future__ import annotations

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
}


def status_words(status: str) -> str:
    """'documentation_missing' -> 'documentation missing'."""
    return STATUS_WORDS.get(status, status.replace("_", " "))
