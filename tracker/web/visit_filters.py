"""The board's visit filters (date range, provider, status, readiness), read from a query string.

The same filters serve the page, its CSV export and `GET /api/visits`, and all three read the
visits a page (or, for the CSV, a chunk) at a time through `tracker.visits.visit_pages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from tracker.dates import parse_date
from tracker.errors import InputError
from tracker.store.page_cursor import PAGE_SIZE
from tracker.visits.readiness import READINESS_WORDS, READINESSES
from tracker.visits.visit_pages import VisitChoice

DEFAULT_DAYS = 21
MAX_DAYS = 366
# (value, label): verdicts as the engine names them, and "attention" for everything a scheduler
# must act on (blocked, documentation missing, or an authorization not yet approved).
STATUS_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "All"),
    ("attention", "Needs attention"),
    ("blocked", "Blocked"),
    ("needs_documentation", "Needs documentation"),
    ("needs_auth", "Needs authorization"),
    ("ok", "OK"),
)
STATUS_VALUES = tuple(value for value, _ in STATUS_CHOICES)
READINESS_CHOICES: tuple[tuple[str, str], ...] = (
    ("", "Any readiness"), *((name, READINESS_WORDS[name]) for name in READINESSES))


@dataclass(frozen=True)
class VisitFilters:
    start: date
    end: date
    provider_id: int | None = None
    status: str = ""
    readiness: str = ""

    @classmethod
    def from_query(cls, today: date, start: str | None = None, end: str | None = None,
                   provider: str | None = None, status: str | None = None,
                   readiness: str | None = None) -> VisitFilters:
        """Filters from query parameters; raises InputError naming the parameter at fault."""
        first = _day("start", start) or today
        last = _day("end", end) or first + timedelta(days=DEFAULT_DAYS)
        if last < first:
            raise InputError("end", "the end date is before the start date")
        if (last - first).days > MAX_DAYS:
            raise InputError("end", f"choose at most {MAX_DAYS} days at once")
        provider_id = None
        if provider:
            if not provider.isdigit():
                raise InputError("provider", "choose a provider from the list")
            provider_id = int(provider)
        status = status or ""
        if status not in STATUS_VALUES:
            raise InputError("status", "choose a status from the list: "
                             + ", ".join(v for v in STATUS_VALUES if v))
        readiness = readiness or ""
        if readiness and readiness not in READINESSES:
            raise InputError("readiness", "choose a readiness from the list: "
                             + ", ".join(READINESSES))
        return cls(start=first, end=last, provider_id=provider_id, status=status,
                   readiness=readiness)

    def query_string(self) -> str:
        """These filters as a query string: dates, a provider id and a status, nothing else."""
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.provider_id is not None:
            params["provider"] = str(self.provider_id)
        if self.status:
            params["status"] = self.status
        if self.readiness:
            params["readiness"] = self.readiness
        return urlencode(params)

    def with_readiness(self, readiness: str) -> VisitFilters:
        return VisitFilters(self.start, self.end, self.provider_id, self.status, readiness)

    def choice(self) -> VisitChoice:
        """The visits these filters select, as the paged reading takes them."""
        verdict = self.status if self.status and self.status != "attention" else None
        return VisitChoice(start=self.start, until=self.end, provider_id=self.provider_id,
                           verdict=verdict, attention=self.status == "attention",
                           readiness=self.readiness or None)

    def page_link(self, path: str, after: str, size: int) -> str:
        """The next page's address: these filters, the cursor, and the page size if not the
        default."""
        params = {"after": after, **({"size": str(size)} if size != PAGE_SIZE else {})}
        return f"{path}?{self.query_string()}&{urlencode(params)}"


def _day(name: str, text: str | None) -> date | None:
    if not text:
        return None
    try:
        return parse_date(text)
    except ValueError:
        raise InputError(name, f"{text!r} is not a date; use YYYY-MM-DD") from None
