"""The key that signs the board's session cookie.

`PAINAUTH_SECRET_KEY` when set; otherwise a random key made once and kept in
`PAINAUTH_HOME/session-secret`, created with mode 0600 so only its owner can read it. The key is
never printed or logged.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from tracker.errors import PainauthError
from tracker.settings import Settings

SECRET_FILE_NAME = "session-secret"


def session_secret(settings: Settings) -> str:
    if settings.secret_key is not None and settings.secret_key.get_secret_value().strip():
        return settings.secret_key.get_secret_value().strip()
    return kept_secret(settings.home / SECRET_FILE_NAME)


def kept_secret(path: Path) -> str:
    """The key stored at `path`, made (owner-only) when the file does not exist yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    key = secrets.token_urlsafe(48)
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key


def _read(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < 32:
        raise PainauthError(f"{path} holds no usable session key: delete it to make a new one")
    return key
