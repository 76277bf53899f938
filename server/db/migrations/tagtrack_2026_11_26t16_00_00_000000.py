"""Index on unit.serial alone. `unit_item_serial` (item, serial) cannot serve a lookup by
serial without the item: the catalog text search (`u.serial = ?`) and
units_repo.by_serial scanned every unit (about 0.15 s per lookup at 1,000,000 units on
SQLite; bench/bench_catalog.py). Raw SQL that runs as it is on SQLite and PostgreSQL."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-26T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Index units by serial"

INDEXES = [
    "CREATE INDEX unit_serial ON unit (serial)",
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
