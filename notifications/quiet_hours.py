"""A provider's quiet hours and digest time, in the provider's own time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def provider_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def in_quiet_hours(now: datetime, start: time | None, end: time | None, zone: str | None) -> bool:
    """True when `now` falls in [start, end) local time; a span may run past midnight."""
    if start is None or end is None or start == end:
        return False
    local = now.astimezone(provider_zone(zone)).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(now: datetime, end: time, zone: str | None) -> datetime:
    """The next moment (UTC) local time reaches `end` after `now`."""
    tz = provider_zone(zone)
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), end, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=tz)
    return candidate.astimezone(UTC)


def next_digest_time(now: datetime, hour: int, zone: str | None) -> datetime:
    """The next time (UTC) the provider's local clock shows `hour`:00, or now if that is now."""
    return quiet_hours_end(now - timedelta(microseconds=1), time(hour, 0), zone)


def local_day(now: datetime, zone: str | None) -> str:
    return now.astimezone(provider_zone(zone)).date().isoformat()
