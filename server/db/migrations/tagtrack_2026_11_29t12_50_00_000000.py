"""Users get their own time zone (an IANA name such as America/Los_Angeles; NULL: their
browser's zone, else the site's, TAGTRACK_TIME_ZONE). Raw SQL that runs as it is on SQLite
and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T12:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Users get a time zone (time_zone)"

STATEMENTS = ["ALTER TABLE app_user ADD COLUMN time_zone VARCHAR(64) NULL DEFAULT NULL"]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def add_column() -> None:
        engine = engine_finder()
        assert engine is not None
        for sql in STATEMENTS:
            await engine.run_ddl(sql)

    manager.add_raw(add_column)
    return manager
