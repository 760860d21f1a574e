"""`painauth policies list|show|validate`: the payer rules as a billing lead reads them."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from tracker.errors import PolicyErrors, UnknownPayer
from tracker.rules.describe import applies_text, describe_rule, effective_text
from tracker.rules.policy_files import configured_policy_dirs, load_policies, policy_for
from tracker.rules.program_words import describe_programs


@click.group()
def policies() -> None:
    """The payer policies: list them, show one payer's rules, validate files."""


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
        table.add_row(rule.id, applies_text(rule.applies), describe_rule(rule), effective_text(rule),
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
