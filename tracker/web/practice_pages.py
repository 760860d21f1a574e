"""The board's Practice pages (billing and admin). /practice: one month's authorization figures
as charts drawn on the server (inline SVG, no script) with their tables; /practice/money: the
money's charts (revenue at risk, charges not billed — slower to count on a large practice, so
on a page of their own); each figure's numbers as a CSV download; the monthly PDF report.
Schedulers work from the visit board; how payers treat the practice's requests and what it
earns are the billing office's and the owner's business."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from tracker.errors import InputError
from tracker.figures.money_charts import MONEY_CHARTS
from tracker.figures.report import Figures, money_report, month_asked, practice_report
from tracker.figures.tables import table_csv
from tracker.store.users import User
from tracker.web.pages import render
from tracker.web.signing_in import RoleNeeded

router = APIRouter()
Billing = Annotated[User, Depends(RoleNeeded("billing", "The practice's figures"))]


def _figures(request: Request, month: str | None, *, money: bool) -> Figures:
    board = request.app.state.board
    today = board.today()
    asked = month_asked(month, today)
    return money_report(board.engine, asked, today) if money \
        else practice_report(board.engine, asked)


def _page(request: Request, user: User, month: str | None, *, money: bool) -> Response:
    try:
        figures = _figures(request, month, money=money)
    except InputError as err:
        return _refused(request, user, err, month)
    # the charts' own style elements, admitted by hash (app.py adds them to the CSP)
    request.state.style_hashes = [h for chart in figures.charts for h in chart.style_hashes]
    return render(request, "practice.html", user, report=figures, error=None, money=money,
                  month=figures.month.label)


def _refused(request: Request, user: User, err: InputError, month: str | None) -> Response:
    return render(request, "practice.html", user, status_code=404 if err.path == "figure"
                  else 400, report=None, error=str(err), money=False, month=month)


@router.get("/practice")
def practice_page(request: Request, user: Billing, month: str | None = None) -> Response:
    return _page(request, user, month, money=False)


@router.get("/practice/money")
def money_page(request: Request, user: Billing, month: str | None = None) -> Response:
    return _page(request, user, month, money=True)


@router.get("/practice/report.pdf")
def monthly_report(request: Request, user: Billing, month: str | None = None) -> Response:
    from tracker.figures.monthly_pdf import render_monthly_report
    from tracker.figures.report import MoneyReport, PracticeReport

    try:
        figures = _figures(request, month, money=False)
        money = _figures(request, month, money=True)
    except InputError as err:
        return _refused(request, user, err, month)
    assert isinstance(figures, PracticeReport) and isinstance(money, MoneyReport)
    return Response(render_monthly_report(figures, money), media_type="application/pdf",
                    headers={"Content-Disposition":
                             f'attachment; filename="practice-{figures.month.label}.pdf"'})


@router.get("/practice/{figure}.csv")
def figure_csv(request: Request, user: Billing, figure: str,
               month: str | None = None) -> Response:
    try:
        table = _figures(request, month, money=figure in MONEY_CHARTS).download(figure)
        asked = month_asked(month, request.app.state.board.today())
    except InputError as err:
        return _refused(request, user, err, month)
    return Response(table_csv(table.table), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{table.name}-{asked.label}.csv"'})
