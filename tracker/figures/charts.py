"""The figures as pictures: SVG drawn on the server by pygal with its JavaScript left out, each
chart with its title, text labels and printed values (readable in print and without colour), a
viewBox so it scales to the page (400 px wide and up), and the same numbers as a table for its
CSV download. The page's Content-Security-Policy admits each chart's own style element by hash
(`Chart.style_hashes`), so no inline style is allowed wholesale."""

from __future__ import annotations

import base64
import hashlib
import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from tracker.figures.summary import PracticeFigures
from tracker.figures.tables import Table, number_cell

Number = float | int | None
DASHES = ("", "8,4", "2,4", "12,4,2,4", "4,4")  # lines told apart without colour
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL)


@dataclass(frozen=True)
class Drawing:
    """What a chart draws; drawn only when its SVG is asked for (a CSV download draws none)."""

    kind: str  # bar, hbar or line
    name: str
    title: str
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[Number, ...]], ...]
    unit: str = ""
    maximum: float | None = None
    prefix: str = ""  # before each value: "$"

    def draw(self) -> str:
        return _render(self)


@dataclass(frozen=True)
class Chart:
    name: str  # the chart's id on the page and its CSV file's name
    title: str
    drawing: Drawing
    table: Table

    @cached_property
    def svg(self) -> str:
        return self.drawing.draw()

    @property
    def style_hashes(self) -> list[str]:
        """CSP hash sources of the chart's style elements, as the browser reads them."""
        return ["'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
                + "'" for text in _STYLE.findall(self.svg)]


def _finish(svg: str, uuid: str, name: str, title: str) -> str:
    """Stable ids, a <title> for screen readers and the browser test, no script and no inline
    style attribute, and the style text unescaped as the HTML parser reads it in inline SVG."""
    svg = svg.replace(f"chart-{uuid}", f"chart-{name}").replace(uuid, name)
    svg = svg.replace('style="opacity: 0"', 'opacity="0"')
    svg = _STYLE.sub(lambda m: "<style>" + html.unescape(m.group(1)) + "</style>", svg)
    # pygal writes its configuration for its JavaScript even with none included: not needed
    svg = re.sub(r"<script.*?</script>|<!--.*?-->", "", svg, flags=re.DOTALL)
    head = svg.index(">") + 1
    return (svg[:head - 1] + f' role="img" aria-labelledby="chart-{name}-title">'
            + f'<title id="chart-{name}-title">{html.escape(title)}</title>' + svg[head:])


def drawing(kind: str, name: str, title: str, labels: Sequence[str],
            series: Sequence[tuple[str, Sequence[Number]]], *, unit: str = "",
            maximum: float | None = None, prefix: str = "") -> Drawing:
    return Drawing(kind, name, title, tuple(labels),
                   tuple((n, tuple(values)) for n, values in series), unit, maximum, prefix)


