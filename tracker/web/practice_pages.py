"""The board's Practice page (/practice, billing and admin): one month's authorization figures as
charts drawn on the server (inline SVG, no script) with their tables, each figure's numbers as
a CSV download, and the monthly PDF report. Schedulers work from the visit board; how payers
treat the practice's requests is the billing office's and the owner's business."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from tracker.errors import InputError
from tracker.figures.report import PracticeReport, month_asked, practice_report
from tracker.figures.tables import table_csv
from tracker.store.users import User
from tracker.web.pages import render
from tracker.web.signing_in import RoleNeeded

router = APIRouter()
Billing = Annotated[User, Depends(RoleNeeded("billing", "The practice's figures"))]


def _report(request: Request, month: str | None) -> PracticeReport:
    board = request.app.state.board
    today = board.today()
    return practice_report(board.engine, month_asked(month, today), today)


@router.get("/practice")
def practice_page(request: Request, user: Billing, month: str | None = None) -> Response:
    try:
        report = _report(request, month)
    except InputError as err:
        return render(request, "practice.html", user, status_code=400, report=None,
                      error=str(err), month=month)
    # the charts' own style elements, admitted by hash (app.py adds them to the CSP)
    request.state.style_hashes = [h for chart in report.charts for h in chart.style_hashes]
    return render(request, "practice.html", user, report=report, error=None,
                  month=report.month.label)


@router.get("/practice/report.pdf")
def monthly_report(request: Request, user: Billing, month: str | None = None) -> Response:
    from tracker.figures.monthly_pdf import render_monthly_report

    try:
        report = _report(request, month)
    except InputError as err:
        return render(request, "practice.html", user, status_code=400, report=None,
                      error=str(err), month=month)
    return Response(render_monthly_report(report), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="practice-{report.month.label}.pdf"'})


@router.get("/practice/{figure}.csv")
def figure_csv(request: Request, user: Billing, figure: str,
               month: str | None = None) -> Response:
    try:
        report = _report(request, month)
        table = report.download(figure)
    except InputError as err:
        return render(request, "practice.html", user, status_code=404 if err.path == "figure"
                      else 400, report=None, error=str(err), month=month)
    return Response(table_csv(table.table), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{table.name}-{report.month.label}.csv"'})
