"""A text names no patient and no diagnosis; an email adds the visit details, still no diagnosis."""

from __future__ import annotations

import re
from datetime import date

from practice import AS_OF, DIAGNOSES, PATIENT_NAMES, add_provider, add_visit
from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession

from notifications.messages import TEMPLATES, AlertContent, environment, render_email, render_sms
from notifications.outbox import queue_alerts
from notifications.rules import KINDS
from notifications.settings import AlertSettings
from tracker.store.tables import AlertRow

ICD10 = re.compile(r"\b[A-TV-Z][0-9][0-9AB](\.[0-9A-Z]{1,4})?\b")
FAMILY, GIVEN, BIRTH = PATIENT_NAMES[0]
PAYLOAD = {"ref": "...1042", "patient_id": 3, "session_id": 9, "date": "2026-12-10",
           "codes": "64483 64484", "payer": "medicare",
           "counters": ["3 of 4 lumbar ESI sessions in 12 months"],
           "next_eligible_date": "2027-03-01", "auth_status": "pended", "days_left": 3,
           "valid_to": "2026-12-05", "decision_due": "2026-11-30", "missing": ["psych_clearance"],
           # what must never reach a message even if it slipped into a payload:
           "family_name": FAMILY, "given_name": GIVEN, "birth_date": BIRTH.isoformat(),
           "diagnoses": DIAGNOSES}


def _forbidden(text: str) -> list[str]:
    found = [w for w in (FAMILY, GIVEN, BIRTH.isoformat(), BIRTH.strftime("%m/%d/%Y"), "1958")
             if w in text]
    return found + [m.group(0) for m in ICD10.finditer(text)]


def test_every_sms_template_names_no_patient_birth_date_or_diagnosis() -> None:
    sms_templates = sorted(p.name for p in (TEMPLATES / "sms").glob("*.j2"))
    assert sms_templates == ["alert.txt.j2", "digest.txt.j2"]
    assert sorted(p.stem for p in (TEMPLATES / "kinds").glob("*.j2")) == sorted(KINDS)
    texts = [render_sms(AlertContent(7, kind, PAYLOAD, "Dr. Synthia Example"), "https://b.example")
             for kind in KINDS]
    texts.append(render_sms(AlertContent(0, "digest", {}, "Dr. Synthia Example",
                                         items=tuple((i, k, PAYLOAD) for i, k in enumerate(KINDS))),
                            "https://b.example"))
    for text in texts:
        assert _forbidden(text) == [], text
        assert "...1042" in text or "digest" in text
        assert "https://b.example/alerts" in text
        assert text.isascii() and len(text) <= 320, text  # GSM alphabet, at most two segments


def test_email_carries_the_visit_details_but_no_diagnosis() -> None:
    subject, text, html = render_email(AlertContent(7, "limit_approaching", PAYLOAD, "Dr. X"),
                                       "https://b.example")
    for body in (subject, text, html):
        assert _forbidden(body) == []
    for detail in ("Thu Dec 10", "64483 64484", "medicare", "3 of 4 lumbar ESI", "Mon Mar 1"):
        assert detail in text and detail in html


def test_html_email_escapes_what_it_shows() -> None:
    payload = {**PAYLOAD, "codes": "<script>alert(1)</script>"}
    _, _, html = render_email(AlertContent(7, "auth_denied", payload, "Dr. <b>X</b>"), "https://b")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert environment().get_template("sms/alert.txt.j2").environment.autoescape is not True


def test_the_stored_payload_holds_no_name_birth_date_or_diagnosis(engine: Engine) -> None:
    provider = add_provider(engine, "Dr. Synthia Example", "1234567893")
    add_visit(engine, provider, "SYN-1042", date(2026, 12, 3), verdict="blocked",
              findings=("FREQUENCY_LIMIT_REACHED",), auth={"status": "pended"})
    queue_alerts(engine, AS_OF, AlertSettings(_env_file=None))  # type: ignore[call-arg]
    with DbSession(engine) as db:
        payloads = [a.payload for a in db.execute(select(AlertRow)).scalars()]
    assert len(payloads) == 2
    for payload in payloads:
        assert _forbidden(repr(payload)) == []
        assert payload["ref"] == "...1042"
