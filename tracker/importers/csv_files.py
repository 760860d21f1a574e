"""Reading a practice's CSV export: which kind of rows it holds, and its rows with line numbers."""

from __future__ import annotations

import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from tracker.importers.errors import ImportFileError
from tracker.importers.formats import FORMATS, KINDS

# File-name words that name a kind, beyond the kind itself.
_NAME_HINTS: dict[str, str] = {
    "patient": "patients", "coverage": "coverages", "insurance": "coverages",
    "provider": "providers", "session": "sessions", "schedule": "sessions",
    "procedure": "sessions", "conservative": "conservative_care", "care": "conservative_care",
    "psych": "psych_evaluations", "fee": "fees", "radiology": "imaging", "mri": "imaging",
}


# csv refuses a field over 128 KiB by raising mid-file, which lost every good row after it. Read
# any field whole instead; the field checks then quarantine the one row that is too long.
_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int
    values: dict[str, str | None]
    problem: str | None = None
    field: str | None = None


def detect_kind(path: Path, header: list[str]) -> str:
    """The kind of rows a CSV file holds, by its header; the file name settles a tie."""
    columns = set(header)
    matching = [k for k in KINDS if set(FORMATS[k].required) <= columns]
    named = _kind_named_by(path)
    if len(matching) == 1:
        return matching[0]
    if named in matching:
        return named
    if matching:
        return max(matching, key=lambda k: len(columns & set(FORMATS[k].columns)))
    if named is not None:
        missing = [c for c in FORMATS[named].required if c not in columns]
        raise ImportFileError(str(path), f"looks like a {named} file but the header lacks "
                              f"{', '.join(missing)}; the first line must name the columns "
                              f"({', '.join(FORMATS[named].columns)})")
    raise ImportFileError(str(path), "cannot tell what this file holds: its header matches none "
                          "of the formats in docs/import.md; name the columns as documented, "
                          f"e.g. {', '.join(FORMATS['sessions'].required)} for sessions")


def _kind_named_by(path: Path) -> str | None:
    stem = path.stem.lower()
    for kind in KINDS:
        if kind in stem:
            return kind
    for hint, kind in _NAME_HINTS.items():
        if hint in stem:
            return kind
    return None


def read_header(path: Path) -> list[str]:
    csv.field_size_limit(_FIELD_LIMIT)
    with _open(path) as handle:
        try:
            first = next(csv.reader(handle), None)
        except (UnicodeDecodeError, csv.Error) as error:
            raise _unreadable(path, error) from None
    if not first:
        raise ImportFileError(str(path), "the file is empty; the first line must name the columns")
    return [_column(name) for name in first]


def count_rows(path: Path) -> int:
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - 1, 0)


def read_rows(path: Path) -> Iterator[CsvRow]:
    """Every non-empty row after the header, with the line it ends on."""
    csv.field_size_limit(_FIELD_LIMIT)
    with _open(path) as handle:
        reader = csv.reader(handle)
        try:
            header = [_column(name) for name in next(reader, [])]
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                values: dict[str, str | None] = dict(zip(header, cells, strict=False))
                problem = None
                holding_nul = next((name for name, cell in values.items()
                                    if cell is not None and "\x00" in cell), None)
                if holding_nul is not None:
                    problem = (f"{holding_nul} holds a NUL byte (\\0), which no database column "
                               "takes; remove it from the export")
                elif len(cells) != len(header):
                    problem = (f"the row has {len(cells)} fields but the header has {len(header)};"
                               " quote values that contain commas")
                    values = {**values, "_cells": ",".join(cells)}
                yield CsvRow(line=reader.line_num, values=values, problem=problem,
                             field=holding_nul)
        except (UnicodeDecodeError, csv.Error) as error:
            raise _unreadable(path, error) from None


def _open(path: Path) -> TextIO:
    try:
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as error:
        raise ImportFileError(str(path), f"cannot open it ({error.strerror})") from None


def _column(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def _unreadable(path: Path, error: Exception) -> ImportFileError:
    if isinstance(error, UnicodeDecodeError):
        return ImportFileError(str(path), "it is not UTF-8 text; export or save it as "
                                          "'CSV UTF-8' and import it again")
    return ImportFileError(str(path), f"it is not a readable CSV file ({error})")
