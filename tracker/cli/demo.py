"""`painauth demo`: the product's main job, shown on synthetic data."""

from __future__ import annotations

import click


@click.command()
def demo() -> int:
    """Run the demonstration end to end: the worked check cases, then a synthetic practice's day
    through every flow, and what each person sees."""
    from tracker.scheduling.embedded_prefect import use_embedded_prefect

    use_embedded_prefect()
    from tracker.practice.demo import run_demo

    return run_demo()
