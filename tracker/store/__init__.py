"""The application database: tables, connection, migrations, and the patient record it yields."""

from tracker.store.database import connect
from tracker.store.migrating import SchemaNotCurrent, require_current_schema, upgrade

__all__ = ["SchemaNotCurrent", "connect", "require_current_schema", "upgrade"]
