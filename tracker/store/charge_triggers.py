"""Database triggers that forget a performed session's stored charge capture
(`charge_checks`) when the session or one of its code lines changes, whoever changes it; the
money figures work the missing rows out again before they read (`tracker.money.capture`).
Written by migration 0022, on SQLite and PostgreSQL alike."""

from __future__ import annotations

# table -> the session a changed row (NEW or OLD, written as ROW) belongs to
FORGET: dict[str, str] = {"sessions": "ROW.id", "session_codes": "ROW.session_id"}
EVENTS = ("INSERT", "UPDATE", "DELETE")


def _delete(table: str, row: str) -> str:
    return f"DELETE FROM charge_checks WHERE session_id = {FORGET[table].replace('ROW.', row + '.')};"


def _rows(event: str) -> tuple[str, ...]:
    return {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}[event]


def create_statements(dialect: str) -> list[str]:
    statements = []
    for table in FORGET:
        if dialect == "postgresql":
            body = "\n".join(
                f"  IF TG_OP IN ({', '.join(repr(e) for e in EVENTS if row in _rows(e))}) THEN "
                f"{_delete(table, row)} END IF;" for row in ("OLD", "NEW"))
            statements.append(
                f"CREATE FUNCTION charge_checks_forget_{table}() RETURNS trigger "
                f"LANGUAGE plpgsql AS $$\nBEGIN\n{body}\n  RETURN NULL;\nEND\n$$")
            statements.append(
                f"CREATE TRIGGER charge_checks_forget AFTER INSERT OR UPDATE OR DELETE ON "
                f"{table} FOR EACH ROW EXECUTE FUNCTION charge_checks_forget_{table}()")
            continue
        for event in EVENTS:
            deletes = " ".join(_delete(table, row) for row in _rows(event))
            statements.append(
                f"CREATE TRIGGER charge_checks_forget_{table}_{event.lower()} AFTER {event} ON "
                f"{table} FOR EACH ROW BEGIN {deletes} END")
    return statements


def drop_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [statement for table in FORGET for statement in (
            f"DROP TRIGGER IF EXISTS charge_checks_forget ON {table}",
            f"DROP FUNCTION IF EXISTS charge_checks_forget_{table}()")]
    return [f"DROP TRIGGER IF EXISTS charge_checks_forget_{table}_{event.lower()}"
            for table in FORGET for event in EVENTS]
