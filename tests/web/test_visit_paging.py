"""The board pages: `/visits`, `/api/visits` and the CSV walk the visits in the order the board
shows them (worst readiness first, then date, MRN), every visit exactly once across pages even
with many on one date and one readiness, filters kept on every "next page" link, counts equal to
the rows, the streamed CSV equal to the rows, and a change made meanwhile shown on the next page.
On SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session as DbSession
from sqlmodel import col, select

from tracker.store.tables import AuthorizationRow, CoverageRow, PatientRow, SessionRow

from .conftest import Practice

# After the board's three weeks, so the other board tests' counts stay as they are.
FIRST, SECOND = date(2027, 6, 7), date(2027, 6, 8)
RANGE = f"start={FIRST.isoformat()}&end={SECOND.isoformat()}"
ORDER = {"stop": 0, "act": 1, "waiting": 2, "clear": 3}
_made: dict[str, dict[str, int]] = {}


def _book(practice: Practice, mrn: str, day: date, covered: bool) -> int:
    """A patient with one visit on `day`; without coverage it reads stop, with coverage and no
    evaluation yet it reads act."""
    with DbSession(practice.engine) as db:
        patient = PatientRow(mrn=mrn, family_name="Pagewell", given_name=mrn[-3:],
                             birth_date=date(1961, 5, 5))
        db.add(patient)
        db.flush()
        assert patient.id is not None
        if covered:
            db.add(CoverageRow(patient_id=patient.id, payer="aetna", member_id=f"M{mrn}",
                               effective_start=date(2027, 1, 1)))
        session = SessionRow(patient_id=patient.id, date=day, status="scheduled")
        db.add(session)
        db.commit()
        assert session.id is not None
        return session.id


@pytest.fixture
def booked(practice: Practice) -> dict[str, int]:
    """23 visits on two dates, most of them tied on readiness and date (MRN -> session id)."""
    if practice.url not in _made:
        _made[practice.url] = {
            mrn: _book(practice, mrn, FIRST if n < 15 else SECOND, covered=n % 3 != 0)
            for n, mrn in ((n, f"SYN-98{n:02d}") for n in range(23))}
    return _made[practice.url]


def _walk(client: TestClient, address: str) -> list[dict[str, object]]:
    visits: list[dict[str, object]] = []
    while address:
        answer = client.get(address)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        visits += body["visits"]
        assert len(body["visits"]) <= 4
        address = body["next"]
        if address:
            assert "size=4" in address and f"start={FIRST.isoformat()}" in address
    return visits


def test_paging_walks_every_visit_once_in_board_order(scheduler: TestClient,
                                                      booked: dict[str, int]) -> None:
    first = scheduler.get(f"/api/visits?{RANGE}&size=4").json()
    visits = _walk(scheduler, f"/api/visits?{RANGE}&size=4")
    ids = [v["session_id"] for v in visits]
    assert len(ids) == len(set(ids)) == len(booked) and set(ids) == set(booked.values())
    keys = [(ORDER[str(v["readiness"])], v["date"], v["mrn"]) for v in visits]
    assert keys == sorted(keys)
    assert first["count"] == sum(first["counts"].values()) == len(booked)
    assert first["counts"]["stop"] == 8 and first["counts"]["act"] == 15
    assert {v["readiness"] for v in visits if v["mrn"] in ("SYN-9800", "SYN-9803")} == {"stop"}


def test_the_readiness_filter_is_kept_across_pages_and_counts_its_rows(
        scheduler: TestClient, booked: dict[str, int]) -> None:
    visits = _walk(scheduler, f"/api/visits?{RANGE}&readiness=stop&size=4")
    assert {v["readiness"] for v in visits} == {"stop"} and len(visits) == 8
    page = scheduler.get(f"/visits?{RANGE}&readiness=stop&size=4")
    assert "8 visits from 2027-06-07 to 2027-06-08" in page.text and "4 on this page" in page.text
    following = re.search(r'id="next-page" rel="next" href="([^"]+)"', page.text)
    assert following, "no next-page link"
    link = following.group(1).replace("&amp;", "&")
    assert "readiness=stop" in link and "size=4" in link and "end=2027-06-08" in link
    seen = re.findall(r'<tr class="row-(\w+)" data-session="(\d+)"', page.text)
    seen += re.findall(r'<tr class="row-(\w+)" data-session="(\d+)"', scheduler.get(link).text)
    assert [int(s) for _, s in seen] == [v["session_id"] for v in visits[:8]]
    assert {r for r, _ in seen} == {"stop"}


def test_the_streamed_csv_holds_the_same_rows_in_the_same_order(
        scheduler: TestClient, booked: dict[str, int]) -> None:
    visits = _walk(scheduler, f"/api/visits?{RANGE}&size=4")
    answer = scheduler.get(f"/visits.csv?{RANGE}")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [int(r["session_id"]) for r in rows] == [v["session_id"] for v in visits]
    assert [r["readiness"] for r in rows] == [v["readiness"] for v in visits]


def test_a_visit_booked_between_pages_leaves_the_others_once_each_and_a_change_shows(
        scheduler: TestClient, practice: Practice, booked: dict[str, int]) -> None:
    first = scheduler.get(f"/api/visits?{RANGE}&size=5").json()
    extra = _book(practice, "SYN-9799", FIRST,
                  covered=False)  # reads stop: it sorts before the page already read
    rest = _walk(scheduler, first["next"].replace("size=5", "size=4"))
    ids = [v["session_id"] for v in first["visits"] + rest]
    assert len(ids) == len(set(ids)) and set(booked.values()) <= set(ids)
    assert extra not in ids  # it sorts among the visits already shown: the next walk has it
    with DbSession(practice.engine) as db:  # a coverage recorded: stop becomes act
        db.add(CoverageRow(patient_id=_patient_of(practice, extra), payer="aetna",
                           member_id="M-extra", effective_start=date(2027, 1, 1)))
        db.commit()
    again = {v["session_id"]: v["readiness"] for v in _walk(scheduler, f"/api/visits?{RANGE}&size=4")}
    assert again[extra] == "act"


def test_a_damaged_page_link_or_page_size_is_refused_naming_it(scheduler: TestClient) -> None:
    answer = scheduler.get(f"/api/visits?{RANGE}&after=not-a-cursor")
    assert answer.status_code == 400 and answer.json()["error"]["path"] == "after"
    answer = scheduler.get(f"/api/visits?{RANGE}&size=501")
    assert answer.status_code == 400 and answer.json()["error"]["path"] == "size"
    page = scheduler.get(f"/visits?{RANGE}&size=lots")
    assert page.status_code == 400 and "size" in page.text


def _patient_of(practice: Practice, session_id: int) -> int:
    with DbSession(practice.engine) as db:
        session = db.get(SessionRow, session_id)
        assert session is not None
        return session.patient_id


def _walk_html(client: TestClient, address: str, row: str) -> list[int]:
    seen: list[int] = []
    while address:
        page = client.get(address)
        assert page.status_code == 200, page.text
        seen += [int(n) for n in re.findall(rf'<tr {row}="(\d+)"', page.text)]
        following = re.search(r'id="next-page" rel="next" href="([^"]+)"', page.text)
        address = following.group(1).replace("&amp;", "&") if following else ""
    return seen


def test_the_authorizations_list_and_the_queue_page_through_every_row_once(
        billing: TestClient, practice: Practice, booked: dict[str, int]) -> None:
    with DbSession(practice.engine) as db:
        if not db.exec(select(AuthorizationRow).where(
                col(AuthorizationRow.session_id) == booked["SYN-9801"])).first():
            for mrn in ("SYN-9801", "SYN-9802", "SYN-9804", "SYN-9805"):  # four to prepare
                db.add(AuthorizationRow(session_id=booked[mrn], payer="aetna", status="needed"))
            db.commit()
    whole = _walk_html(billing, "/authorizations?size=500", "data-authorization")
    paged = _walk_html(billing, "/authorizations?size=2", "data-authorization")
    assert len(whole) >= 4 and paged == whole
    total = re.search(r'id="authorization-count">(\d+) authorization',
                      billing.get("/authorizations?size=2").text)
    assert total and int(total.group(1)) == len(whole)
    queue_whole = _walk_html(billing, "/queue?view=all&size=500", "data-queue-item")
    assert _walk_html(billing, "/queue?view=all&size=1", "data-queue-item") == queue_whole
