"""Board users: adding, listing and signing in, with Argon2 password hashes (argon2-cffi).

A wrong password and an unknown name are refused alike, so the sign-in form does not tell which
names exist; the unknown-name path still hashes once so both take about as long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, select
from sqlmodel import Session as DbSession
from sqlmodel import col

from tracker.errors import InputError
from tracker.roles import PROVIDER_ROLE, USER_ROLES, role_includes
from tracker.store.tables import ProviderRow, UserRow, utc_now

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD_LENGTH = 10
_HASHER = PasswordHasher()
_DECOY_HASH = _HASHER.hash("not a password anyone has")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    active: bool
    session_generation: int = 0
    provider_id: int | None = None

    def may(self, role: str) -> bool:
        """True when this user's role includes `role` (scheduler < billing < admin; a provider
        includes only the provider role): tracker.roles."""
        return role_includes(self.role, role)

    @property
    def is_provider(self) -> bool:
        return self.role == PROVIDER_ROLE


def add_user(engine: Engine, name: str, role: str, password: str,
             provider_id: int | None = None) -> User:
    """Create a user; raises InputError naming the field when an input is not acceptable. A
    provider account names its provider record (`provider_id`); no other role has one."""
    name = name.strip().lower()
    if not NAME_PATTERN.match(name):
        raise InputError("name", "a user name is 2-64 characters: lower-case letters, digits, "
                         "'.', '_' or '-', starting with a letter or digit")
    if role not in USER_ROLES:
        raise InputError("role", f"unknown role {role!r}; choose one of {', '.join(USER_ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError("password", f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    with DbSession(engine) as db:
        _check_link(db, role, provider_id)
        if db.execute(select(col(UserRow.id)).where(col(UserRow.name) == name)).first() is not None:
            raise InputError("name", f"a user named {name!r} already exists")
        row = UserRow(name=name, role=role, password_hash=_HASHER.hash(password),
                      provider_id=provider_id if role == PROVIDER_ROLE else None)
        db.add(row)
        db.commit()
        db.refresh(row)
        return _user(row)


def list_users(engine: Engine) -> list[User]:
    with DbSession(engine) as db:
        return [_user(row) for row in db.execute(select(UserRow).order_by(col(UserRow.name)))
                .scalars()]


def find_user(engine: Engine, user_id: int) -> User | None:
    with DbSession(engine) as db:
        row = db.get(UserRow, user_id)
        return _user(row) if row is not None else None


def authenticate(engine: Engine, name: str, password: str) -> User | None:
    """The active user with this name and password, or None."""
    with DbSession(engine) as db:
        row = db.execute(select(UserRow).where(col(UserRow.name) == name.strip().lower())
                         ).scalars().first()
        if row is None or not row.active:
            _verify(_DECOY_HASH, password)
            return None
        if not _verify(row.password_hash, password):
            return None
        if _HASHER.check_needs_rehash(row.password_hash):
            row.password_hash, row.updated_at = _HASHER.hash(password), utc_now()
            db.add(row)
            db.commit()
            db.refresh(row)
        return _user(row)


def set_user(engine: Engine, user_id: int, *, role: str | None = None,
             active: bool | None = None, provider_id: int | None = None) -> User:
    """Change a user's role, the provider record a provider account is linked to (kept when
    not given), or whether they may sign in. Every request reads the user again, so a new role
    or link takes effect on their next request."""
    if role is not None and role not in USER_ROLES:
        raise InputError("role", f"unknown role {role!r}; choose one of {', '.join(USER_ROLES)}")
    with DbSession(engine) as db:
        row = db.get(UserRow, user_id)
        if row is None:
            raise InputError("user", f"no user with id {user_id}")
        new_role = role if role is not None else row.role
        new_link = (provider_id if provider_id is not None else row.provider_id) \
            if new_role == PROVIDER_ROLE else None
        _check_link(db, new_role, new_link)
        row.role, row.provider_id = new_role, new_link
        if active is not None:
            if not active and row.active:
                row.session_generation += 1  # disabling ends every session at once
            row.active = active
        row.updated_at = utc_now()
        db.add(row)
        db.commit()
        db.refresh(row)
        return _user(row)


def set_password(engine: Engine, user_id: int, password: str) -> User:
    """Give a user a new password; every session signed in with the old one ends."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InputError("password", f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    with DbSession(engine) as db:
        row = db.get(UserRow, user_id)
        if row is None:
            raise InputError("user", f"no user with id {user_id}")
        row.password_hash = _HASHER.hash(password)
        row.session_generation += 1
        row.updated_at = utc_now()
        db.add(row)
        db.commit()
        db.refresh(row)
        return _user(row)


def end_sessions(engine: Engine, user_id: int) -> None:
    """End every board session of this user (signing out ends them all, on every device)."""
    with DbSession(engine) as db:
        row = db.get(UserRow, user_id)
        if row is not None:
            row.session_generation += 1
            db.add(row)
            db.commit()


def _check_link(db: DbSession, role: str, provider_id: int | None) -> None:
    if role != PROVIDER_ROLE:
        if provider_id is not None:
            raise InputError("provider", f"only a provider account is linked to a provider; "
                             f"the {role} role sees the whole practice")
        return
    if provider_id is None:
        raise InputError("provider", "a provider account must name its provider (by NPI on the "
                         "command line, or chosen on the users page)")
    if db.get(ProviderRow, provider_id) is None:
        raise InputError("provider", f"no provider with id {provider_id}")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _user(row: UserRow) -> User:
    assert row.id is not None
    return User(id=row.id, name=row.name, role=row.role, active=row.active,
                session_generation=row.session_generation, provider_id=row.provider_id)
