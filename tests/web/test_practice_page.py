"""The Practice page on the hand-worked practice (tests/figures/practice.py): billing and admin
read the month's figures as charts and tables and download each figure's numbers; schedulers
cannot; the charts' styles pass the page's Content-Security-Policy by hash, and no script."""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.figures.practice import load_hand_worked_practice
from tracker.money.fee_schedule import Fee, set_fee
from tracker.store import connect, upgrade
from tracker.store.users import add_user
from tracker.web.app import create_app

from .conftest import PASSWORD, SECRET, TODAY, USERS, form_token, provider_id

CHARTS = {"approval-by-payer": "Approved in full, per payer, 2026-11",
          "approval-over-time": "Approval rate per payer, month by month",
          "turnaround-by-program": "Turnaround against the decision clock (hours), 2026-11",
          "turnaround-distribution": "Decisions by the share of the clock they took, 2026-11",
          "denials-by-reason": "Denials by the payer's reason, 2026-11"}
MONEY_CHARTS = {
          "at-risk-by-reason": "Revenue at risk by reason, visits 2026-12-01 + 21 days ($)",
          "at-risk-by-week": "Revenue at risk by the visit's week ($)",
          "charges-not-billed": "Charges documented but not billed, per month ($)"}


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('practice-page') / 'painauth.sqlite'}"
    upgrade(url)
    engine = connect(url)
    load_hand_worked_practice(engine)
    # the one visit ahead (2026-12-01, its request rejected) is booked 77003 + 64483
    set_fee(engine, Fee(payer="*", code="64483", amount_cents=28500,
                        effective_start=date(2026, 1, 1)))
    for role, name in USERS.items():  # the provider account: Dr. Ada Lumbar's
        add_user(engine, name, role, PASSWORD,
                 provider_id=provider_id(engine, "1234567893") if role == "provider" else None)
    with TestClient(create_app(engine, SECRET, today=lambda: TODAY),
                    follow_redirects=False) as client:
        yield client
    engine.dispose()


def _as(client: TestClient, role: str) -> TestClient:
    client.cookies.clear()
    response = client.post("/login", data={"name": USERS[role], "password": PASSWORD,
                                           "token": form_token(client)})
    assert response.status_code == 303, response.text
    return client


def test_billing_reads_last_months_figures_as_charts_and_tables(board: TestClient) -> None:
    page = _as(board, "billing").get("/practice")
    assert page.status_code == 200
    assert "The practice, 2026-11" in page.text
    headline = dict(re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', page.text))
    assert headline == {
        "Requests decided": "6", "Approved in full": "3 (50 %)", "Partly approved": "1",
        "Denied": "2", "Median turnaround": "60 h (2.5 days)",
        "90th-percentile turnaround": "200 h (8.3 days)",
        "Decided within the clock": "5 of 6 (83 %)",
        "Denials overturned on appeal or peer-to-peer": "1",
        "Exemption thresholds met": "0 (close: 0)"}
    for name, title in CHARTS.items():
        assert f'<title id="chart-{name}-title">{html.escape(title)}</title>' in page.text, name
        assert f'href="/practice/{name}.csv?month=2026-11"' in page.text
    assert "<script" not in page.text
    assert "Dr. Ada Lumbar" in page.text and "first-level appeal" in page.text


def test_the_money_page_draws_the_money_at_risk_and_not_billed(board: TestClient) -> None:
    page = _as(board, "billing").get("/practice/money?month=2026-11")
    assert page.status_code == 200
    assert dict(re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', page.text)) == {
        "Revenue at risk, visits 2026-12-01 + 21 days": "$285.00 on 1 visit",
        "Charges documented but not billed, 2026-11": "$0.00"}
    for name, title in MONEY_CHARTS.items():
        assert f'<title id="chart-{name}-title">{html.escape(title)}</title>' in page.text, name
    assert "<script" not in page.text
    # the reasons read as words on the chart (the table and CSV keep the readiness code)
    chart = page.text[page.text.index('id="chart-at-risk-by-reason-title"'):]
    chart = chart[:chart.index("</svg>")]
    labels = re.findall(r">([^<>]*[A-Za-z][^<>]*)</text>", chart)
    assert labels and not [label for label in labels if re.fullmatch(r"[A-Z]+(_[A-Z]+)+", label)]


def test_each_charts_style_is_admitted_by_its_hash_and_nothing_else(board: TestClient) -> None:
    page = _as(board, "admin").get("/practice?month=2026-11")
    policy = page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    styles = re.findall(r"<style>(.*?)</style>", page.text, re.DOTALL)
    assert len(styles) == len(CHARTS)
    for style in styles:
        digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert ' style="' not in page.text.split("<main>")[1]


def test_each_figure_downloads_as_csv_with_the_charts_numbers(board: TestClient) -> None:
    client = _as(board, "billing")
    response = client.get("/practice/approval-by-payer.csv?month=2026-11")
    assert response.headers["content-type"].startswith("text/csv")
    assert "approval-by-payer-2026-11.csv" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text.removeprefix("\ufeff"))))
    assert [(r["payer"], r["decided"], r["approved"], r["rate_percent"]) for r in rows] == [
        ("aetna", "3", "1", "33.3"), ("medicare", "3", "2", "66.7")]
    rows = list(csv.DictReader(io.StringIO(
        client.get("/practice/turnaround-by-program.csv?month=2026-11").text[1:])))
    assert {(r["program"], r["median_hours"], r["p90_hours"], r["clock_hours"]) for r in rows} \
        == {("medicare medicare-opd", "48.0", "120.0", "168.0"),
            ("aetna aetna-precertification", "72.0", "200.0", "120.0")}
    rows = list(csv.DictReader(io.StringIO(
        client.get("/practice/at-risk-by-week.csv?month=2026-11").text[1:])))
    assert rows == [{"week_of": "2026-11-30", "at_risk_dollars": "285.0"}]
    for name in ("approval-by-provider", "appeals", "exemption-progress"):
        assert client.get(f"/practice/{name}.csv?month=2026-11").status_code == 200, name
    assert client.get("/practice/approval-by-nothing.csv").status_code == 404


def test_a_month_that_is_not_one_is_refused_naming_the_field(board: TestClient) -> None:
    page = _as(board, "billing").get("/practice?month=2026-13")
    assert page.status_code == 400
    assert "month: &#39;2026-13&#39; is not a month; write it as YYYY-MM" in page.text


@pytest.mark.parametrize("role", ["scheduler", "provider"])
def test_schedulers_and_providers_cannot_open_the_practice_figures(board: TestClient,
                                                                   role: str) -> None:
    client = _as(board, role)
    for path in ("/practice", "/practice/money", "/practice/appeals.csv",
                 "/practice/at-risk-by-week.csv", "/practice/report.pdf"):
        assert client.get(path).status_code == 403, path
    assert 'href="/practice"' not in client.get("/visits").text


def test_the_monthly_report_downloads_as_a_pdf_with_the_headline(board: TestClient,
                                                                 tmp_path: Path) -> None:
    response = _as(board, "billing").get("/practice/report.pdf?month=2026-11")
    assert response.headers["content-type"] == "application/pdf"
    (tmp_path / "report.pdf").write_bytes(response.content)
    text = "\n".join(page.extract_text() for page in PdfReader(tmp_path / "report.pdf").pages)
    assert "Practice report, 2026-11" in text
    assert "Approved in full 3 (50 %)" in text
    assert "Revenue at risk, visits 2026-12-01 + 21 days $285.00 on 1 visit" in text
    for title in [*CHARTS.values(), *MONEY_CHARTS.values()]:
        assert title in text
