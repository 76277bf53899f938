"""Indexes for the reports and the dashboard (server/db/reports_repo.py). Raw SQL that runs
as it is on SQLite and PostgreSQL.

- unit_status_due: units out, by due date: overdue now, due back today, out with no due
  date (`status = 'checked_out' AND due_at < now`), an index range instead of a pass over
  every unit;
- unit_condition_status: units by condition: the ones needing repair or damaged (few of
  many) for the repairs report and the dashboard, with unit_status_due for those in
  repair (an OR of two index ranges)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T15:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index units by status and due date, and by condition"

INDEXES = [
    "CREATE INDEX unit_status_due ON unit (status, due_at)",
    "CREATE INDEX unit_condition_status ON unit (condition, status)",
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
