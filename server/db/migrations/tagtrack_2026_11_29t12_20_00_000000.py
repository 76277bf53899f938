"""Idempotency keys are scoped per user (issue 9, item 12): the same key from two users
is two scans. The scan log's key was unique on its own, so a second user's scan with a
key the first had used got the first user's answer.

- scan_log_user_key: unique (idempotency_key, COALESCE(user_id, 0)); a scan without a
  user (none today) counts as user 0, so it is still never applied twice. A replay looks
  the key up with its user, through this index.

PostgreSQL drops the column's unique constraint. SQLite cannot drop a column constraint,
so the table is rebuilt from its own CREATE statement without it (SQLite's documented
procedure: new table, copy, drop, rename, indexes again); nothing references scan_log."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-29T12:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Idempotency keys scoped per user"

UNIQUE_PER_USER = (
    "CREATE UNIQUE INDEX scan_log_user_key ON scan_log (idempotency_key, (COALESCE(user_id, 0)))"
)
KEY_COLUMN = '"idempotency_key" VARCHAR(200)'


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def scope_keys() -> None:
        engine = engine_finder()
        assert engine is not None
        if engine.engine_type == "sqlite":
            await _rebuild_sqlite(engine)
        else:
            await engine.run_ddl(
                "ALTER TABLE scan_log DROP CONSTRAINT IF EXISTS scan_log_idempotency_key_key"
            )
        await engine.run_ddl(UNIQUE_PER_USER)

    manager.add_raw(scope_keys)
    return manager


async def _rebuild_sqlite(engine: object) -> None:
    run = engine.run_ddl  # type: ignore[attr-defined]
    [table] = await run("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'scan_log'")
    create = str(table["sql"])
    if f"{KEY_COLUMN} UNIQUE" not in create:
        raise RuntimeError(f"scan_log is not as expected, not rebuilt: {create}")
    indexes = await run(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'scan_log' "
        "AND sql IS NOT NULL"
    )
    new = create.replace(f"{KEY_COLUMN} UNIQUE", KEY_COLUMN).replace(
        '"scan_log"', '"scan_log_new"', 1
    )
    await run(new)
    await run("INSERT INTO scan_log_new SELECT * FROM scan_log")
    await run("DROP TABLE scan_log")
    await run("ALTER TABLE scan_log_new RENAME TO scan_log")
    for index in indexes:
        await run(str(index["sql"]))
