"""Indexes for loans and audits. Raw SQL that runs as it is on SQLite and PostgreSQL; raw
steps run before a migration's tables are made, hence a migration of its own.

- loan_person_open: a person's open loans of one item (every return reads them);
- loan_open_due: the open loans list, overdue first (`status = 'open' AND due_at < now`);
- audit_line_audit_unit / _item: an audit scan finds its line by unit, or by item, location
  and lot; without these each scan would read every line of the audit."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-26T17:10:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index loans by person and due date, audit lines by unit and item"

INDEXES = [
    "CREATE INDEX loan_person_open ON loan (person, item, status)",
    "CREATE INDEX loan_open_due ON loan (status, due_at)",
    "CREATE INDEX audit_line_audit_unit ON audit_line (audit, unit)",
    "CREATE INDEX audit_line_audit_item ON audit_line (audit, item, location)",
    "CREATE INDEX audit_status ON audit (status)",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        for sql in INDEXES:
            await engine.run_ddl(sql)

    manager.add_raw(indexes)
    return manager
