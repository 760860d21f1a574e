"""Message bodies from the Jinja2 templates in notifications/templates/.

A text carries the patient's MRN tail, what happened, what to do and a board link — never a
name, a birth date or a diagnosis. An email adds the visit details a provider needs (date, codes,
payer, counters, next eligible date), still without diagnoses. Both read only the alert's
payload, which never holds a name, birth date or diagnosis in the first place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class OutgoingMessage:
    """One message for one channel, ready to send. `reference` identifies the alert everywhere
    the message goes (the SMTP Message-ID, the console outbox)."""

    alert_id: int
    reference: str
    channel: str
    to: str
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class AlertContent:
    """What a message is about: one alert, or a digest of several."""

    alert_id: int
    kind: str
    payload: dict[str, Any]
    provider_name: str
    items: tuple[tuple[int, str, dict[str, Any]], ...] = ()  # (alert id, kind, payload)


def _day(value: str | date | None) -> str:
    if value is None:
        return ""
    day = value if isinstance(value, date) else date.fromisoformat(str(value))
    return f"{day:%a %b} {day.day}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",),
                                                   default_for_string=False),
                      trim_blocks=False, keep_trailing_newline=False)
    env.filters["day"] = _day
    return env


def alert_link(board_url: str, alert_id: int) -> str:
    return f"{board_url.rstrip('/')}/alerts/{alert_id}"


def render_sms(content: AlertContent, board_url: str) -> str:
    if content.kind == "digest":
        return _render("sms/digest.txt.j2", content, board_url).strip()
    return " ".join(_render("sms/alert.txt.j2", content, board_url).split())


def render_email(content: AlertContent, board_url: str) -> tuple[str, str, str]:
    """(subject, text, html)."""
    if content.kind == "digest":
        count = len(content.items)
        subject = f"painauth daily digest: {count} alert{'' if count == 1 else 's'}"
        return (subject, _render("email/digest.txt.j2", content, board_url),
                _render("email/digest.html.j2", content, board_url))
    subject = " ".join(_render("email/_subject.txt.j2", content, board_url).split())
    return (subject, _render("email/alert.txt.j2", content, board_url),
            _render("email/alert.html.j2", content, board_url))


def _render(name: str, content: AlertContent, board_url: str) -> str:
    items = [{"alert_id": i, "kind": k, "a": p, "link": alert_link(board_url, i)}
             for i, k, p in content.items]
    link = (f"{board_url.rstrip('/')}/alerts" if content.kind == "digest"
            else alert_link(board_url, content.alert_id))
    return environment().get_template(name).render(
        kind=content.kind, a=_with_defaults(content.payload), alert_id=content.alert_id,
        provider_name=content.provider_name, link=link, items=items)


def _with_defaults(payload: dict[str, Any]) -> dict[str, Any]:
    defaults: dict[str, Any] = {"counters": [], "next_eligible_date": None, "codes": "",
                                "payer": "", "auth_status": None, "missing": [],
                                "days_left": 0, "valid_to": None, "decision_due": None,
                                "coding": [], "mismatch": "", "step": "appeal",
                                "deadline": None, "owner": None}
    return {**defaults, **payload}


def message_for(content: AlertContent, channel: str, to: str, reference: str,
                board_url: str) -> OutgoingMessage:
    if channel == "sms":
        return OutgoingMessage(alert_id=content.alert_id, reference=reference, channel=channel,
                               to=to, subject="", text=render_sms(content, board_url))
    subject, text, html = render_email(content, board_url)
    return OutgoingMessage(alert_id=content.alert_id, reference=reference, channel=channel, to=to,
                           subject=subject, text=text, html=html)
