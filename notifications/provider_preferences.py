"""A provider's alert preferences as the board edits them: channels, phone, email, time zone,
quiet hours and the daily digest. Every value is checked before anything is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from notifications.channel_plan import CHANNELS
from tracker.errors import InputError
from tracker.store.tables import ProviderRow, utc_now

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Preferences:
    channels: tuple[str, ...]
    phone: str | None
    email: str | None
    time_zone: str
    quiet_hours_start: time | None
    quiet_hours_end: time | None
    digest: bool


def read_preferences(channels: list[str], phone: str, email: str, time_zone: str,
                     quiet_start: str, quiet_end: str, digest: bool) -> Preferences:
    """Preferences from form text, or InputError naming the field and what to write."""
    unknown = [c for c in channels if c not in CHANNELS]
    if unknown:
        raise InputError("channels", f"unknown channel {unknown[0]!r}; choose from {', '.join(CHANNELS)}")
    phone, email, time_zone = phone.strip(), email.strip(), time_zone.strip() or "UTC"
    if phone and not E164.match(phone):
        raise InputError("phone", f"{phone!r} is not an E.164 number; write it like +15555550123")
    if email and not EMAIL.match(email):
        raise InputError("email", f"{email!r} is not an email address")
    if "sms" in channels and not phone:
        raise InputError("phone", "SMS alerts need a phone number")
    if "email" in channels and not email:
        raise InputError("email", "email alerts need an email address")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError("time_zone", f"{time_zone!r} is not a time zone; write e.g. "
                                      "America/Chicago") from None
    start, end = _time("quiet_hours_start", quiet_start), _time("quiet_hours_end", quiet_end)
    if (start is None) != (end is None):
        raise InputError("quiet_hours", "give both the start and the end of quiet hours, or neither")
    return Preferences(tuple(c for c in CHANNELS if c in channels), phone or None, email or None,
                       time_zone, start, end, digest)


def save_preferences(engine: Engine, provider_id: int, preferences: Preferences) -> None:
    with DbSession(engine) as db:
        provider = db.get(ProviderRow, provider_id)
        if provider is None:
            raise InputError("provider", f"there is no provider with id {provider_id}")
        provider.alert_channels = list(preferences.channels)
        provider.phone, provider.email = preferences.phone, preferences.email
        provider.time_zone = preferences.time_zone
        provider.quiet_hours_start = preferences.quiet_hours_start
        provider.quiet_hours_end = preferences.quiet_hours_end
        provider.digest = preferences.digest
        provider.updated_at = utc_now()
        db.add(provider)
        db.commit()


def list_providers(engine: Engine) -> list[ProviderRow]:
    with DbSession(engine) as db:
        providers = list(db.execute(select(ProviderRow).order_by(col(ProviderRow.name))).scalars())
        db.expunge_all()
    return providers


def _time(field: str, text: str) -> time | None:
    text = text.strip()
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise InputError(field, f"{text!r} is not a time of day; write it like 21:00") from None
