"""An authorization package as the PDF packet a payer reviewer reads: a cover letter, the evidence
tables and a timeline of care. Jinja2 HTML (templates/packet.html) rendered by WeasyPrint."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from tracker.packages.package import AuthorizationPackage

PLACE_OF_SERVICE_NAMES: dict[str, str] = {
    "11": "office", "19": "off-campus outpatient hospital", "21": "inpatient hospital",
    "22": "on-campus outpatient hospital", "24": "ambulatory surgical center",
}


def packet_html(package: AuthorizationPackage, today: date | None = None, *,
                fax_to: str | None = None, pages: int | None = None) -> str:
    """The packet as one self-contained HTML document; with `fax_to`, a fax cover sheet first
    (saying `pages`, the cover included, when known)."""
    provider = package.rendering_provider or package.ordering_provider
    return _environment().get_template("packet.html").render(
        p=package,
        fax_to=fax_to,
        pages=pages,
        css=_css(),
        today=(today or date.today()).isoformat(),
        provider=provider,
        place_name=PLACE_OF_SERVICE_NAMES.get(package.place_of_service, ""),
        codes_text="; ".join(_line_text(line.code, line.modifiers, line.units)
                             for line in package.lines),
        plan=package.treatment_plan().removeprefix("Planned ").rstrip("."),
        timeline=timeline(package),
        percent=_percent,
    )


def render_packet(package: AuthorizationPackage, today: date | None = None, *,
                  fax_to: str | None = None) -> bytes:
    """The packet as PDF bytes; with `fax_to` (the payer's fax number), a fax cover sheet first
    that gives the page count."""
    from weasyprint import HTML  # heavy (Pango, fonts): imported only to render

    pages = None
    if fax_to:  # lay the packet out once to count its pages, then print the count on the cover
        pages = len(HTML(string=packet_html(package, today, fax_to=fax_to, pages=0))
                    .render().pages)
    pdf = HTML(string=packet_html(package, today, fax_to=fax_to, pages=pages)).write_pdf()
    assert pdf is not None
    return bytes(pdf)


def timeline(package: AuthorizationPackage) -> list[tuple[date, str]]:
    """Every dated event of the package, oldest first."""
    events: list[tuple[date, int, str]] = []
    for care in package.conservative_care:
        events.append((care.start, 0, f"{care.kind_name.capitalize()} started"))
        events.append((care.end, 1, f"{care.kind_name.capitalize()} ended ({care.days} days)"))
    for kind, treatments in (("", package.prior_treatments),
                             ("Diagnostic block: ", package.diagnostic_blocks),
                             ("Stimulator trial: ", package.scs_trials)):
        for t in treatments:
            events.append((t.date, 2, f"{kind}{t.name} ({', '.join(t.codes)}): {t.response}"))
    for evaluation in package.psych_evaluations:
        result = evaluation.result.replace("_", " ")
        by = f", by {evaluation.evaluator}" if evaluation.evaluator else ""
        events.append((evaluation.date, 2, f"Psychological evaluation: {result}{by}"))
    for study in package.imaging:
        events.append((study.date, 2, f"Imaging: {study.modality} {study.region}"))
    events.append((package.requested_date, 3, "Requested: " + package.treatment_plan()
                   .removeprefix("Planned ")))
    return [(day, text) for day, _, text in sorted(events)]


def _line_text(code: str, modifiers: tuple[str, ...], units: int) -> str:
    text = code + "".join(f"-{m}" for m in modifiers)
    return text + (f" ×{units}" if units != 1 else "")


def _percent(value: float | None) -> str:
    return "not recorded" if value is None else f"{value:g} %"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(loader=PackageLoader("tracker.packages", "templates"),
                       autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


@lru_cache(maxsize=1)
def _css() -> str:
    from importlib import resources

    return resources.files("tracker.packages").joinpath("templates/packet.css").read_text(
        encoding="utf-8")
