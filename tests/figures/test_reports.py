"""The monthly PDF report from `painauth report monthly`, read back with pypdf, and the weekly
headline the weekly-figures flow publishes, on the hand-worked practice (test_figures.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from tests.prefect_runs import published
from tracker.cli import main
from tracker.figures.weekly import weekly_figures, weekly_markdown
from tracker.store import connect

from .practice import load_hand_worked_practice


def test_painauth_report_monthly_writes_the_owners_pdf(
        sqlite_url: str, empty_tables: Callable[[str], str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """On SQLite only: the figures' SQL is tested on both backends in test_figures.py."""
    database_url = empty_tables(sqlite_url)
    engine = connect(database_url)
    load_hand_worked_practice(engine)
    engine.dispose()
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", database_url)
    out = tmp_path / "report.pdf"
    assert main(["report", "monthly", "--month", "2026-11", "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"wrote {out} (the report for 2026-11: 6 requests decided, 3 (50 %) approved" in said
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    for words in ("Practice report, 2026-11", "Requests decided 6", "Approved in full 3 (50 %)",
                  "Median turnaround 60 h (2.5 days)", "Decided within the clock 5 of 6 (83 %)",
                  "Turnaround against the decision clock (hours), 2026-11",
                  "Denials by the payer's reason, 2026-11", "CO-50 not medically necessary 1",
                  "Dr. Ada Lumbar 3 3 0 0 100.0", "first-level appeal 2 1 0 0 1 100.0"):
        assert words in text, words


def test_a_missing_folder_for_the_report_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "monthly", "--out", str(tmp_path / "no" / "r.pdf")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_weekly_headline_counts_the_seven_days(engine: Engine) -> None:
    load_hand_worked_practice(engine)
    figures = weekly_figures(engine, date(2026, 11, 9))
    markdown = weekly_markdown(figures)
    # November 3-9 holds five decisions: the 200-hour approval came on the 11th
    assert "# Authorization figures, 2026-11-03 to 2026-11-09" in markdown
    assert "| Requests decided | 5 |" in markdown
    assert "| Approved in full | 2 (40 %) |" in markdown
    assert "| medicare | 3 | 2 | 67 % |" in markdown and "| aetna | 2 | 0 | 0 % |" in markdown
    assert "- CO-50: not medically necessary: 1" in markdown


def test_the_weekly_figures_flow_publishes_the_weeks_headline_as_a_markdown_artifact(
        prefect_server: None, database_url: str, engine: Engine,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The flow on a temporary Prefect server, its artifact read back through the client."""
    from flows.weekly_figures import weekly_figures_flow

    load_hand_worked_practice(engine)
    monkeypatch.setenv("PAINAUTH_DATABASE_URL", database_url)
    state = weekly_figures_flow(as_of=date(2026, 11, 9), return_state=True)
    assert state.is_completed(), state.message
    assert state.result()["Requests decided"] == "5"
    [artifact] = published(state, "weekly-figures")
    assert artifact.type == "markdown"
    for line in ("# Authorization figures, 2026-11-03 to 2026-11-09", "| Requests decided | 5 |",
                 "| Approved in full | 2 (40 %) |", "| Denied | 2 |",
                 "| medicare | 3 | 2 | 67 % |", "| aetna | 2 | 0 | 0 % |",
                 "- CO-50: not medically necessary: 1", "- no conservative care: 1"):
        assert line in artifact.data, line


def test_the_money_charts_draw_and_table_the_money_figures_in_dollars() -> None:
    from tracker.figures.money_charts import MoneyFigures, money_charts
    from tracker.figures.months import months_before, parse_month
    from tracker.money.at_risk import AtRisk
    from tracker.money.capture import MissedCharges

    november = parse_month("2026-11")
    money = MoneyFigures(
        at_risk=AtRisk(as_of=date(2026, 12, 1), days=21, visits=(), total_cents=57000,
                       by_reason={"DENIED": 28500, "POLICY_BLOCKED": 28500},
                       by_week={date(2026, 11, 30): 57000}),
        missed=MissedCharges(since=date(2026, 6, 1), until=date(2026, 11, 30), charges=(),
                             total_cents=14400, by_month={date(2026, 10, 1): 7200,
                                                          date(2026, 11, 1): 7200}),
        months=tuple(months_before(november, 6)))
    by_reason, by_week, not_billed = money_charts(money)
    assert by_reason.table.rows == (("DENIED", 285.0), ("POLICY_BLOCKED", 285.0))
    assert by_week.table.rows == (("2026-11-30", 570.0),)
    assert not_billed.table.rows[-3:] == (("2026-09", 0.0), ("2026-10", 72.0), ("2026-11", 72.0))
    assert "$285" in by_reason.svg and "<title" in not_billed.svg and "$72" in not_billed.svg
