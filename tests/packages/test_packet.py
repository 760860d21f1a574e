"""The PDF packet a payer reviewer reads: cover letter, evidence tables and timeline."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from tracker.packages.packet import packet_html, render_packet, timeline

from .packages import rfa_package


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def test_packet_renders_a_pdf_with_the_patient_codes_and_evidence() -> None:
    pdf = render_packet(rfa_package(), today=date(2026, 12, 1))

    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 5000
    text = _text(pdf)
    for words in ("Prior authorization request", "SYN-9001", "UHC9000001", "64635", "64636",
                  "M47.816", "1234567893", "Diagnostic blocks", "85 %", "Timeline"):
        assert words in text, words


def test_packet_says_what_is_still_missing() -> None:
    html = packet_html(rfa_package(missing=("DIAGNOSIS_MISSING: no ICD-10-CM diagnosis",)))
    assert "Not yet complete" in html and "DIAGNOSIS_MISSING" in html


def test_timeline_runs_oldest_first_and_ends_with_the_requested_visit() -> None:
    events = timeline(rfa_package())
    days = [day for day, _ in events]
    assert days == sorted(days)
    assert events[-1][0] == date(2026, 12, 16) and events[-1][1].startswith("Requested")
    assert any("85 % relief" in text for _, text in events)


def test_patient_text_is_escaped_in_the_html() -> None:
    from tracker.packages.package import Patient

    package = rfa_package(patient=Patient(mrn="SYN-1", family_name="<b>Bold</b>",
                                          given_name="Ann", birth_date=date(1970, 1, 1)))
    assert "<b>Bold</b>" not in packet_html(package)
