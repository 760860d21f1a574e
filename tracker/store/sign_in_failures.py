"""Throttling password guessing: wrong passwords counted per account name and per client address.

After `LIMIT` failures within `WINDOW` for a name or from an address, sign-in is refused — for
the right password too — until the window has passed. The same refusal is given whether or not
the name exists, so the throttle tells no one which accounts there are.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, or_, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.store.tables import SignInFailureRow, utc_now

LIMIT = 10
WINDOW = timedelta(minutes=1)
KEPT = timedelta(hours=1)


def sign_in_throttled(engine: Engine, name: str, address: str,
                      now: datetime | None = None) -> bool:
    """True when this name or this address already failed `LIMIT` times within the window."""
    since = (now or utc_now()) - WINDOW
    name = _name(name)
    with DbSession(engine) as db:
        by_name, by_address = db.execute(
            select(func.count().filter(col(SignInFailureRow.name) == name),
                   func.count().filter(col(SignInFailureRow.address) == address[:64]))
            .where(col(SignInFailureRow.at) > since,
                   or_(col(SignInFailureRow.name) == name,
                       col(SignInFailureRow.address) == address[:64]))).one()
    return bool(by_name >= LIMIT or by_address >= LIMIT)


def record_sign_in_failure(engine: Engine, name: str, address: str,
                           now: datetime | None = None) -> None:
    now = now or utc_now()
    with DbSession(engine) as db:
        db.add(SignInFailureRow(name=_name(name), address=address[:64], at=now))
        db.execute(delete(SignInFailureRow).where(col(SignInFailureRow.at) < now - KEPT))
        db.commit()


def forget_sign_in_failures(engine: Engine, name: str) -> None:
    """A successful sign-in clears the name's count (not the address's)."""
    with DbSession(engine) as db:
        db.execute(delete(SignInFailureRow).where(col(SignInFailureRow.name) == _name(name)))
        db.commit()


def _name(name: str) -> str:
    return name.strip().lower()[:64]
