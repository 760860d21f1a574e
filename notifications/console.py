"""The console/file outbox: what the demo and an unconfigured practice use. Each message is
appended to `outbox/alerts.txt` (and printed when asked), headed by its reference, so a restart can
see what was already written."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from notifications.messages import OutgoingMessage

OUTBOX_FILE = "alerts.txt"


class ConsoleOutbox:
    name = "console"

    def __init__(self, folder: Path, *, echo: bool = False) -> None:
        self.path = folder / OUTBOX_FILE
        self.echo = echo

    def send(self, message: OutgoingMessage) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entry = (f"=== {self._header(message)}\nTo: {message.to or '(provider)'}\n"
                 + (f"Subject: {message.subject}\n" if message.subject else "")
                 + f"\n{message.text.rstrip()}\n\n")
        with self.path.open("a", encoding="utf-8") as outbox:
            outbox.write(entry)
            outbox.flush()
            os.fsync(outbox.fileno())
        if self.echo:
            sys.stdout.write(entry)
        return self._header(message)

    def find_sent(self, message: OutgoingMessage) -> str | None:
        if not self.path.exists():
            return None
        header = self._header(message)
        with self.path.open(encoding="utf-8") as outbox:
            return header if any(line.rstrip("\n") == f"=== {header}" for line in outbox) else None

    @staticmethod
    def _header(message: OutgoingMessage) -> str:
        return f"alert {message.alert_id} {message.reference}"
