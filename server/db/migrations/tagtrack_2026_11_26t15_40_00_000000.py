"""Composite indexes. Piccolo has no composite unique constraints; this SQL runs as it is
on SQLite and PostgreSQL. Raw steps run before a migration's tables are made, hence a
migration of their own."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-26T15:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Composite indexes for units, lots and stock"

COMPOSITE_INDEXES = [
    "CREATE UNIQUE INDEX unit_item_serial ON unit (item, serial)",
    "CREATE INDEX unit_item_status ON unit (item, collapsed, status)",
    "CREATE INDEX unit_location_item ON unit (location, item)",
    "CREATE INDEX unit_custodian ON unit (custodian)",
    "CREATE UNIQUE INDEX lot_item_code ON lot (item, code)",
    "CREATE INDEX stock_item ON stock (item, location)",
    "CREATE INDEX stock_location ON stock (location)",
]


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="tagtrack", description=DESCRIPTION)

    async def composite_indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        for sql in COMPOSITE_INDEXES:
            await engine.run_ddl(sql)

    manager.add_raw(composite_indexes)
    return manager
