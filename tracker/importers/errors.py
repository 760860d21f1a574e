"""What can go wrong in an import: a whole file, or one row of it."""

from __future__ import annotations


class ImportFileError(Exception):
    """A file that cannot be imported at all (unreadable, unknown kind, missing columns)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class RowProblem(Exception):
    """One row is refused: which field, and what to write instead."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
