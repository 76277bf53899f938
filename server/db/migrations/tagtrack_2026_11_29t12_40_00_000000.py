"""An item's own loan period: the default due date of a check-out that names none, in
days (NULL: the site's period, TAGTRACK_LOAN_DAYS; 0: no due date). Raw SQL that runs as
it is on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T12:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Items get a default loan period (loan_days)"

STATEMENTS = ["ALTER TABLE item ADD COLUMN loan_days INTEGER NULL DEFAULT NULL"]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def add_column() -> None:
        engine = engine_finder()
        assert engine is not None
        for sql in STATEMENTS:
            await engine.run_ddl(sql)

    manager.add_raw(add_column)
    return manager
