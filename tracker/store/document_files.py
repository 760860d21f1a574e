"""The files of uploaded documents, under PAINAUTH_HOME/documents, each by a random name.

The name on disk is 32 random hex characters with no extension, chosen here and kept in the
`documents` row: nothing a user typed (a file name, a title) ever becomes part of a path, and no
address on the board maps onto the folder. Files are written owner-only and never overwritten.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FOLDER = "documents"
_NAME_LENGTH = 32


def documents_folder(home: Path) -> Path:
    return home / FOLDER


def store_document_file(home: Path, content: bytes) -> str:
    """Write `content` under a new random name and return the name."""
    folder = documents_folder(home)
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(_NAME_LENGTH // 2)
    descriptor = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    return name


def read_document_file(home: Path, stored_name: str) -> bytes:
    """The bytes of a stored document; `stored_name` must be one this module chose."""
    if len(stored_name) != _NAME_LENGTH or not all(c in "0123456789abcdef" for c in stored_name):
        raise ValueError(f"{stored_name!r} is not the name of a stored document")
    return (documents_folder(home) / stored_name).read_bytes()


def remove_document_file(home: Path, stored_name: str) -> None:
    """Remove a file whose row was never committed (an upload that failed half way)."""
    (documents_folder(home) / stored_name).unlink(missing_ok=True)
