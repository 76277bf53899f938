"""A password set by someone other than its user (the CLI, an admin creating or resetting
a user) must be changed at the user's first login: app_user.must_change_password. Existing
users keep theirs (FALSE). Raw SQL that runs as it is on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T13:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Users may have to choose a new password (must_change_password)"

STATEMENTS = [
    "ALTER TABLE app_user ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE",
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
