"""`painauth demo`: the product's main job, shown on synthetic data.

It evaluates the worked check cases (the public contract examples, copied into `samples/checks`)
and prints each verdict as a scheduler would read it; then it seeds a synthetic practice in a fresh
demo database, runs the pre-visit check flow and prints the visits needing attention
(`tracker.practice.demo_day`).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tracker.errors import InputError
from tracker.visits.checking import check
from tracker.visits.table import VERDICT_STYLE
from tracker.visits.upcoming import counter_text

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "checks"
def run_demo() -> int:
    """The worked cases, then the practice's day (`tracker.practice.demo_day`); the exit code."""
    console = Console(width=max(Console().width, 200))
    details: list[tuple[str, dict[str, Any]]] = []
    table = Table(title="painauth check — the worked cases", show_lines=True)
    for column in ("case", "payer", "scheduled", "codes", "verdict", "next eligible"):
        table.add_column(column, no_wrap=True)
    table.add_column("counters", min_width=30)
    table.add_column("findings", min_width=28)
    for path in sorted(SAMPLES.glob("*.input.json")):
        name = path.name.removesuffix(".input.json")
        document = json.loads(path.read_text())
        scheduled = document.get("scheduled", {})
        codes = ", ".join(c if isinstance(c, str) else c["code"] for c in scheduled.get("codes", []))
        try:
            result = check(document, today=date.fromisoformat(document.get("as_of", "2026-12-01")))
        except InputError as err:
            table.add_row(name, document.get("payer", ""), scheduled.get("date", ""), codes,
                          "[magenta]rejected[/]", "", "", f"{err.path}: {err.message}")
            continue
        verdict = str(result["verdict"])
        findings = "\n".join(f"{f['code']}" for f in result["findings"])
        details.append((name, result))
        table.add_row(name, document["payer"], scheduled["date"], codes,
                      f"[{VERDICT_STYLE[verdict]}]{verdict}[/]", str(result["next_eligible_date"]),
                      "\n".join(counter_text(c) for c in result["counters"]), findings)
    console.print(table)
    for name, result in details:
        console.print(f"[bold]{name}[/]")
        for f in result["findings"]:
            console.print(f"  {f['severity']:>13}  {f['code']}: {f['message']}  "
                          f"[dim]({f['policy']})[/]")
    from tracker.practice.demo_day import run_practice_demo

    return run_practice_demo(console)
