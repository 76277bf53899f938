"""Items a rule, a recall or an auditor can ask about one by one: item.regulated, one of
the tracking advisor's six questions (server/domain/advisor.py). Existing items are not
regulated (FALSE). Raw SQL that runs as it is on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T15:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Items can be marked regulated (item.regulated)"

STATEMENTS = [
    "ALTER TABLE item ADD COLUMN regulated BOOLEAN NOT NULL DEFAULT FALSE",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def add_column() -> None:
        engine = engine_finder()
        assert engine is not None
        for sql in STATEMENTS:
            await engine.run_ddl(sql)

    manager.add_raw(add_column)
    return manager
