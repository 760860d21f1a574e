"""The monthly report for the practice owner as a PDF: the headline numbers, the charts and the
tables of one month (`PracticeReport`, as the Practice page shows them). Jinja2 HTML
(templates/monthly_report.html) rendered by WeasyPrint; each chart goes in as an SVG image."""

from __future__ import annotations

import base64
from datetime import date
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tracker.figures.report import MoneyReport, PracticeReport


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=PackageLoader("tracker.figures", "templates"),
                       autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def _image(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def monthly_report_html(report: PracticeReport, money: MoneyReport,
                        today: date | None = None) -> str:
    return _environment().get_template("monthly_report.html").render(
        report=report, headline=report.headline() + money.headline(),
        tables=report.downloads() + money.downloads(), today=(today or date.today()).isoformat(),
        images=[(chart.title, _image(chart.svg)) for chart in report.charts + money.charts])


def render_monthly_report(report: PracticeReport, money: MoneyReport,
                          today: date | None = None) -> bytes:
    """The month's authorization figures and the money's, as one PDF."""
    from weasyprint import HTML  # heavy (Pango, fonts): imported only to render

    pdf = HTML(string=monthly_report_html(report, money, today)).write_pdf()
    assert pdf is not None
    return bytes(pdf)
