"""A patient's page: counters per payer and region, upcoming visits, authorizations, timeline."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import Practice


def test_a_blocked_patient_sees_the_full_counter_and_next_eligible_date(
        scheduler: TestClient, practice: Practice) -> None:
    page = scheduler.get(f"/patients/{practice.patient_id('SYN-9001')}")
    assert page.status_code == 200
    for text in ("Blockley, Quinn", "aetna", "3 of 3 lumbar ESI sessions in 12 months",
                 "limit reached", "2027-02-16", "FREQUENCY_LIMIT_REACHED"):
        assert text in page.text, text


def test_the_timeline_holds_sessions_care_psych_and_authorizations(
        scheduler: TestClient, practice: Practice) -> None:
    page = scheduler.get(f"/patients/{practice.patient_id('SYN-1003')}").text
    assert "psych evaluation" in page and "cleared" in page
    assert "session scheduled" in page and "27096-50" in page
    sampleton = scheduler.get(f"/patients/{practice.patient_id('SYN-1002')}").text
    for text in ("session performed", "85% relief for 1 days", "conservative care",
                 "home exercise", "aetna authorization for 2026-12-15: opened as needed",
                 "by pre-visit-check"):
        assert text in sampleton, text
    timeline = sampleton[sampleton.index('id="timeline"'):]
    assert timeline.index("2026-02-01") < timeline.index("2026-05-12") < timeline.index(
        "2026-06-09")


def test_a_patient_with_two_payers_sees_each_payers_counters(scheduler: TestClient,
                                                            practice: Practice) -> None:
    page = scheduler.get(f"/patients/{practice.patient_id('SYN-1003')}").text
    counters = page[page.index('id="counters"'):page.index('id="upcoming"')]
    assert "medicare" in counters and "cigna" in counters
    assert "sacroiliac" in counters


def test_an_unknown_patient_is_a_404(scheduler: TestClient) -> None:
    response = scheduler.get("/patients/999999")
    assert response.status_code == 404
    assert "no patient with id 999999" in response.text


def test_the_patient_page_shows_each_line_as_billed_with_levels_and_drug_details(
        billing: TestClient, practice: Practice) -> None:
    page = billing.get(f"/patients/{practice.patient_id('SYN-9001')}").text
    lines = page[page.index('id="lines"'):page.index('id="timeline"')]
    injection = lines[lines.index('data-date="2026-02-16" data-code="62323"'):]
    injection = injection[:injection.index("</tr>")]
    assert "L4-L5" in injection and "place of service 11" in injection
    drug = lines[lines.index('data-date="2026-02-16" data-code="J1010"'):]
    drug = drug[:drug.index("</tr>")]
    for text in ("methylprednisolone acetate, 1 mg", "JZ", ">40<", "40 mg", "single-dose",
                 "00009-3073-03"):
        assert text in drug, text
