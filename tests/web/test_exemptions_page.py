"""The exemptions page: billing records a letter the practice holds; schedulers cannot."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlmodel import Session as DbSession
from sqlmodel import select

from tracker.store.tables import ExemptionRow

from .conftest import Practice, form_token


def _letter(**fields: str) -> dict[str, str]:
    return {"program": "medicare/medicare-wiser", "group": "esi", "codes": "",
            "provider_npi": "1234567893", "starts": "2026-01-15", "ends": "2026-12-31",
            "reference": "WISeR-GC-TEST", **fields}


def test_billing_records_an_exemption_and_the_page_lists_it(billing: TestClient,
                                                            practice: Practice) -> None:
    token = form_token(billing, "/exemptions")
    try:
        response = billing.post("/exemptions", data={**_letter(), "token": token})
        assert response.status_code == 303
        page = billing.get("/exemptions")
        assert "WISeR-GC-TEST" in page.text and "1234567893" in page.text
        with DbSession(practice.engine) as db:
            [row] = db.exec(select(ExemptionRow).where(ExemptionRow.reference == "WISeR-GC-TEST"))
        assert (row.payer, row.program, row.service_group, row.recorded_by) == (
            "medicare", "medicare-wiser", "esi", "bea.billing")
    finally:
        with practice.engine.begin() as connection:
            connection.execute(delete(ExemptionRow).where(
                ExemptionRow.reference == "WISeR-GC-TEST"))  # type: ignore[arg-type]


def test_a_bad_npi_is_refused_naming_the_field_and_nothing_is_stored(
        billing: TestClient, practice: Practice) -> None:
    response = billing.post("/exemptions", data={
        **_letter(provider_npi="12345", reference="WISeR-GC-BAD"),
        "token": form_token(billing, "/exemptions")})
    assert response.status_code == 400
    assert "provider_npi" in response.text and "10-digit NPI" in response.text
    with DbSession(practice.engine) as db:
        assert list(db.exec(select(ExemptionRow).where(
            ExemptionRow.reference == "WISeR-GC-BAD"))) == []


def test_a_scheduler_cannot_open_the_exemptions_page(scheduler: TestClient) -> None:
    response = scheduler.get("/exemptions")
    assert response.status_code == 403
    assert "needs the billing role" in response.text
