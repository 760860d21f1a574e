"""How long to wait before trying a payer again: exponential backoff with full jitter, and the
`Retry-After` a payer sends with 429 or 503 (RFC 9110 §10.2.3: seconds, or an HTTP date)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    backoff_seconds: float = 0.5
    max_backoff_seconds: float = 30.0
    max_retry_after_seconds: float = 120.0
    jitter: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1 for the first): uniformly random up
        to backoff·2^(attempt-1), capped — full jitter keeps many clients from retrying in step."""
        ceiling = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        return self.jitter.uniform(0, ceiling)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds from now: `"120"` -> 120.0; an HTTP date -> the seconds until it
    (0 when already past); missing or unreadable -> None."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
