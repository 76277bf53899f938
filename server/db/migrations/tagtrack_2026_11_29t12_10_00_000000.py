"""Failed logins and bad API tokens, for the login throttle (server/domain/throttle.py).

One row per failure and key: kind "account" (the username typed) or "address" (the
client's address). Rows older than the throttle's window are deleted as new ones come.
Raw SQL, one statement per engine only where they differ (the id column).

- auth_failure_key: the count and last failure of one key within the window;
- auth_failure_at: dropping the rows that left the window."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T12:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Failed logins and bad API tokens, for the login throttle"

ID_COLUMN = {"sqlite": "id INTEGER PRIMARY KEY", "postgres": "id BIGSERIAL PRIMARY KEY"}
STATEMENTS = [
    "CREATE TABLE auth_failure ({id}, kind VARCHAR(10) NOT NULL, key VARCHAR(200) NOT NULL, "
    "at TIMESTAMPTZ NOT NULL)",
    "CREATE INDEX auth_failure_key ON auth_failure (kind, key, at)",
    "CREATE INDEX auth_failure_at ON auth_failure (at)",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        id_column = ID_COLUMN["sqlite" if engine.engine_type == "sqlite" else "postgres"]
        for sql in STATEMENTS:
            await engine.run_ddl(sql.format(id=id_column))

    manager.add_raw(create)
    return manager
