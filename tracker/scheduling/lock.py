"""One embedded scheduler per database.

PostgreSQL: a session-level advisory lock held on a dedicated connection for the scheduler's
lifetime. SQLite: an exclusive `flock` on a file beside the database. Both are released by the
operating system or the server when the holding process dies, so a crash never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from tracker.errors import PainauthError

ADVISORY_KEY = 0x7061696E  # "pain"
HOLDER = f"painauth-scheduler {socket.gethostname()}:{os.getpid()}"


class SchedulerAlreadyRunning(PainauthError):
    """Another process already schedules the flows for this database."""


class SchedulerLock:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._file: IO[str] | None = None
        self._connection: Any = None

    def acquire(self) -> None:
        url = make_url(str(self.engine.url))
        if url.get_backend_name() == "sqlite":
            self._acquire_file(Path(url.database or "painauth.sqlite"))
        else:
            self._acquire_advisory()

    def _acquire_file(self, database: Path) -> None:
        path = database.with_name(database.name + ".scheduler.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise SchedulerAlreadyRunning(
                f"{holder} already runs the scheduler for this database ({database}); start "
                "this one with --no-scheduler, or stop the other first") from None
        handle.seek(0)
        handle.truncate()
        handle.write(HOLDER)
        handle.flush()
        self._file = handle

    def _acquire_advisory(self) -> None:
        connection = self.engine.connect()
        connection.execute(text("SELECT set_config('application_name', :name, false)"),
                           {"name": HOLDER})
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                 {"key": ADVISORY_KEY}).scalar()
        if not got:
            holder = connection.execute(text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.objid = :key "
                "AND l.granted LIMIT 1"), {"key": ADVISORY_KEY}).scalar()
            connection.close()
            raise SchedulerAlreadyRunning(
                f"{holder or 'another painauth serve'} already runs the scheduler for this "
                "database; start this one with --no-scheduler, or stop the other first")
        connection.commit()
        self._connection = connection

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                         {"key": ADVISORY_KEY})
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None
