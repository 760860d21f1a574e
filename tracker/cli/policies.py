"""`painauth policies list|show|validate`: the payer rules as a billing lead reads them."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from tracker.errors import PolicyErrors, UnknownPayer
from tracker.rules.policy import (
    BEGINNING,
    FOREVER,
    FrequencyLimit,
    LevelsLimit,
    MinimumInterval,
    NotCovered,
    Prerequisite,
    PriorAuthorization,
    PsychClearance,
    RepeatResponse,
    Rule,
    Selector,
    StepTherapy,
)
from tracker.rules.policy_files import configured_policy_dirs, load_policies, policy_for
from tracker.rules.program_words import describe_authorization, describe_programs


@click.group()
def policies() -> None:
    """The payer policies: list them, show one payer's rules, validate files."""


def _applies(selector: Selector) -> str:
    text = selector.label
    if selector.codes:
        text += " (" + ", ".join(sorted(selector.codes)) + ")"
    if selector.intents:
        text += " " + "/".join(sorted(selector.intents))
    return text


def describe_rule(rule: Rule) -> str:
    """The rule's numbers in a billing lead's words."""
    if isinstance(rule, FrequencyLimit):
        return f"at most {rule.limit} sessions per region, {rule.window.describe()}"
    if isinstance(rule, MinimumInterval):
        gap = f"{rule.days} days" if rule.days is not None else f"{rule.months} calendar months"
        return f"at least {gap} between sessions in the region"
    if isinstance(rule, LevelsLimit):
        return f"at most {rule.max_levels} level(s) per session"
    if isinstance(rule, NotCovered):
        return "not covered" + (f": {rule.reason}" if rule.reason else "")
    if isinstance(rule, PriorAuthorization):
        return describe_authorization(rule)
    if isinstance(rule, StepTherapy):
        kinds = " and ".join("(" + " or ".join(sorted(k)) + ")" for k in rule.require_kinds)
        first = " before the first in the region" if rule.first_in_region else ""
        return f"≥ {rule.min_days} days of conservative care{first}" + (
            f" including {kinds}" if kinds else "")
    if isinstance(rule, RepeatResponse):
        text = f"a repeat needs the prior one ≥ {rule.min_relief_percent:g} % relief"
        if rule.min_duration_days:
            text += f" for ≥ {rule.min_duration_days} days"
        if rule.failed_first_retry_days:
            text += (f"; one retry with the other approach ≥ {rule.failed_first_retry_days} days "
                     "after a failed first")
        return text
    if isinstance(rule, Prerequisite):
        return "requires " + (rule.description or f"{rule.count} × {_applies(rule.requires)}") + (
            " (first in the region)" if rule.first_in_region else "")
    if isinstance(rule, PsychClearance):
        window = f" within {rule.within_months} months" if rule.within_months else ""
        return f"a cleared psychological evaluation{window}"
    return type(rule).__name__


def _effective(rule: Rule) -> str:
    start = "" if rule.effective_from == BEGINNING else f"from {rule.effective_from}"
    end = "" if rule.effective_to == FOREVER else f"to {rule.effective_to}"
    return " ".join(p for p in (start, end) if p) or "in force"


@policies.command("list")
def list_policies() -> int:
    """List the payer policies in force."""
    table = Table(title="Payer policies")
    for column in ("payer", "name", "rules", "files"):
        table.add_column(column)
    for payer, policy in sorted(load_policies().items()):
        table.add_row(payer, policy.name, str(len(policy.rules)), "\n".join(policy.files))
    Console().print(table)
    return 0


@policies.command()
@click.argument("payer")
def show(payer: str) -> int:
    """Print one payer's rules (what each says, when it is in force, its source) and its
    prior-authorization programs with their decision clocks and approval validity.

    PAYER is a payer id, e.g. medicare.
    """
    try:
        policy = policy_for(payer)
    except UnknownPayer as err:
        click.echo(f"painauth policies show: {err}", err=True)
        return 2
    table = Table(title=f"{policy.name} ({policy.payer})")
    for column in ("rule", "applies to", "what it says", "effective", "source"):
        table.add_column(column, overflow="fold")
    for rule in policy.rules:
        table.add_row(rule.id, _applies(rule.applies), describe_rule(rule), _effective(rule),
                      rule.cited_source)
    console = Console(width=max(Console().width, 160))
    console.print(table)
    console.print("\n[bold]Prior-authorization programs[/]")
    console.print(describe_programs(policy), markup=False, highlight=False)
    return 0


@policies.command()
@click.argument("dirs", nargs=-1, metavar="[DIR]...",
                type=click.Path(file_okay=False, path_type=Path))
def validate(dirs: tuple[Path, ...]) -> int:
    """Validate policy files and report every problem, by file, rule and field.

    DIR defaults to the shipped and configured policy folders.
    """
    folders = list(dirs) or configured_policy_dirs()
    try:
        loaded = load_policies(folders)
    except PolicyErrors as err:
        for error in err.errors:
            click.echo(f"error: {error}", err=True)
        click.echo(f"{len(err.errors)} problem(s) in the policy files; nothing was loaded", err=True)
        return 2
    rules = sum(len(p.rules) for p in loaded.values())
    click.echo(f"ok: {len(loaded)} payer(s), {rules} rule(s) from "
               f"{', '.join(str(d) for d in folders)}")
    return 0
