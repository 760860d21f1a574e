"""The command line as a user meets it: every option that takes a date or a number refuses a bad
value with a usage error naming the option, a closed pipe ends a command quietly, and every
command says what it is for."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from tracker.cli import COMMANDS, main, painauth
from tracker.cli.options import CalendarDate, CalendarMonth

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "checks"


def _commands(group: click.Group, ctx: click.Context,
              path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            yield from _commands(command, ctx, (*path, name))
        else:
            yield (*path, name), command


def _every_command() -> list[tuple[tuple[str, ...], click.Command]]:
    with click.Context(painauth) as ctx:
        return list(_commands(painauth, ctx))


def _typed_parameters(kind: type) -> list[tuple[tuple[str, ...], click.Parameter]]:
    return [(path, param) for path, command in _every_command() for param in command.params
            if isinstance(param.type, kind)]


def _words(path: tuple[str, ...], param: click.Parameter, value: str) -> list[str]:
    if isinstance(param, click.Option):
        return [*path, param.opts[0], value]
    return [*path, value]


def _said(param: click.Parameter) -> str:
    return f"'{param.opts[0]}'" if isinstance(param, click.Option) else f"'{param.human_readable_name}'"


DATE_PARAMETERS = _typed_parameters(CalendarDate)
MONTH_PARAMETERS = _typed_parameters(CalendarMonth)
NUMBER_PARAMETERS = _typed_parameters(click.types._NumberParamTypeBase)


def _ids(cases: list[tuple[tuple[str, ...], click.Parameter]]) -> list[str]:
    return [" ".join(path) + " " + (p.opts[0] if isinstance(p, click.Option) else str(p.name))
            for path, p in cases]


def test_the_walk_finds_the_date_and_number_options() -> None:
    names = set(_ids(DATE_PARAMETERS + NUMBER_PARAMETERS))
    assert {"status --start", "status --days", "auth record-decision --valid-to",
            "seed --patients", "alerts send --as-of", "serve --port"} <= names
    assert {"report monthly --month"} <= set(_ids(MONTH_PARAMETERS))


@pytest.mark.parametrize("value", ["2026-13-01", "2026-02-30", "2026-W01-1", "20261201", "today"])
@pytest.mark.parametrize(("path", "param"), DATE_PARAMETERS, ids=_ids(DATE_PARAMETERS))
def test_a_bad_date_is_a_usage_error_naming_the_option(
        path: tuple[str, ...], param: click.Parameter, value: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_words(path, param, value)) == 2
    err = capsys.readouterr().err
    assert f"Invalid value for {_said(param)}: {value!r} is not a date" in err
    assert "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize("value", ["2026-13", "2026-00", "2026-1", "November", "2026-11-01"])
@pytest.mark.parametrize(("path", "param"), MONTH_PARAMETERS, ids=_ids(MONTH_PARAMETERS))
def test_a_bad_month_is_a_usage_error_naming_the_option(
        path: tuple[str, ...], param: click.Parameter, value: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_words(path, param, value)) == 2
    err = capsys.readouterr().err
    assert f"Invalid value for {_said(param)}: {value!r} is not a month" in err
    assert "internal error" not in err and "Traceback" not in err


def _bad_numbers(param: click.Parameter) -> list[str]:
    """Values the parameter must refuse: not a whole number, or outside its range."""
    bad = ["abc", "1.5"]
    if isinstance(param.type, click.IntRange):
        if param.type.min is not None:
            bad.append(str(param.type.min - 1))
        if param.type.max is not None:
            bad.append(str(param.type.max + 1))
    return bad


NUMBER_CASES = [(path, param, value) for path, param in NUMBER_PARAMETERS
                for value in _bad_numbers(param)]
NUMBER_IDS = [f"{name} {value}" for name, (_, param) in zip(_ids(NUMBER_PARAMETERS),
                                                            NUMBER_PARAMETERS, strict=True)
              for value in _bad_numbers(param)]


@pytest.mark.parametrize(("path", "param", "value"), NUMBER_CASES, ids=NUMBER_IDS)
def test_a_bad_number_is_a_usage_error_naming_the_option(
        path: tuple[str, ...], param: click.Parameter, value: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_words(path, param, value)) == 2
    err = capsys.readouterr().err
    assert f"Invalid value for {_said(param)}" in err
    assert "internal error" not in err and "Traceback" not in err


def test_days_ahead_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--days", "-5"]) == 2
    assert "Invalid value for '--days': -5 is not in the range 1<=x<=366" in capsys.readouterr().err


def test_an_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nosuch"]) == 2
    assert "No such command 'nosuch'" in capsys.readouterr().err


@pytest.mark.parametrize("path", [p for p, _ in _every_command()], ids=" ".join)
def test_every_command_says_what_it_is_for(path: tuple[str, ...],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Usage: painauth {' '.join(path)}")
    description = out.split("\n\n")[1].strip()
    assert len(description) > 15, out


def test_the_top_level_help_lists_every_command_group_with_its_purpose(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        line = next(line for line in out.splitlines() if line.strip().startswith(name + " "))
        assert len(line.split(maxsplit=1)[1]) > 15 and "..." not in line, line


@pytest.mark.parametrize("words", [
    ["check", "--input", str(SAMPLE / "aetna-esi-limit-reached.input.json")],
    ["policies", "show", "medicare"],
    ["--help"],
])
def test_a_closed_pipe_ends_the_command_quietly(words: list[str]) -> None:
    reading, writing = os.pipe()
    os.close(reading)  # the reader is gone before the command writes its first byte
    try:
        done = subprocess.run([sys.executable, "-m", "tracker.cli", *words], stdout=writing,
                              stderr=subprocess.PIPE, text=True, timeout=120,
                              env={**os.environ, "COLUMNS": "120"})
    finally:
        os.close(writing)
    assert done.stderr == ""
    assert done.returncode == 1  # Click's exit for a closed pipe: quiet, and not a success
