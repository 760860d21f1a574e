"""Option types the commands share: strict calendar dates, and the day a command runs as of."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from tracker.dates import parse_date


class CalendarDate(click.ParamType):
    """A strict ISO calendar date, YYYY-MM-DD; anything else is a usage error naming the option."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_date(value)
        except ValueError:
            self.fail(f"{value!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-12-01)",
                      param, ctx)


DATE = CalendarDate()


def as_of_option(help_text: str) -> Any:
    """`--as-of YYYY-MM-DD`, defaulting to today when left out."""
    return click.option("--as-of", "as_of", type=DATE, default=None, metavar="YYYY-MM-DD",
                        help=f"{help_text} (default today)")


def authorization_id() -> Any:
    return click.argument("authorization_id", metavar="ID", type=click.IntRange(min=1))


class CalendarMonth(click.ParamType):
    """A calendar month, YYYY-MM; anything else is a usage error naming the option."""

    name = "YYYY-MM"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        text = str(value).strip()
        if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit() \
                and 1 <= int(text[5:]) <= 12:
            return text
        self.fail(f"{value!r} is not a month; write it as YYYY-MM (e.g. 2026-11)", param, ctx)


MONTH = CalendarMonth()
