"""Indexes for scan resolution. Raw SQL that runs as it is on SQLite and PostgreSQL.

- lot_code: a scanned lot code is looked up without its item (`lot_item_code` is on
  (item, code) and cannot serve that)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-26T17:00:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index lots by code"

INDEXES = ["CREATE INDEX lot_code ON lot (code)"]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        for sql in INDEXES:
            await engine.run_ddl(sql)

    manager.add_raw(indexes)
    return manager
