"""The seam every channel fits: send a message, or say whether one was already sent.

`send` returns the provider's id for the message (a Twilio SID, the SMTP Message-ID, a line of
the console outbox) or raises `TransientFailure` / `PermanentFailure`. `find_sent` is how the
dispatcher reconciles a send interrupted by a crash: it returns the id of the message if the
provider has it, None if it surely does not, and raises `CannotTell` when the channel has no way
to know (SMTP).
"""

from __future__ import annotations

from typing import Protocol

from notifications.messages import OutgoingMessage


class CannotTell(Exception):
    """The channel cannot look up what it sent."""


class Channel(Protocol):
    name: str

    def send(self, message: OutgoingMessage) -> str: ...

    def find_sent(self, message: OutgoingMessage) -> str | None: ...
