"""How verdicts and authorization states read on the board: words first, colour as a second cue."""

from __future__ import annotations

VERDICT_WORDS: dict[str, str] = {
    "blocked": "Blocked",
    "needs_documentation": "Needs documentation",
    "needs_auth": "Needs authorization",
    "ok": "OK",
    "not evaluated": "Not evaluated",
}


def status_words(status: str) -> str:
    """'documentation_missing' -> 'documentation missing'."""
    return status.replace("_", " ")