@lru_cache(maxsize=64)
def _render(picture: Drawing) -> str:
    """The SVG of `picture`; the same numbers draw the same picture, so it is drawn once."""
    kind, name, title, unit, maximum = (picture.kind, picture.name, picture.title, picture.unit,
                                        picture.maximum)
    series, labels, prefix = picture.series, picture.labels, picture.prefix
    import pygal  # imported only to draw
    from pygal.style import DefaultStyle

    style = DefaultStyle(font_family="DejaVu Sans, Liberation Sans, Arial, sans-serif",
                         title_font_size=22, label_font_size=16, major_label_font_size=16,
                         value_font_size=15, legend_font_size=16)
    make = {"bar": pygal.Bar, "hbar": pygal.HorizontalBar, "line": pygal.Line}[kind]
    chart = make(js=[], disable_xml_declaration=True, explicit_size=False, title=title,
                 style=style, print_values=True, print_values_position="top",
                 value_formatter=lambda v: "" if v is None else f"{prefix}{v:,.0f}{unit}",
                 show_legend=len(series) > 1, legend_at_bottom=True, truncate_label=40,
                 margin=10, margin_right=60 if kind == "line" else 30, width=800, height=480,
                 range=(0, maximum) if maximum else None, include_x_axis=True,
                 no_data_text="nothing this month", print_zeroes=True)
    chart.x_labels = list(labels)
    counts = [v for _, values in series for v in values if v is not None]
    if counts and all(isinstance(v, int) for v in counts):  # whole numbers: whole ticks
        top = int(max(counts))
        step = max(1, math.ceil(top / 8))
        chart.y_labels = list(range(0, top + step, step))
    for index, (series_name, values) in enumerate(series):
        extra = {"stroke_style": {"width": 3, "dasharray": DASHES[index % len(DASHES)]}} \
            if kind == "line" else {}
        chart.add(series_name, list(values), **extra)
    return _finish(chart.render(is_unicode=True), chart.uuid, name, title)


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def approval_by_payer(figures: PracticeFigures) -> Chart:
    rates = figures.approvals.by_payer
    title = f"Approved in full, per payer, {figures.month.label}"
    return Chart("approval-by-payer", title, drawing(
        "hbar", "approval-by-payer", title, [r.label for r in rates],
        [("approved in full (%)", [_rate(r.rate_percent) for r in rates])], unit=" %",
        maximum=100), Table(("payer", "decided", "approved", "partial", "denied", "rate_percent"),
                            tuple((r.label, r.decided, r.approved, r.partial, r.denied,
                                   number_cell(r.rate_percent))
                                  for r in rates)))


def approval_over_time(figures: PracticeFigures) -> Chart:
    months = [p.label for p in next(iter(figures.payer_months.values()), [])]
    title = "Approval rate per payer, month by month"
    series = [(payer, [_rate(r.rate_percent) for r in per_month])
              for payer, per_month in figures.payer_months.items()]
    rows = tuple((payer, r.label, r.decided, r.approved, number_cell(r.rate_percent))
                 for payer, per_month in figures.payer_months.items() for r in per_month)
    return Chart("approval-over-time", title, drawing(
        "line", "approval-over-time", title, months, series, unit=" %", maximum=100),
        Table(("payer", "month", "decided", "approved", "rate_percent"), rows))


def turnaround_against_clock(figures: PracticeFigures) -> Chart:
    programs = figures.turnaround.by_program
    title = f"Turnaround against the decision clock (hours), {figures.month.label}"
    series = [("median", [_rate(t.median_hours) for t in programs]),
              ("90th percentile", [_rate(t.p90_hours) for t in programs]),
              ("the clock", [_rate(t.median_clock_hours) for t in programs])]
    return Chart("turnaround-by-program", title, drawing(
        "hbar", "turnaround-by-program", title, [t.program for t in programs], series,
        unit=" h"), Table(("program", "decisions", "median_hours", "p90_hours", "clock_hours",
                           "within_clock"),
                          tuple((t.program, t.decisions, number_cell(t.median_hours),
                                 number_cell(t.p90_hours), number_cell(t.median_clock_hours),
                                 t.within_clock) for t in programs)))


def turnaround_distribution(figures: PracticeFigures) -> Chart:
    buckets = figures.turnaround.distribution
    title = f"Decisions by the share of the clock they took, {figures.month.label}"
    return Chart("turnaround-distribution", title, drawing(
        "bar", "turnaround-distribution", title, [label for label, _ in buckets],
        [("decisions", [count for _, count in buckets])]),
        Table(("share_of_clock", "decisions"), tuple(buckets)))


def denials_by_reason(figures: PracticeFigures) -> Chart:
    reasons = figures.denials.by_reason[:10]
    title = f"Denials by the payer's reason, {figures.month.label}"
    return Chart("denials-by-reason", title, drawing(
        "hbar", "denials-by-reason", title, [r.label for r in reasons],
        [("denials", [r.denials for r in reasons])]),
        Table(("code", "reason", "denials"),
              tuple((r.code or "", r.reason, r.denials) for r in figures.denials.by_reason)))


def authorization_charts(figures: PracticeFigures) -> list[Chart]:
    return [approval_by_payer(figures), approval_over_time(figures),
            turnaround_against_clock(figures), turnaround_distribution(figures),
            denials_by_reason(figures)]
