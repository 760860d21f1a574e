"""The upcoming-visits list, its filters, its CSV export and `GET /api/visits`."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.store.tables import ProviderRow
from tracker.visits.upcoming import upcoming_visits

from .conftest import TODAY, Practice

BLOCKED_COUNTER = "3 of 3 lumbar ESI sessions in 12 months"


def _mrns(client: TestClient, query: str = "") -> list[str]:
    response = client.get(f"/api/visits{query}")
    assert response.status_code == 200, response.text
    return [v["mrn"] for v in response.json()["visits"]]


def _provider_id(practice: Practice, npi: str) -> int:
    with DbSession(practice.engine) as db:
        found = db.execute(select(col(ProviderRow.id)).where(col(ProviderRow.npi) == npi)).scalar()
    assert isinstance(found, int)
    return found


def test_the_board_lists_every_upcoming_visit_with_its_stored_verdict(
        scheduler: TestClient, practice: Practice) -> None:
    page = scheduler.get("/visits")
    assert page.status_code == 200
    assert "5 visits from 2026-12-01 to 2026-12-22" in page.text
    for text in ("Blockley, Quinn", "SYN-9001", "Dr. Fictional Provider", "62323", "aetna",
                 ">Blocked<", BLOCKED_COUNTER, "<strong>2027-02-16</strong>",
                 "2 of 4 lumbar ESI sessions in 12 months", ">Needs authorization<", ">OK<"):
        assert text in page.text, text


def test_the_api_lists_what_the_shared_query_returns(scheduler: TestClient,
                                                     practice: Practice) -> None:
    expected = [v.as_json() for v in upcoming_visits(practice.engine, TODAY, 21)]
    body = scheduler.get("/api/visits").json()
    assert (body["start"], body["end"], body["count"]) == ("2026-12-01", "2026-12-22", 5)
    assert body["visits"] == expected


def test_the_status_filter_narrows_to_blocked_visits(scheduler: TestClient) -> None:
    assert _mrns(scheduler, "?status=blocked") == ["SYN-9001"]
    visit = scheduler.get("/api/visits?status=blocked").json()["visits"][0]
    assert visit["counters"] == [BLOCKED_COUNTER]
    assert visit["next_eligible_date"] == "2027-02-16"
    page = scheduler.get("/visits?status=blocked")
    assert "1 visit from" in page.text and "Sampleton" not in page.text


def test_needs_attention_keeps_blocked_and_unapproved_visits(scheduler: TestClient) -> None:
    assert sorted(_mrns(scheduler, "?status=attention")) == ["SYN-1002", "SYN-9001"]
    assert sorted(_mrns(scheduler, "?status=ok")) == ["SYN-1001", "SYN-1003", "SYN-2001"]


def test_the_provider_filter_narrows_to_that_providers_visits(scheduler: TestClient,
                                                             practice: Practice) -> None:
    fictional = _provider_id(practice, "1987654328")
    assert _mrns(scheduler, f"?provider={fictional}") == ["SYN-9001", "SYN-1002"]
    synthia = _provider_id(practice, "1234567893")
    page = scheduler.get(f"/visits?provider={synthia}")
    assert "Testperson, Avery" in page.text and "Blockley" not in page.text


def test_the_date_range_narrows_the_list(scheduler: TestClient) -> None:
    assert sorted(_mrns(scheduler, "?start=2026-12-09&end=2026-12-14")) == [
        "SYN-1001", "SYN-2001", "SYN-9001"]
    end = (TODAY + timedelta(days=6)).isoformat()
    assert _mrns(scheduler, f"?end={end}") == []


def test_a_bad_filter_is_refused_naming_the_parameter(scheduler: TestClient) -> None:
    response = scheduler.get("/api/visits?start=12/01/2026")
    assert response.status_code == 400
    assert response.json()["error"]["path"] == "start"
    assert scheduler.get("/api/visits?start=2026-12-10&end=2026-12-01").json()["error"][
        "path"] == "end"
    page = scheduler.get("/visits?status=maybe")
    assert page.status_code == 400 and "choose a status from the list" in page.text


def test_the_csv_export_has_the_filtered_rows(scheduler: TestClient) -> None:
    response = scheduler.get("/visits.csv?status=attention")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "upcoming-visits-2026-12-01-to-2026-12-22.csv" in response.headers[
        "content-disposition"]
    assert response.text.startswith("\ufeff")  # the byte-order mark Excel needs for UTF-8
    rows = list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"))))
    assert [r["mrn"] for r in rows] == ["SYN-9001", "SYN-1002"]
    blocked = rows[0]
    assert (blocked["verdict"], blocked["counters"], blocked["next_eligible_date"]) == (
        "blocked", BLOCKED_COUNTER, "2027-02-16")
    assert blocked["patient"] == "Blockley, Quinn"


def test_the_csv_link_carries_the_filters_and_no_patient_data(scheduler: TestClient,
                                                             practice: Practice) -> None:
    page = scheduler.get("/visits?status=blocked&start=2026-12-02")
    assert 'href="/visits.csv?start=2026-12-02&amp;end=2026-12-23&amp;status=blocked"' in page.text


ORDER = ("stop", "act", "waiting", "clear")


def test_the_board_shows_readiness_first_with_counts_and_the_next_action(
        scheduler: TestClient) -> None:
    # other tests move SYN-1002's authorization along; what the API says is the reference
    api = scheduler.get("/api/visits").json()
    expected = {name: sum(v["readiness"] == name for v in api["visits"]) for name in ORDER}
    assert api["counts"] == expected and expected["stop"] == 1 and expected["clear"] == 3
    page = scheduler.get("/visits").text
    counts = page.split('id="readiness-counts"')[1].split("</ul>")[0]
    for name, n in expected.items():
        assert re.search(f'data-readiness="{name}"[^>]*>[^<]*<span class="n">{n}</span>', counts)
    shown = re.findall(r'<tr class="row-\w+" data-session="(\d+)" data-readiness="(\w+)"', page)
    assert [r for _, r in shown] == sorted((r for _, r in shown), key=ORDER.index)  # worst first
    assert [int(s) for s, _ in shown] == [v["session_id"] for v in api["visits"]]
    for visit in api["visits"]:
        assert str(escape(visit["next_action"])) in page, visit["mrn"]


def test_the_readiness_filter_narrows_the_list_and_keeps_the_counts(
        scheduler: TestClient) -> None:
    assert _mrns(scheduler, "?readiness=stop") == ["SYN-9001"]
    body = scheduler.get("/api/visits?readiness=clear").json()
    assert body["counts"]["stop"] == 1 and body["counts"]["clear"] == 3
    assert sum(body["counts"].values()) == 5
    assert {v["readiness"] for v in body["visits"]} == {"clear"} and body["count"] == 3
    refused = scheduler.get("/api/visits?readiness=green")
    assert refused.status_code == 400 and refused.json()["error"]["path"] == "readiness"


def test_a_blocked_visit_reads_why_and_when_it_could_be_rebooked(scheduler: TestClient) -> None:
    visit = scheduler.get("/api/visits?readiness=stop").json()["visits"][0]
    assert [r["code"] for r in visit["reasons"]] == ["POLICY_BLOCKED"]
    assert "rebook on or after 2027-02-16" in visit["next_action"]
    assert visit["next_eligible_date"] == "2027-02-16"


def test_a_visit_not_blocked_by_time_shows_no_next_eligible_date(scheduler: TestClient) -> None:
    for visit in scheduler.get("/api/visits").json()["visits"]:
        if visit["readiness"] != "stop":
            assert visit["next_eligible_date"] is None, visit["mrn"]


def test_the_csv_starts_with_readiness_and_its_reasons(scheduler: TestClient) -> None:
    api = scheduler.get("/api/visits").json()["visits"]
    text = scheduler.get("/visits.csv").text.removeprefix("\ufeff")  # Excel's byte-order mark
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["mrn"], r["readiness"], r["reasons"]) for r in rows] == [
        (v["mrn"], v["readiness"], " ".join(r["code"] for r in v["reasons"])) for v in api]
    assert rows[0]["readiness"] == "stop" and rows[0]["reasons"] == "POLICY_BLOCKED"
    assert next(iter(csv.reader(io.StringIO(text))))[0] == "readiness"
