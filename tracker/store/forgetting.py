"""Database triggers that delete a stored copy's rows (`visit_readiness`, `charge_checks`) when
what they were computed from changes, whoever changes it; the readers work the missing rows out
again. One shape for every such copy, on SQLite and PostgreSQL alike."""

from __future__ import annotations

EVENTS = ("INSERT", "UPDATE", "DELETE")
# PostgreSQL plans a trigger's statements once per connection, from the statistics of the
# moment: planned while the copy was empty (a fresh practice's first check), each deletion went
# on scanning it whole as it grew — the check took minutes instead of seconds. So the functions
# never plan a sequential scan, and a deletion gathers the session ids first and then finds
# each by the copy's primary key (`= ANY(ARRAY(...))`), not by a join the plan may turn around.
INDEXES_ONLY = "SET enable_seqscan = off"


def _rows(event: str) -> tuple[str, ...]:
    return {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}[event]


def _delete(copy: str, forget: dict[str, str], table: str, row: str, dialect: str) -> str:
    sessions = forget[table].replace("ROW.", row + ".")
    if dialect == "postgresql":  # the ids first, then each looked up by the copy's key
        return f"DELETE FROM {copy} WHERE session_id = ANY(ARRAY({sessions}));"
    return f"DELETE FROM {copy} WHERE session_id IN ({sessions});"


def create_statements(copy: str, forget: dict[str, str], dialect: str) -> list[str]:
    """The triggers that delete `copy`'s rows of the sessions `forget[table]` names (a SELECT of
    session ids, the changed row written as ROW) when a row of `table` changes."""
    statements = []
    for table in forget:
        if dialect == "postgresql":
            body = "\n".join(
                f"  IF TG_OP IN ({', '.join(repr(e) for e in EVENTS if row in _rows(e))}) THEN "
                f"{_delete(copy, forget, table, row, dialect)} END IF;" for row in ("OLD", "NEW"))
            statements.append(
                f"CREATE FUNCTION {copy}_forget_{table}() RETURNS trigger "
                f"LANGUAGE plpgsql {INDEXES_ONLY} AS $$\nBEGIN\n{body}\n  RETURN NULL;\nEND\n$$")
            statements.append(
                f"CREATE TRIGGER {copy}_forget AFTER INSERT OR UPDATE OR DELETE ON "
                f"{table} FOR EACH ROW EXECUTE FUNCTION {copy}_forget_{table}()")
            continue
        for event in EVENTS:
            deletes = " ".join(_delete(copy, forget, table, row, dialect)
                               for row in _rows(event))
            statements.append(
                f"CREATE TRIGGER {copy}_forget_{table}_{event.lower()} AFTER {event} ON "
                f"{table} FOR EACH ROW BEGIN {deletes} END")
    return statements


def drop_statements(copy: str, forget: dict[str, str], dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [statement for table in forget for statement in (
            f"DROP TRIGGER IF EXISTS {copy}_forget ON {table}",
            f"DROP FUNCTION IF EXISTS {copy}_forget_{table}()")]
    return [f"DROP TRIGGER IF EXISTS {copy}_forget_{table}_{event.lower()}"
            for table in forget for event in EVENTS]
