"""Writing the audit event of a change a signed-in person made on the board."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from tracker.store.audit import record_audit
from tracker.store.users import User


def audit(request: Request, user: User, action: str, subject: str, **detail: Any) -> None:
    """Record that `user` did `action` to `subject` (e.g. `user:3`), from which address."""
    address = request.client.host if request.client else "unknown"
    record_audit(request.app.state.board.engine, user.name, action, subject,
                 {"address": address, **detail})
