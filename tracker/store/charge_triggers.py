"""Database triggers that forget a performed session's stored charge capture
(`charge_checks`) when the session or one of its code lines changes, whoever changes it; the
money figures work the missing rows out again before they read (`tracker.money.capture`).
Written by migration 0022, on SQLite and PostgreSQL alike (`tracker.store.forgetting`)."""

from __future__ import annotations

from tracker.store import forgetting

# table -> the session a changed row (NEW or OLD, written as ROW) belongs to
FORGET: dict[str, str] = {"sessions": "SELECT ROW.id", "session_codes": "SELECT ROW.session_id"}


def create_statements(dialect: str) -> list[str]:
    return forgetting.create_statements("charge_checks", FORGET, dialect)


def drop_statements(dialect: str) -> list[str]:
    return forgetting.drop_statements("charge_checks", FORGET, dialect)
