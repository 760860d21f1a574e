"""Run the dispatcher with a channel that dies (SIGKILL) right after the provider took the message
and before any bookkeeping: argv = database URL, channel name, the dispatcher's now (ISO)."""

from __future__ import annotations

import os
import signal
import sys
from datetime import datetime

from notifications.channels import channels_from_settings
from notifications.dispatch import dispatch_alerts
from notifications.messages import OutgoingMessage
from notifications.settings import AlertSettings
from tracker.store.database import connect


class DiesAfterSending:
    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.name = getattr(inner, "name", "")

    def send(self, message: OutgoingMessage) -> str:
        self.inner.send(message)  # type: ignore[attr-defined]
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    def find_sent(self, message: OutgoingMessage) -> str | None:
        return self.inner.find_sent(message)  # type: ignore[attr-defined]


def main() -> None:
    url, channel, now = sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3])
    settings = AlertSettings(_env_file=None)  # type: ignore[call-arg]
    channels = dict(channels_from_settings(settings))
    channels[channel] = DiesAfterSending(channels[channel])
    dispatch_alerts(connect(url), now, settings=settings, channels=channels)


if __name__ == "__main__":
    main()
