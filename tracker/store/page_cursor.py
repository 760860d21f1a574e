"""The opaque "after" cursor of a keyset-paged list: the sort key of the last row shown, as
URL-safe text. Lists read it back with `read_cursor`, which refuses text this board did not
make (an InputError naming `after`), never a traceback."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from tracker.errors import InputError

PAGE_SIZE = 100
MOST_PER_PAGE = 500


def cursor_of(key: list[Any]) -> str:
    """The cursor of a sort key of JSON values (dates and times as ISO text)."""
    text = json.dumps(key, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def read_cursor(text: str, length: int) -> list[Any]:
    """The sort key a cursor stands for: a list of `length` JSON values."""
    try:
        key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or len(key) != length:
        raise damaged()
    return key


def damaged() -> InputError:
    return InputError("after", "this page link is damaged or out of date; start again from the "
                               "first page")


def page_size(size: int | str | None) -> int:
    """A page size from a query parameter: default 100, at most 500."""
    if size is None or size == "":
        return PAGE_SIZE
    text = str(size).strip()
    if not text.isdigit() or not 1 <= int(text) <= MOST_PER_PAGE:
        raise InputError("size", f"{size!r} is not a page size; choose 1 to {MOST_PER_PAGE}")
    return int(text)
